// Event, CustomEvent, EventTarget, AbortController and AbortSignal, per the DOM Standard:
// https://dom.spec.whatwg.org/#events and https://dom.spec.whatwg.org/#aborting-ongoing-activities
(function (g, native, internal) {
  'use strict';

  const DOMException = internal.DOMException;
  const illegal = () => new TypeError('Illegal invocation');
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  const { defineTag, enumerableMembers } = internal.webidl;

  // Reports an exception thrown by a listener without stopping the dispatch (DOM "report the exception").
  const reportException = (e) => {
    try {
      if (typeof internal.reportError === 'function') { internal.reportError(e); return; }
      internal.requireApi('console/console.js');
      const text = internal.inspect(e);
      native.log('error', `Uncaught ${text}`);
    } catch {
      // Reporting must never throw into the dispatcher.
    }
  };

  const eventTimeStamp = () => {
    try { return native.now() - native.timeOrigin(); } catch { return 0; }
  };

  // ---------------------------------------------------------------------------------------------------------------
  // Event

  const NONE = 0, CAPTURING_PHASE = 1, AT_TARGET = 2, BUBBLING_PHASE = 3;
  let eventState; // (event) -> its internal state; set in Event's static block

  class Event {
    #s;

    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required");
      type = `${type}`;
      let bubbles = false, cancelable = false, composed = false;
      if (eventInitDict !== undefined && eventInitDict !== null) {
        if (!isObject(eventInitDict)) throw new TypeError("Failed to construct 'Event': eventInitDict is not an object");
        bubbles = !!eventInitDict.bubbles;
        cancelable = !!eventInitDict.cancelable;
        composed = !!eventInitDict.composed;
      }
      this.#s = {
        type, bubbles, cancelable, composed,
        target: null, currentTarget: null, eventPhase: NONE,
        stopPropagation: false, stopImmediatePropagation: false, canceled: false,
        inPassiveListener: false, dispatching: false, initialized: true, isTrusted: false,
        timeStamp: eventTimeStamp(),
      };
    }

    static {
      eventState = (e) => {
        if (!isObject(e) || !(#s in e)) throw illegal();
        return e.#s;
      };
    }

    get type() { return eventState(this).type; }
    get target() { return eventState(this).target; }
    get srcElement() { return eventState(this).target; }
    get currentTarget() { return eventState(this).currentTarget; }
    composedPath() {
      const s = eventState(this);
      return s.currentTarget === null ? [] : [s.currentTarget];
    }
    get eventPhase() { return eventState(this).eventPhase; }
    stopPropagation() { eventState(this).stopPropagation = true; }
    get cancelBubble() { return eventState(this).stopPropagation; }
    set cancelBubble(v) { if (v) eventState(this).stopPropagation = true; }
    stopImmediatePropagation() {
      const s = eventState(this);
      s.stopPropagation = true;
      s.stopImmediatePropagation = true;
    }
    get bubbles() { return eventState(this).bubbles; }
    get cancelable() { return eventState(this).cancelable; }
    get returnValue() { return !eventState(this).canceled; }
    set returnValue(v) {
      const s = eventState(this);
      if (!v && s.cancelable && !s.inPassiveListener) s.canceled = true;
    }
    preventDefault() {
      const s = eventState(this);
      if (s.cancelable && !s.inPassiveListener) s.canceled = true;
    }
    get defaultPrevented() { return eventState(this).canceled; }
    get composed() { return eventState(this).composed; }
    get isTrusted() { return eventState(this).isTrusted; }
    get timeStamp() { return eventState(this).timeStamp; }

    initEvent(type, bubbles = false, cancelable = false) {
      const s = eventState(this);
      if (arguments.length === 0) throw new TypeError("Failed to execute 'initEvent': 1 argument required");
      if (s.dispatching) return;
      s.initialized = true;
      s.stopPropagation = false;
      s.stopImmediatePropagation = false;
      s.canceled = false;
      s.isTrusted = false;
      s.target = null;
      s.type = `${type}`;
      s.bubbles = !!bubbles;
      s.cancelable = !!cancelable;
    }
  }

  const eventConstants = { NONE, CAPTURING_PHASE, AT_TARGET, BUBBLING_PHASE };
  for (const name of Object.keys(eventConstants)) {
    const d = { value: eventConstants[name], writable: false, enumerable: true, configurable: false };
    Object.defineProperty(Event, name, d);
    Object.defineProperty(Event.prototype, name, d);
  }
  enumerableMembers(Event, [
    'type', 'target', 'srcElement', 'currentTarget', 'composedPath', 'eventPhase', 'stopPropagation',
    'cancelBubble', 'stopImmediatePropagation', 'bubbles', 'cancelable', 'returnValue', 'preventDefault',
    'defaultPrevented', 'composed', 'isTrusted', 'timeStamp', 'initEvent',
  ]);
  defineTag(Event, 'Event');

  // An event fired by the platform ("fire an event"): isTrusted is true.
  const trustedEvent = (type, init = undefined) => {
    const e = new Event(type, init);
    eventState(e).isTrusted = true;
    return e;
  };

  const isEvent = (v) => {
    try { eventState(v); return true; } catch { return false; }
  };

  class CustomEvent extends Event {
    #detail;

    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'CustomEvent': 1 argument required");
      super(type, eventInitDict);
      this.#detail = eventInitDict !== undefined && eventInitDict !== null && eventInitDict.detail !== undefined
        ? eventInitDict.detail : null;
    }

    get detail() {
      if (!isObject(this) || !(#detail in this)) throw illegal();
      return this.#detail;
    }

    initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
      if (!isObject(this) || !(#detail in this)) throw illegal();
      if (arguments.length === 0) throw new TypeError("Failed to execute 'initCustomEvent': 1 argument required");
      if (eventState(this).dispatching) return;
      this.initEvent(type, bubbles, cancelable);
      this.#detail = detail;
    }
  }
  enumerableMembers(CustomEvent, ['detail', 'initCustomEvent']);
  defineTag(CustomEvent, 'CustomEvent');

  // ---------------------------------------------------------------------------------------------------------------
  // EventTarget

  // target -> Map(type -> array of listener records). A WeakMap rather than a private field so that an existing
  // object (the global) can be made an event target with internal.makeEventTarget.
  const listenerMaps = new WeakMap();

  // WebIDL: an operation on a [Global] interface called with an undefined `this` uses the global object.
  const targetListeners = (self) => {
    if (self === undefined || self === null) self = g;
    const map = listenerMaps.get(self);
    if (map === undefined) throw illegal();
    return map;
  };

  const flattenCapture = (options) => (typeof options === 'boolean' ? options : isObject(options) && !!options.capture);

  class EventTarget {
    constructor() {
      listenerMaps.set(this, new Map());
    }

    addEventListener(type, callback, options = undefined) {
      const map = targetListeners(this);
      const target = this === undefined || this === null ? g : this;
      if (arguments.length < 2) {
        throw new TypeError("Failed to execute 'addEventListener': 2 arguments required");
      }
      type = `${type}`;
      if (callback !== null && callback !== undefined && !isObject(callback)) {
        throw new TypeError("Failed to execute 'addEventListener': parameter 2 is not of type 'EventListener'");
      }
      let capture = false, once = false, passive = false, signal = null;
      if (typeof options === 'boolean') {
        capture = options;
      } else if (isObject(options)) {
        capture = !!options.capture;
        once = !!options.once;
        passive = !!options.passive;
        if (options.signal !== undefined) {
          signal = options.signal;
          if (!isAbortSignal(signal)) {
            throw new TypeError("Failed to execute 'addEventListener': member signal is not of type 'AbortSignal'");
          }
        }
      }
      if (callback === null || callback === undefined) return;
      if (signal !== null && signalState(signal).aborted) return;
      let list = map.get(type);
      if (list === undefined) {
        list = [];
        map.set(type, list);
      }
      for (const l of list) {
        if (l.callback === callback && l.capture === capture) return;
      }
      const record = { type, callback, capture, once, passive, removed: false, signal: null };
      list.push(record);
      if (signal !== null) {
        record.signal = signal;
        record.removeOnAbort = addAbortAlgorithm(signal, () => removeRecord(target, record));
      }
    }

    removeEventListener(type, callback, options = undefined) {
      const map = targetListeners(this);
      if (arguments.length < 2) {
        throw new TypeError("Failed to execute 'removeEventListener': 2 arguments required");
      }
      type = `${type}`;
      if (callback !== null && callback !== undefined && !isObject(callback)) {
        throw new TypeError("Failed to execute 'removeEventListener': parameter 2 is not of type 'EventListener'");
      }
      const capture = flattenCapture(options);
      const list = map.get(type);
      if (list === undefined) return;
      for (const l of list) {
        if (l.callback === callback && l.capture === capture) {
          removeRecord(this === undefined || this === null ? g : this, l);
          return;
        }
      }
    }

    dispatchEvent(event) {
      targetListeners(this);
      if (arguments.length === 0) throw new TypeError("Failed to execute 'dispatchEvent': 1 argument required");
      if (!isEvent(event)) {
        throw new TypeError("Failed to execute 'dispatchEvent': parameter 1 is not of type 'Event'");
      }
      const s = eventState(event);
      if (s.dispatching || !s.initialized) {
        throw new DOMException('The event is already being dispatched or was not initialized', 'InvalidStateError');
      }
      s.isTrusted = false;
      return dispatch(this === undefined || this === null ? g : this, event);
    }
  }
  enumerableMembers(EventTarget, ['addEventListener', 'removeEventListener', 'dispatchEvent']);
  defineTag(EventTarget, 'EventTarget');

  function removeRecord(target, record) {
    if (record.removed) return;
    record.removed = true;
    if (record.removeOnAbort) {
      record.removeOnAbort();
      record.removeOnAbort = null;
    }
    const map = listenerMaps.get(target);
    const list = map && map.get(record.type);
    if (list === undefined) return;
    const i = list.indexOf(record);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) map.delete(record.type);
  }

  // DOM "dispatch" for a target with no parent: only the AT_TARGET phase, capturing listeners first.
  function dispatch(target, event) {
    const s = eventState(event);
    s.dispatching = true;
    s.target = target;
    s.currentTarget = target;
    s.eventPhase = AT_TARGET;
    try {
      const map = listenerMaps.get(target);
      const list = map && map.get(s.type);
      if (list !== undefined) {
        const snapshot = list.slice();
        // At the target, capture listeners run before non-capture ones (DOM "invoke" with phase "capturing" then
        // "bubbling").
        invoke(target, event, snapshot, true);
        invoke(target, event, snapshot, false);
      }
    } finally {
      s.eventPhase = NONE;
      s.currentTarget = null;
      s.dispatching = false;
      s.stopPropagation = false;
      s.stopImmediatePropagation = false;
    }
    return !s.canceled;
  }

  function invoke(target, event, listeners, capturePhase) {
    const s = eventState(event);
    if (s.stopPropagation) return;
    for (const l of listeners) {
      if (l.removed || l.capture !== capturePhase) continue;
      if (l.once) removeRecord(target, l);
      let fn = l.callback;
      let thisArg = target;
      if (typeof fn !== 'function') {
        try {
          fn = l.callback.handleEvent;
        } catch (e) {
          reportException(e);
          continue;
        }
        if (typeof fn !== 'function') {
          reportException(new TypeError("The listener's handleEvent is not a function"));
          continue;
        }
        thisArg = l.callback;
      }
      if (l.passive) s.inPassiveListener = true;
      try {
        Reflect.apply(fn, thisArg, [event]);
      } catch (e) {
        reportException(e);
      }
      s.inPassiveListener = false;
      if (s.stopImmediatePropagation) return;
    }
  }

  // Makes an existing object (such as the global) an event target; its prototype chain is the caller's business.
  const makeEventTarget = (obj) => {
    if (!listenerMaps.has(obj)) listenerMaps.set(obj, new Map());
    return obj;
  };
  const isEventTarget = (v) => isObject(v) && listenerMaps.has(v);

  // Event handler IDL attributes (`onabort`, ...): the handler's listener is added when first set to a non-null
  // value, keeping its place in the listener list while later reassigned.
  const handlerStore = new WeakMap(); // target -> Map(type -> { value, record })
  const defineEventHandler = (proto, type) => {
    const name = `on${type}`;
    const get = {
      [name]() {
        targetListeners(this);
        const m = handlerStore.get(this);
        const h = m && m.get(type);
        return h ? h.value : null;
      },
    }[name];
    const set = {
      [name](value) {
        const map = targetListeners(this);
        const target = this;
        if (!isObject(value)) value = null;
        let m = handlerStore.get(target);
        if (m === undefined) {
          m = new Map();
          handlerStore.set(target, m);
        }
        let h = m.get(type);
        if (value === null) {
          if (h !== undefined) {
            removeRecord(target, h.record);
            m.delete(type);
          }
          return;
        }
        if (h === undefined || h.record.removed) {
          h = { value, record: null };
          const callback = function (event) {
            const fn = h.value;
            if (typeof fn !== 'function') return undefined;
            const ret = Reflect.apply(fn, target, [event]);
            if (ret === false) event.preventDefault();
            return ret;
          };
          const record = { type, callback, capture: false, once: false, passive: false, removed: false, signal: null };
          let list = map.get(type);
          if (list === undefined) {
            list = [];
            map.set(type, list);
          }
          list.push(record);
          h.record = record;
          m.set(type, h);
        } else {
          h.value = value;
        }
      },
    }[name];
    Object.defineProperty(proto, name, { get, set, enumerable: true, configurable: true });
  };

  // ---------------------------------------------------------------------------------------------------------------
  // AbortSignal and AbortController

  const signalToken = Symbol('AbortSignal');
  let signalState; // (signal) -> its internal state

  class AbortSignal extends EventTarget {
    #s;

    constructor(token = undefined) {
      if (token !== signalToken) throw new TypeError('Illegal constructor');
      super();
      this.#s = {
        aborted: false, reason: undefined, algorithms: new Set(),
        dependent: false, sources: new Set(), dependents: new Set(),
      };
    }

    static {
      signalState = (sig) => {
        if (!isObject(sig) || !(#s in sig)) throw illegal();
        return sig.#s;
      };
    }

    static abort(reason = undefined) {
      const signal = new AbortSignal(signalToken);
      const s = signalState(signal);
      s.aborted = true;
      s.reason = reason !== undefined ? reason : new DOMException('This operation was aborted', 'AbortError');
      return signal;
    }

    static timeout(milliseconds) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'timeout': 1 argument required");
      const ms = enforceRangeULL(milliseconds);
      const signal = new AbortSignal(signalToken);
      const startTimer = internal.timerSet;
      if (typeof startTimer !== 'function') throw new TypeError('AbortSignal.timeout is not available');
      startTimer(() => {
        signalAbort(signal, new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      }, ms, false);
      return signal;
    }

    static any(signals) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'any': 1 argument required");
      if (!isObject(signals) || typeof signals[Symbol.iterator] !== 'function') {
        throw new TypeError("Failed to execute 'any': The provided value cannot be converted to a sequence");
      }
      const list = [];
      for (const sig of signals) {
        if (!isAbortSignal(sig)) {
          throw new TypeError("Failed to execute 'any': Failed to convert value to 'AbortSignal'");
        }
        list.push(sig);
      }
      const result = new AbortSignal(signalToken);
      const rs = signalState(result);
      for (const sig of list) {
        const ss = signalState(sig);
        if (ss.aborted) {
          rs.aborted = true;
          rs.reason = ss.reason;
          return result;
        }
      }
      rs.dependent = true;
      for (const sig of list) {
        const ss = signalState(sig);
        if (!ss.dependent) {
          rs.sources.add(sig);
          ss.dependents.add(result);
        } else {
          for (const source of ss.sources) {
            rs.sources.add(source);
            signalState(source).dependents.add(result);
          }
        }
      }
      return result;
    }

    get aborted() { return signalState(this).aborted; }
    get reason() { return signalState(this).reason; }
    throwIfAborted() {
      const s = signalState(this);
      if (s.aborted) throw s.reason;
    }
  }
  enumerableMembers(AbortSignal, ['aborted', 'reason', 'throwIfAborted']);
  for (const name of ['abort', 'timeout', 'any']) {
    const d = Object.getOwnPropertyDescriptor(AbortSignal, name);
    d.enumerable = true;
    Object.defineProperty(AbortSignal, name, d);
  }
  defineEventHandler(AbortSignal.prototype, 'abort');
  defineTag(AbortSignal, 'AbortSignal');

  const isAbortSignal = (v) => {
    try { signalState(v); return true; } catch { return false; }
  };

  function enforceRangeULL(v) {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new TypeError('Value is not a finite number');
    const t = Math.trunc(n);
    if (t < 0 || t > Number.MAX_SAFE_INTEGER) throw new TypeError('Value is outside the accepted range');
    return t;
  }

  // DOM "add" an abort algorithm; returns a function that removes it again.
  function addAbortAlgorithm(signal, fn) {
    const s = signalState(signal);
    if (s.aborted) return () => {};
    const entry = { fn };
    s.algorithms.add(entry);
    return () => { s.algorithms.delete(entry); };
  }

  function runAbortSteps(signal) {
    const s = signalState(signal);
    const algorithms = [...s.algorithms];
    s.algorithms.clear();
    for (const { fn } of algorithms) {
      try { fn(s.reason); } catch (e) { reportException(e); }
    }
    dispatch(signal, trustedEvent('abort'));
  }

  // DOM "signal abort".
  function signalAbort(signal, reason = undefined) {
    const s = signalState(signal);
    if (s.aborted) return;
    s.aborted = true;
    s.reason = reason !== undefined ? reason : new DOMException('This operation was aborted', 'AbortError');
    const toAbort = [];
    for (const dep of s.dependents) {
      const ds = signalState(dep);
      if (!ds.aborted) {
        ds.aborted = true;
        ds.reason = s.reason;
        toAbort.push(dep);
      }
    }
    // An aborted signal no longer needs its links: drop them so nothing is kept alive.
    s.dependents.clear();
    for (const src of s.sources) signalState(src).dependents.delete(signal);
    s.sources.clear();
    runAbortSteps(signal);
    for (const dep of toAbort) {
      const ds = signalState(dep);
      for (const src of ds.sources) signalState(src).dependents.delete(dep);
      ds.sources.clear();
      runAbortSteps(dep);
    }
  }

  const newAbortSignal = () => new AbortSignal(signalToken);

  class AbortController {
    #signal;

    constructor() {
      this.#signal = new AbortSignal(signalToken);
    }

    get signal() {
      if (!isObject(this) || !(#signal in this)) throw illegal();
      return this.#signal;
    }

    abort(reason = undefined) {
      if (!isObject(this) || !(#signal in this)) throw illegal();
      signalAbort(this.#signal, reason);
    }
  }
  enumerableMembers(AbortController, ['signal', 'abort']);
  defineTag(AbortController, 'AbortController');

  internal.Event = Event;
  internal.CustomEvent = CustomEvent;
  internal.EventTarget = EventTarget;
  internal.AbortSignal = AbortSignal;
  internal.AbortController = AbortController;
  internal.isEvent = isEvent;
  internal.isEventTarget = isEventTarget;
  internal.isAbortSignal = isAbortSignal;
  internal.makeEventTarget = makeEventTarget;
  // For the runtime firing platform events (e.g. at the global): marks the event trusted, then dispatches it.
  internal.dispatchEvent = (target, event) => {
    const s = eventState(event);
    if (s.dispatching || !s.initialized) {
      throw new DOMException('The event is already being dispatched or was not initialized', 'InvalidStateError');
    }
    s.isTrusted = true;
    return dispatch(target, event);
  };
  internal.trustedEvent = trustedEvent;
  internal.defineEventHandler = defineEventHandler;
  internal.newAbortSignal = newAbortSignal;
  internal.signalAbort = signalAbort;
  internal.addAbortAlgorithm = addAbortAlgorithm;
  internal.reportException = reportException;
  // Where the global addEventListener (api/worker) puts listeners for event types it does not handle itself.
  if (internal.globalEventTarget === undefined) internal.globalEventTarget = new EventTarget();

  internal.defineGlobal(g, 'Event', Event);
  internal.defineGlobal(g, 'CustomEvent', CustomEvent);
  internal.defineGlobal(g, 'EventTarget', EventTarget);
  internal.defineGlobal(g, 'AbortSignal', AbortSignal);
  internal.defineGlobal(g, 'AbortController', AbortController);
});
