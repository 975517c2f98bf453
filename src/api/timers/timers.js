// setTimeout/setInterval/clearTimeout/clearInterval and queueMicrotask, per the HTML Standard:
// https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers
// https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#microtask-queuing
(function (g, native, internal) {
  'use strict';

  const apply = Reflect.apply;
  const promiseThen = Promise.prototype.then;
  const PromiseCtor = Promise;

  // id -> { callback, args, repeat, internal }. Ids are positive integers, never reused within an isolate.
  const active = new Map();
  let nextId = 1;

  // Reports an exception from a callback like an uncaught one; without a reporter, rethrows it to the caller (the
  // event loop, or the microtask queue, which treats it as an unhandled rejection).
  const report = (e) => {
    if (typeof internal.reportError === 'function') internal.reportError(e);
    else throw e;
  };

  // WebIDL `long` conversion (ToNumber, then modulo 2^32 to a signed value), then the HTML clamp of negatives to 0.
  const toDelay = (timeout) => {
    const n = Number(timeout) | 0;
    return n < 0 ? 0 : n;
  };

  const start = (callback, timeout, args, repeat, isInternal) => {
    const id = nextId++;
    const delay = toDelay(timeout);
    active.set(id, { callback, args, repeat, internal: isInternal, delay });
    native.timerStart(id, delay, repeat);
    return id;
  };

  const clear = (id) => {
    // WebIDL `long`; a value that is not a live user timer's id is ignored.
    let n;
    try { n = Number(id); } catch { return; }
    if (!Number.isInteger(n)) return;
    const t = active.get(n);
    if (t === undefined || t.internal) return;
    active.delete(n);
    native.timerCancel(n);
  };

  function setTimeout(handler, timeout = 0, ...args) {
    if (typeof handler !== 'function') {
      throw new TypeError("Failed to execute 'setTimeout': parameter 1 is not a function (strings are not evaluated)");
    }
    return start(handler, timeout, args, false, false);
  }

  function setInterval(handler, timeout = 0, ...args) {
    if (typeof handler !== 'function') {
      throw new TypeError("Failed to execute 'setInterval': parameter 1 is not a function (strings are not evaluated)");
    }
    return start(handler, timeout, args, true, false);
  }

  function clearTimeout(id = 0) { clear(id); }
  function clearInterval(id = 0) { clear(id); }

  // Called by the event loop when timer `id` fires.
  const runTimer = (id) => {
    const t = active.get(id);
    if (t === undefined) return;
    if (!t.repeat) active.delete(id);
    try {
      apply(t.callback, t.internal ? undefined : g, t.args);
    } catch (e) {
      report(e);
    }
  };

  // For other API families (AbortSignal.timeout, ...): a timer user code cannot clear by guessing its id.
  const timerSet = (callback, delay, repeat = false) => start(callback, delay, [], !!repeat, true);
  const timerClear = (id) => {
    const t = active.get(id);
    if (t === undefined || !t.internal) return;
    active.delete(id);
    native.timerCancel(id);
  };

  // A settled promise whose `then` jobs are our microtasks. Its own `constructor` property is undefined, so
  // Promise.prototype.then's species lookup cannot reach anything a worker replaced (Promise.prototype.constructor,
  // Promise[Symbol.species]). Created on first use: nothing is allocated into the snapshot state.
  let resolved = null;
  const enqueueMicrotask = (fn) => {
    if (resolved === null) {
      resolved = new PromiseCtor((resolve) => resolve());
      Object.defineProperty(resolved, 'constructor', { value: undefined });
    }
    apply(promiseThen, resolved, [fn]);
  };

  function queueMicrotask(callback) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'queueMicrotask': 1 argument required");
    if (typeof callback !== 'function') {
      throw new TypeError("Failed to execute 'queueMicrotask': parameter 1 is not of type 'Function'");
    }
    enqueueMicrotask(() => {
      try {
        apply(callback, undefined, []);
      } catch (e) {
        report(e);
      }
    });
  }

  internal.runTimer = runTimer;
  internal.timerSet = timerSet;
  internal.timerClear = timerClear;
  internal.enqueueMicrotask = enqueueMicrotask;
  internal.activeTimerCount = () => active.size;

  internal.defineGlobal(g, 'setTimeout', setTimeout);
  internal.defineGlobal(g, 'setInterval', setInterval);
  internal.defineGlobal(g, 'clearTimeout', clearTimeout);
  internal.defineGlobal(g, 'clearInterval', clearInterval);
  internal.defineGlobal(g, 'queueMicrotask', queueMicrotask);
});
