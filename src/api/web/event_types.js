// The Event subclasses the platform fires: ErrorEvent and PromiseRejectionEvent (HTML, "runtime script errors"
// and "unhandled promise rejections": https://html.spec.whatwg.org/multipage/webappapis.html#runtime-script-errors),
// MessageEvent (https://html.spec.whatwg.org/multipage/comms.html#messageevent) and CloseEvent
// (https://websockets.spec.whatwg.org/#the-closeevent-interface).
(function (g, native, internal) {
  'use strict';

  const Event = internal.Event;
  const illegal = () => new TypeError('Illegal invocation');
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  const { defineTag, enumerableMembers } = internal.webidl;
  const checkInit = (name, init) => {
    if (init !== undefined && init !== null && !isObject(init)) {
      throw new TypeError(`Failed to construct '${name}': The provided value is not of type '${name}Init'.`);
    }
    return init === undefined || init === null ? {} : init;
  };
  // WebIDL unsigned long / unsigned short (modulo conversion).
  const toUint32 = (v) => (v === undefined ? 0 : Number(v) >>> 0);
  const toUint16 = (v) => (v === undefined ? 0 : (Number(v) >>> 0) & 0xffff);

  class ErrorEvent extends Event {
    #message; #filename; #lineno; #colno; #error;

    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'ErrorEvent': 1 argument required");
      const init = checkInit('ErrorEvent', eventInitDict);
      super(type, init);
      this.#message = init.message === undefined ? '' : `${init.message}`;
      this.#filename = init.filename === undefined ? '' : `${init.filename}`;
      this.#lineno = toUint32(init.lineno);
      this.#colno = toUint32(init.colno);
      this.#error = init.error === undefined ? null : init.error;
    }

    get message() { if (!isObject(this) || !(#message in this)) throw illegal(); return this.#message; }
    get filename() { if (!isObject(this) || !(#message in this)) throw illegal(); return this.#filename; }
    get lineno() { if (!isObject(this) || !(#message in this)) throw illegal(); return this.#lineno; }
    get colno() { if (!isObject(this) || !(#message in this)) throw illegal(); return this.#colno; }
    get error() { if (!isObject(this) || !(#message in this)) throw illegal(); return this.#error; }
  }
  enumerableMembers(ErrorEvent, ['message', 'filename', 'lineno', 'colno', 'error']);
  defineTag(ErrorEvent, 'ErrorEvent');

  class PromiseRejectionEvent extends Event {
    #promise; #reason;

    constructor(type, eventInitDict = undefined) {
      if (arguments.length < 2) {
        throw new TypeError("Failed to construct 'PromiseRejectionEvent': 2 arguments required");
      }
      const init = checkInit('PromiseRejectionEvent', eventInitDict);
      if (!isObject(init.promise)) {
        throw new TypeError("Failed to construct 'PromiseRejectionEvent': member promise is required and must be an object");
      }
      super(type, init);
      this.#promise = init.promise;
      this.#reason = init.reason;
    }

    get promise() { if (!isObject(this) || !(#promise in this)) throw illegal(); return this.#promise; }
    get reason() { if (!isObject(this) || !(#promise in this)) throw illegal(); return this.#reason; }
  }
  enumerableMembers(PromiseRejectionEvent, ['promise', 'reason']);
  defineTag(PromiseRejectionEvent, 'PromiseRejectionEvent');

  const noPorts = Object.freeze([]);

  class MessageEvent extends Event {
    #data; #origin; #lastEventId; #source; #ports;

    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'MessageEvent': 1 argument required");
      const init = checkInit('MessageEvent', eventInitDict);
      super(type, init);
      this.#data = init.data === undefined ? null : init.data;
      this.#origin = init.origin === undefined ? '' : `${init.origin}`;
      this.#lastEventId = init.lastEventId === undefined ? '' : `${init.lastEventId}`;
      this.#source = init.source === undefined ? null : init.source;
      this.#ports = init.ports === undefined ? noPorts : Object.freeze([...init.ports]);
    }

    get data() { if (!isObject(this) || !(#data in this)) throw illegal(); return this.#data; }
    get origin() { if (!isObject(this) || !(#data in this)) throw illegal(); return this.#origin; }
    get lastEventId() { if (!isObject(this) || !(#data in this)) throw illegal(); return this.#lastEventId; }
    get source() { if (!isObject(this) || !(#data in this)) throw illegal(); return this.#source; }
    get ports() { if (!isObject(this) || !(#data in this)) throw illegal(); return this.#ports; }
  }
  enumerableMembers(MessageEvent, ['data', 'origin', 'lastEventId', 'source', 'ports']);
  defineTag(MessageEvent, 'MessageEvent');

  class CloseEvent extends Event {
    #wasClean; #code; #reason;

    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'CloseEvent': 1 argument required");
      const init = checkInit('CloseEvent', eventInitDict);
      super(type, init);
      this.#wasClean = !!init.wasClean;
      this.#code = toUint16(init.code);
      this.#reason = init.reason === undefined ? '' : `${init.reason}`;
    }

    get wasClean() { if (!isObject(this) || !(#code in this)) throw illegal(); return this.#wasClean; }
    get code() { if (!isObject(this) || !(#code in this)) throw illegal(); return this.#code; }
    get reason() { if (!isObject(this) || !(#code in this)) throw illegal(); return this.#reason; }
  }
  enumerableMembers(CloseEvent, ['wasClean', 'code', 'reason']);
  defineTag(CloseEvent, 'CloseEvent');

  internal.ErrorEvent = ErrorEvent;
  internal.PromiseRejectionEvent = PromiseRejectionEvent;
  internal.MessageEvent = MessageEvent;
  internal.CloseEvent = CloseEvent;
  internal.defineGlobal(g, 'ErrorEvent', ErrorEvent);
  internal.defineGlobal(g, 'PromiseRejectionEvent', PromiseRejectionEvent);
  internal.defineGlobal(g, 'MessageEvent', MessageEvent);
  internal.defineGlobal(g, 'CloseEvent', CloseEvent);
});
