// The entry points the runtime calls: dispatching a fetch event to a module worker's `fetch` handler or to
// service-worker `addEventListener('fetch')` listeners, and reporting the outcome through native.fetchDone.
(function (g, native, internal) {
  'use strict';
  const promiseThen = Promise.prototype.then;
  const promiseResolve = Promise.resolve.bind(Promise);
  const apply = Reflect.apply;
  const listeners = { fetch: [], scheduled: [] };
  let handlers = null;
  let env = {};

  function addEventListener(type, listener) {
    type = String(type);
    if (listeners[type] === undefined) {
      if (internal.globalEventTarget) return internal.globalEventTarget.addEventListener(type, listener);
      return;
    }
    if (typeof listener !== 'function' && !(listener && typeof listener.handleEvent === 'function')) {
      throw new TypeError('addEventListener: the listener must be a function');
    }
    listeners[type].push(listener);
  }
  function removeEventListener(type, listener) {
    const list = listeners[String(type)];
    if (list === undefined) {
      if (internal.globalEventTarget) internal.globalEventTarget.removeEventListener(type, listener);
      return;
    }
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }
  internal.defineGlobal(g, 'addEventListener', addEventListener);
  // An error nobody caught (a timer callback, a microtask, an event listener): logged with its stack.
  internal.reportError = (e) => {
    let text;
    try {
      text = e && typeof e.stack === 'string' ? e.stack : internal.inspect ? internal.inspect(e) : String(e);
    } catch {
      text = '(an error that cannot be printed)';
    }
    native.log('error', 'Uncaught ' + text);
  };
  internal.defineGlobal(g, 'removeEventListener', removeEventListener);

  class ExecutionContext {
    waitUntil(promise) {}
    passThroughOnException() {}
  }
  const ctx = new ExecutionContext();

  class FetchEvent {
    #request;
    #response = undefined;
    #responded = false;
    constructor(type, init) {
      if (init === undefined || init === null) throw new TypeError('FetchEvent: init.request is required');
      this.#request = init.request;
      this.type = String(type);
    }
    get request() { return this.#request; }
    respondWith(response) {
      if (this.#responded) throw new Error('FetchEvent.respondWith() was already called');
      this.#responded = true;
      this.#response = response;
    }
    waitUntil(promise) {}
    passThroughOnException() {}
    static responded(ev) { return ev.#responded; }
    static response(ev) { return ev.#response; }
  }
  internal.defineGlobal(g, 'FetchEvent', FetchEvent);

  // Called once after the worker's code is loaded: `exports` is the main module's namespace, or undefined for a
  // service-worker script. `bindings` becomes `env`.
  internal.setWorker = (exports, bindings) => {
    env = bindings || {};
    if (exports === undefined) {
      if (listeners.fetch.length === 0 && listeners.scheduled.length === 0) {
        throw new Error('The script registered no event listener: use addEventListener(\'fetch\', ...) or export default { fetch }');
      }
      return;
    }
    const d = exports.default;
    if (d === null || (typeof d !== 'object' && typeof d !== 'function')) {
      throw new Error('The main module has no default export: export default { async fetch(request, env, ctx) { ... } }');
    }
    handlers = d;
  };

  function done(id, response) {
    let parts;
    try {
      parts = internal.responseParts(response);
    } catch (e) {
      const why = internal.isResponse(response) ? e.message : 'The handler did not return a Response: ' + describe(response);
      native.fetchDone(id, undefined, new TypeError(why));
      return;
    }
    const body = parts.body;
    if (body !== null && typeof body === 'object' && !ArrayBuffer.isView(body)) {
      // A ReadableStream body: read it to the end, then send.
      apply(promiseThen, internal.readAllBytes(body), [(bytes) => {
        parts.body = bytes;
        native.fetchDone(id, parts, undefined);
      }, (e) => failed(id, e)]);
      return;
    }
    native.fetchDone(id, parts, undefined);
  }
  function describe(v) {
    if (v === null) return 'null';
    if (typeof v !== 'object') return typeof v;
    try { return Object.prototype.toString.call(v); } catch { return 'object'; }
  }
  function failed(id, error) { native.fetchDone(id, undefined, error); }

  class ScheduledController {
    #cron;
    #time;
    constructor(cron, time) { this.#cron = cron; this.#time = time; }
    get cron() { return this.#cron; }
    get scheduledTime() { return this.#time; }
    get type() { return 'scheduled'; }
    noRetry() {}
  }
  const scheduledDone = { status: 200, statusText: '', headers: [], body: null };

  // A cron trigger: the module's scheduled(controller, env, ctx), or 'scheduled' listeners (event.cron,
  // event.scheduledTime, event.waitUntil). Completion is reported like a fetch with an empty 200.
  internal.dispatchScheduled = (id, cron, scheduledTime) => {
    let result;
    try {
      const controller = new ScheduledController(cron, scheduledTime);
      if (handlers !== null) {
        if (typeof handlers.scheduled !== 'function') throw new TypeError('The worker\'s default export has no scheduled() handler');
        result = apply(handlers.scheduled, handlers, [controller, env, ctx]);
      } else {
        if (listeners.scheduled.length === 0) throw new TypeError('The worker registered no scheduled listener');
        const event = { type: 'scheduled', cron, scheduledTime, waitUntil() {}, noRetry() {} };
        const results = [];
        for (const l of listeners.scheduled) results.push(typeof l === 'function' ? apply(l, g, [event]) : l.handleEvent(event));
        result = Promise.all(results);
      }
    } catch (e) {
      failed(id, e);
      return;
    }
    apply(promiseThen, promiseResolve(result), [() => native.fetchDone(id, scheduledDone, undefined), (e) => failed(id, e)]);
  };

  internal.dispatchFetch = (id, method, url, headers, body) => {
    let result;
    try {
      const request = internal.makeIncomingRequest(method, url, headers, body);
      if (handlers !== null) {
        const fetch = handlers.fetch;
        if (typeof fetch !== 'function') throw new TypeError('The worker\'s default export has no fetch() handler');
        result = apply(fetch, handlers, [request, env, ctx]);
      } else {
        const event = new FetchEvent('fetch', { request });
        for (const l of listeners.fetch) {
          if (typeof l === 'function') apply(l, g, [event]);
          else l.handleEvent(event);
        }
        if (!FetchEvent.responded(event)) throw new Error('No fetch listener called respondWith()');
        result = FetchEvent.response(event);
      }
    } catch (e) {
      failed(id, e);
      return;
    }
    if (internal.isResponse(result)) {
      done(id, result);
      return;
    }
    apply(promiseThen, promiseResolve(result), [(r) => done(id, r), (e) => failed(id, e)]);
  };
})
