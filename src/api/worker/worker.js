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

  // The global scope is an EventTarget (its prototype chain holds EventTarget.prototype): 'fetch' and 'scheduled'
  // listeners are the worker's handlers, kept here; any other type ('error', 'unhandledrejection', ...) is an
  // ordinary listener on the global, which the runtime fires events at.
  const { EventTarget, ErrorEvent, PromiseRejectionEvent } = internal;
  const targetAdd = EventTarget.prototype.addEventListener;
  const targetRemove = EventTarget.prototype.removeEventListener;
  const targetDispatch = EventTarget.prototype.dispatchEvent;
  // The global's listener map is made at run time, never in the snapshot: the global proxy a context is restored
  // with is a new object to a WeakMap, so one filled at snapshot time would not find it.
  const globalTarget = () => internal.makeEventTarget(g);
  internal.globalEventTarget = g;
  class ServiceWorkerGlobalScope extends EventTarget {
    constructor() {
      throw new TypeError('Illegal constructor');
    }
  }
  Object.defineProperty(ServiceWorkerGlobalScope.prototype, Symbol.toStringTag, {
    value: 'ServiceWorkerGlobalScope', configurable: true,
  });
  Object.setPrototypeOf(g, ServiceWorkerGlobalScope.prototype);
  internal.defineGlobal(g, 'ServiceWorkerGlobalScope', ServiceWorkerGlobalScope);

  function addEventListener(type, listener, options = undefined) {
    type = String(type);
    if (listeners[type] === undefined) return apply(targetAdd, globalTarget(), arguments);
    if (typeof listener !== 'function' && !(listener && typeof listener.handleEvent === 'function')) {
      throw new TypeError('addEventListener: the listener must be a function');
    }
    listeners[type].push(listener);
  }
  function removeEventListener(type, listener, options = undefined) {
    const list = listeners[String(type)];
    if (list === undefined) return apply(targetRemove, globalTarget(), arguments);
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }
  function dispatchEvent(event) { return apply(targetDispatch, globalTarget(), arguments); }
  internal.defineGlobal(g, 'addEventListener', addEventListener);

  function describeError(e) {
    try {
      if (e && typeof e.stack === 'string') return e.stack;
      internal.requireApi('console/console.js');
      return internal.inspect(e);
    } catch {
      return '(an error that cannot be printed)';
    }
  }
  // Where an error was thrown, from the top frame of its stack ("    at f (file.js:3:9)").
  function errorLocation(e) {
    try {
      const m = typeof e.stack === 'string' && /\n\s+at (?:.*\()?(.+?):(\d+):(\d+)\)?(?:\n|$)/.exec(e.stack);
      if (m) return { filename: m[1], lineno: Number(m[2]), colno: Number(m[3]) };
    } catch {
      // A hostile getter: no location.
    }
    return { filename: '', lineno: 0, colno: 0 };
  }

  // An error nobody caught (a timer callback, a microtask, an event listener): an 'error' ErrorEvent at the global,
  // then, unless a listener called preventDefault(), a log line with its stack. An error thrown by an 'error'
  // listener is only logged (HTML's "errors reported" guard).
  let reportingError = false;
  internal.reportError = (e) => {
    if (!reportingError) {
      reportingError = true;
      let notCanceled = true;
      try {
        const where = errorLocation(e);
        let message;
        try { message = 'Uncaught ' + String(e); } catch { message = 'Uncaught exception'; }
        notCanceled = internal.dispatchEvent(globalTarget(), new ErrorEvent('error', {
          cancelable: true, message, filename: where.filename, lineno: where.lineno, colno: where.colno, error: e,
        }));
      } catch {
        // Reporting never throws.
      } finally {
        reportingError = false;
      }
      if (!notCanceled) return;
    }
    native.log('error', 'Uncaught ' + describeError(e));
  };

  // Called by the runtime after a microtask checkpoint for each promise rejected with no handler: an
  // 'unhandledrejection' PromiseRejectionEvent at the global, then a log line unless preventDefault() was called.
  internal.reportUnhandledRejection = (promise, reason) => {
    let notCanceled = true;
    try {
      notCanceled = internal.dispatchEvent(globalTarget(), new PromiseRejectionEvent('unhandledrejection', { cancelable: true, promise, reason }));
    } catch {
      // Reporting never throws.
    }
    if (notCanceled) native.log('error', 'Uncaught (in promise) ' + describeError(reason));
  };
  internal.defineGlobal(g, 'removeEventListener', removeEventListener);
  internal.defineGlobal(g, 'dispatchEvent', dispatchEvent);

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
      native.fetchDone(id, new TypeError(why));
      return;
    }
    const body = parts.body;
    if (parts.webSocket !== null && parts.webSocket !== undefined) {
      // A 101 handing the client end of a WebSocketPair to the client: the runtime upgrades the connection.
      let socketId;
      try {
        internal.requireApi('websocket/websocket.js');  // loaded already: the Response checked its webSocket
        socketId = internal.webSocketTransfer(parts.webSocket);
      } catch (e) {
        failed(id, e);
        return;
      }
      native.fetchDone(id, undefined, parts.status, parts.statusText, parts.headers, socketId, body);
      internal.webSocketLinked(socketId);
      return;
    }
    const stream = body !== null && typeof body === 'object' && !ArrayBuffer.isView(body);
    // A native body nothing has read (`upstream`, or `new Response(upstream.body)`) is piped by the runtime itself:
    // parts.body is its id already, or the id is taken back from the untouched stream.
    const nativeId = stream ? internal.takeNativeBody(body) : 0;
    native.fetchDone(id, undefined, parts.status, parts.statusText, parts.headers, null, nativeId !== 0 ? nativeId : body);
    if (stream && nativeId === 0) pump(id, internal.byteReader(body));
  }

  // Streams a ReadableStream body to the client: the next chunk is read only once the previous one is written,
  // so a slow client slows the producer instead of filling memory.
  async function pump(id, reader) {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk === null) {
          native.streamEnd(id);
          return;
        }
        const ok = await new Promise((resolve) => native.streamWrite(id, chunk, resolve));
        if (!ok) {
          reader.cancel(new Error('the client went away'));
          native.streamAbort(id, undefined);
          return;
        }
      }
    } catch (e) {
      native.streamAbort(id, e);
    }
  }
  function describe(v) {
    if (v === null) return 'null';
    if (typeof v !== 'object') return typeof v;
    try { return Object.prototype.toString.call(v); } catch { return 'object'; }
  }
  function failed(id, error) { native.fetchDone(id, error); }

  class ScheduledController {
    #cron;
    #time;
    constructor(cron, time) { this.#cron = cron; this.#time = time; }
    get cron() { return this.#cron; }
    get scheduledTime() { return this.#time; }
    get type() { return 'scheduled'; }
    noRetry() {}
  }

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
    apply(promiseThen, promiseResolve(result), [() => native.fetchDone(id, undefined, 200, '', [], null, null), (e) => failed(id, e)]);
  };

  internal.dispatchFetch = (id, method, url, headers, body) => {
    let result;
    try {
      // A body still on the client's socket comes as its id (a number), and stays the runtime's until read.
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
