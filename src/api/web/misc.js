// Small web globals: structuredClone (HTML), crypto.getRandomValues/randomUUID (WebCrypto), navigator,
// performance (High Resolution Time) and reportError (HTML).
(function (g, native, internal) {
  'use strict';

  const DOMException = internal.DOMException;
  const illegalConstructor = () => new TypeError('Illegal constructor');
  const illegal = () => new TypeError('Illegal invocation');
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  const { defineTag, enumerableMembers } = internal.webidl;
  const token = Symbol('construct');

  const abByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
  const abDetachedGet = (Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached') || {}).get;
  const abTransfer = ArrayBuffer.prototype.transfer;
  // A detached buffer: `detached` where the engine has it, else a zero length that a view cannot be made over
  // (constructing a view on a detached buffer throws; on a live empty one it does not).
  const isDetached = (b) => {
    if (abDetachedGet !== undefined) return abDetachedGet.call(b);
    if (abByteLength.call(b) !== 0) return false;
    try { new Uint8Array(b); return false; } catch { return true; }
  };
  const isArrayBuffer = (v) => {
    if (!isObject(v)) return false;
    try { abByteLength.call(v); return true; } catch { return false; }
  };

  // ---------------------------------------------------------------------------------------------------------------
  // structuredClone

  function structuredClone(value, options = undefined) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required");
    let transfer = [];
    if (options !== undefined && options !== null) {
      if (!isObject(options)) throw new TypeError("Failed to execute 'structuredClone': options is not an object");
      const list = options.transfer;
      if (list !== undefined) {
        if (!isObject(list) || typeof list[Symbol.iterator] !== 'function') {
          throw new TypeError("Failed to execute 'structuredClone': transfer is not iterable");
        }
        transfer = [...list];
        for (const t of transfer) {
          if (!isObject(t)) throw new TypeError("Failed to execute 'structuredClone': transfer item is not an object");
        }
      }
    }
    // The only transferables here are ArrayBuffers. Validate the list before serializing (HTML
    // StructuredSerializeWithTransfer), then clone and detach the transferred buffers: the clone holds their bytes,
    // which is what a transfer looks like from script.
    const seen = new Set();
    for (const t of transfer) {
      if (seen.has(t)) throw new DOMException('Duplicate transferable in the transfer list', 'DataCloneError');
      seen.add(t);
      if (!isArrayBuffer(t)) throw new DOMException('Value is not transferable', 'DataCloneError');
      if (isDetached(t)) throw new DOMException('An ArrayBuffer is detached and could not be cloned', 'DataCloneError');
    }
    // V8's serializer sees a DOMException (a JS class here) as an empty object; WebIDL makes it serializable, so
    // clone one passed directly by hand. (Nested ones still come out as plain objects: that needs the native
    // serializer's host-object hook.)
    if (internal.isDOMException && internal.isDOMException(value)) {
      const copy = new DOMException(value.message, value.name);
      const d = Object.getOwnPropertyDescriptor(value, 'stack');
      if (d !== undefined && 'value' in d && typeof d.value === 'string') {
        Object.defineProperty(copy, 'stack', { value: d.value, writable: true, enumerable: false, configurable: true });
      }
      return copy;
    }
    if (transfer.length === 0) return native.structuredClone(value);
    if (typeof abTransfer === 'function') {
      const clone = native.structuredClone(value);
      for (const t of transfer) abTransfer.call(t);
      return clone;
    }
    // Engines before ArrayBuffer.prototype.transfer (V8 < 11.4) cannot detach from script: the native half gets
    // the list and detaches (a native that ignores it still returns a correct clone, leaving the sources intact).
    return native.structuredClone(value, transfer);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // crypto (https://w3c.github.io/webcrypto/#crypto-interface)

  const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
  const taTag = Object.getOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag).get;
  const taByteLength = Object.getOwnPropertyDescriptor(TypedArrayProto, 'byteLength').get;
  const integerArrays = new Set([
    'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
    'BigInt64Array', 'BigUint64Array',
  ]);

  class Crypto {
    constructor(key = undefined) {
      if (key !== token) throw illegalConstructor();
    }

    getRandomValues(array) {
      if (this !== cryptoObject) throw illegal();
      if (arguments.length === 0) throw new TypeError("Failed to execute 'getRandomValues': 1 argument required");
      if (!ArrayBuffer.isView(array)) {
        throw new TypeError("Failed to execute 'getRandomValues': parameter 1 is not of type 'ArrayBufferView'");
      }
      const kind = taTag.call(array);
      if (!integerArrays.has(kind)) {
        throw new DOMException(
          `Failed to execute 'getRandomValues': The provided ArrayBufferView is of type '${kind || 'DataView'}', ` +
          'which is not an integer array type.', 'TypeMismatchError');
      }
      const n = taByteLength.call(array);
      if (n > 65536) {
        throw new DOMException(
          `Failed to execute 'getRandomValues': The ArrayBufferView's byte length (${n}) exceeds the number of ` +
          'bytes of entropy available via this API (65536).', 'QuotaExceededError');
      }
      if (n > 0) native.randomFill(array);
      return array;
    }

    randomUUID() {
      if (this !== cryptoObject) throw illegal();
      return native.randomUUID();
    }

    get subtle() {
      if (this !== cryptoObject) throw illegal();
      internal.requireApi('crypto/subtle.js');
      const s = internal.cryptoSubtle;
      return s === undefined ? undefined : s;
    }
  }
  enumerableMembers(Crypto, ['getRandomValues', 'randomUUID', 'subtle']);
  defineTag(Crypto, 'Crypto');
  const cryptoObject = new Crypto(token);

  // ---------------------------------------------------------------------------------------------------------------
  // navigator (workerd: https://developers.cloudflare.com/workers/runtime-apis/web-standards/#navigatoruseragent)

  class Navigator {
    constructor(key = undefined) {
      if (key !== token) throw illegalConstructor();
    }

    get userAgent() {
      if (this !== navigatorObject) throw illegal();
      return 'islet';
    }

    get hardwareConcurrency() {
      if (this !== navigatorObject) throw illegal();
      return 1;
    }
  }
  enumerableMembers(Navigator, ['userAgent', 'hardwareConcurrency']);
  defineTag(Navigator, 'Navigator');
  const navigatorObject = new Navigator(token);

  // ---------------------------------------------------------------------------------------------------------------
  // performance (https://w3c.github.io/hr-time/#the-performance-attribute)

  class Performance {
    constructor(key = undefined) {
      if (key !== token) throw illegalConstructor();
    }

    now() {
      if (this !== performanceObject) throw illegal();
      return native.now() - native.timeOrigin();
    }

    get timeOrigin() {
      if (this !== performanceObject) throw illegal();
      return native.timeOrigin();
    }

    toJSON() {
      if (this !== performanceObject) throw illegal();
      return { timeOrigin: native.timeOrigin() };
    }
  }
  enumerableMembers(Performance, ['now', 'timeOrigin', 'toJSON']);
  defineTag(Performance, 'Performance');
  const performanceObject = new Performance(token);

  // ---------------------------------------------------------------------------------------------------------------
  // reportError (https://html.spec.whatwg.org/multipage/webappapis.html#dom-reporterror)

  function reportError(e) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'reportError': 1 argument required");
    if (typeof internal.reportError === 'function') {
      internal.reportError(e);
      return;
    }
    internal.reportException(e);
  }

  internal.Crypto = Crypto;
  internal.crypto = cryptoObject;
  internal.performance = performanceObject;
  internal.defineGlobal(g, 'structuredClone', structuredClone);
  internal.defineGlobal(g, 'Crypto', Crypto);
  internal.defineGlobal(g, 'crypto', cryptoObject);
  internal.defineGlobal(g, 'Navigator', Navigator);
  internal.defineGlobal(g, 'navigator', navigatorObject);
  internal.defineGlobal(g, 'Performance', Performance);
  internal.defineGlobal(g, 'performance', performanceObject);
  internal.defineGlobal(g, 'reportError', reportError);
});
