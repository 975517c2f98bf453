// TextEncoder and TextDecoder (UTF-8 only), per the Encoding Standard: https://encoding.spec.whatwg.org/
(function (g, native, internal) {
  'use strict';

  const illegal = () => new TypeError('Illegal invocation');
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  const { defineTag, enumerableMembers } = internal.webidl;

  // Brand checks through the builtins' own getters, which look at internal slots (and work across realms).
  const abByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
  const sabByteLength = typeof SharedArrayBuffer === 'function'
    ? Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'byteLength').get : null;
  const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
  const taTag = Object.getOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag).get;
  const taBuffer = Object.getOwnPropertyDescriptor(TypedArrayProto, 'buffer').get;
  const taByteOffset = Object.getOwnPropertyDescriptor(TypedArrayProto, 'byteOffset').get;
  const taByteLength = Object.getOwnPropertyDescriptor(TypedArrayProto, 'byteLength').get;
  const dvBuffer = Object.getOwnPropertyDescriptor(DataView.prototype, 'buffer').get;
  const dvByteOffset = Object.getOwnPropertyDescriptor(DataView.prototype, 'byteOffset').get;
  const dvByteLength = Object.getOwnPropertyDescriptor(DataView.prototype, 'byteLength').get;
  const isView = ArrayBuffer.isView;

  const tryCall = (getter, v) => {
    try { getter.call(v); return true; } catch { return false; }
  };
  const isArrayBuffer = (v) => isObject(v) && tryCall(abByteLength, v);
  const isSharedArrayBuffer = (v) => sabByteLength !== null && isObject(v) && tryCall(sabByteLength, v);
  const isUint8Array = (v) => isView(v) && taTag.call(v) === 'Uint8Array';

  // Returns a Uint8Array over the bytes of a BufferSource / AllowSharedBufferSource, or null if `v` is not one.
  const bytesOf = (v) => {
    try {
      return viewBytes(v);
    } catch {
      return new Uint8Array(0); // a detached buffer holds no bytes
    }
  };
  const viewBytes = (v) => {
    if (isView(v)) {
      if (taTag.call(v) !== undefined) {
        return new Uint8Array(taBuffer.call(v), taByteOffset.call(v), taByteLength.call(v));
      }
      return new Uint8Array(dvBuffer.call(v), dvByteOffset.call(v), dvByteLength.call(v));
    }
    if (isArrayBuffer(v) || isSharedArrayBuffer(v)) return new Uint8Array(v);
    return null;
  };

  // -------------------------------------------------------------------------------------------------------------
  // TextEncoder

  class TextEncoder {
    #brand = true;

    get encoding() {
      if (!isObject(this) || !(#brand in this)) throw illegal();
      return 'utf-8';
    }

    encode(input = '') {
      if (!isObject(this) || !(#brand in this)) throw illegal();
      return native.utf8Encode(`${input}`);
    }

    encodeInto(source, destination) {
      if (!isObject(this) || !(#brand in this)) throw illegal();
      if (arguments.length < 2) throw new TypeError("Failed to execute 'encodeInto': 2 arguments required");
      source = `${source}`;
      if (!isUint8Array(destination)) {
        throw new TypeError("Failed to execute 'encodeInto': parameter 2 is not of type 'Uint8Array'");
      }
      const r = native.utf8EncodeInto(source, destination);
      return { read: r[0], written: r[1] };
    }
  }
  enumerableMembers(TextEncoder, ['encoding', 'encode', 'encodeInto']);
  defineTag(TextEncoder, 'TextEncoder');

  // -------------------------------------------------------------------------------------------------------------
  // TextDecoder

  const utf8Labels = new Set([
    'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8',
  ]);

  // Strips leading and trailing ASCII whitespace (TAB, LF, FF, CR, SPACE) and ASCII-lowercases.
  const normalizeLabel = (label) => {
    let start = 0, end = label.length;
    const ws = (c) => c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;
    while (start < end && ws(label.charCodeAt(start))) start++;
    while (end > start && ws(label.charCodeAt(end - 1))) end--;
    let out = '';
    for (let i = start; i < end; i++) {
      const c = label.charCodeAt(i);
      out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 0x20) : label[i];
    }
    return out;
  };

  // Length of the trailing bytes of `u8` that form a proper prefix of a well-formed UTF-8 sequence (0..3): those
  // bytes are held back while streaming, because the next chunk may complete them. Everything before them decodes
  // the same whatever follows, since a lead byte can never continue an earlier sequence.
  const incompleteTail = (u8) => {
    const n = u8.length;
    for (let back = 1; back <= 3 && back <= n; back++) {
      const b = u8[n - back];
      if (b >= 0x80 && b <= 0xbf) continue; // a continuation byte: keep looking for the lead
      let need, lo = 0x80, hi = 0xbf;
      if (b >= 0xc2 && b <= 0xdf) need = 2;
      else if (b >= 0xe0 && b <= 0xef) {
        need = 3;
        if (b === 0xe0) lo = 0xa0;
        else if (b === 0xed) hi = 0x9f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 4;
        if (b === 0xf0) lo = 0x90;
        else if (b === 0xf4) hi = 0x8f;
      } else {
        return 0; // ASCII or a byte that can never start a sequence
      }
      if (back >= need) return 0; // complete (or over-long run of continuations): nothing to hold back
      // The bytes after the lead must be valid continuations so far.
      for (let i = 1; i < back; i++) {
        const c = u8[n - back + i];
        if (i === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return 0;
      }
      return back;
    }
    return 0;
  };

  class TextDecoder {
    #fatal;
    #ignoreBOM;
    #pending = null; // Uint8Array of held-back bytes while streaming
    #bomSeen = false;
    #streaming = false;

    constructor(label = 'utf-8', options = undefined) {
      const name = normalizeLabel(`${label}`);
      let fatal = false, ignoreBOM = false;
      if (options !== undefined && options !== null) {
        if (!isObject(options)) throw new TypeError("Failed to construct 'TextDecoder': options is not an object");
        fatal = !!options.fatal;
        ignoreBOM = !!options.ignoreBOM;
      }
      if (!utf8Labels.has(name)) {
        throw new RangeError(`Failed to construct 'TextDecoder': The encoding label provided ('${label}') is invalid.`);
      }
      this.#fatal = fatal;
      this.#ignoreBOM = ignoreBOM;
    }

    get encoding() {
      if (!isObject(this) || !(#fatal in this)) throw illegal();
      return 'utf-8';
    }

    get fatal() {
      if (!isObject(this) || !(#fatal in this)) throw illegal();
      return this.#fatal;
    }

    get ignoreBOM() {
      if (!isObject(this) || !(#fatal in this)) throw illegal();
      return this.#ignoreBOM;
    }

    decode(input = undefined, options = undefined) {
      if (!isObject(this) || !(#fatal in this)) throw illegal();
      let bytes;
      if (input === undefined) {
        bytes = new Uint8Array(0);
      } else {
        bytes = bytesOf(input);
        if (bytes === null) {
          throw new TypeError("Failed to execute 'decode': parameter 1 is not of type 'ArrayBuffer or ArrayBufferView'");
        }
      }
      let stream = false;
      if (options !== undefined && options !== null) {
        if (!isObject(options)) throw new TypeError("Failed to execute 'decode': options is not an object");
        stream = !!options.stream;
      }
      // A decode() that follows a finished (non-streaming) one starts a new stream.
      if (!this.#streaming) {
        this.#pending = null;
        this.#bomSeen = false;
      }
      this.#streaming = stream;

      if (this.#pending !== null) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending, 0);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
        this.#pending = null;
      }
      if (stream) {
        const tail = incompleteTail(bytes);
        if (tail > 0) {
          this.#pending = bytes.slice(bytes.length - tail);
          bytes = bytes.subarray(0, bytes.length - tail);
        }
      }
      let out = bytes.length === 0 ? '' : native.utf8Decode(bytes, this.#fatal);
      if (out === null) {
        this.#pending = null;
        this.#bomSeen = false;
        this.#streaming = false;
        throw new TypeError("Failed to execute 'decode': The encoded data was not valid for encoding utf-8");
      }
      if (!this.#bomSeen && out.length > 0) {
        this.#bomSeen = true;
        if (!this.#ignoreBOM && out.charCodeAt(0) === 0xfeff) out = out.slice(1);
      }
      return out;
    }
  }
  enumerableMembers(TextDecoder, ['encoding', 'fatal', 'ignoreBOM', 'decode']);
  defineTag(TextDecoder, 'TextDecoder');

  internal.TextEncoder = TextEncoder;
  internal.TextDecoder = TextDecoder;
  internal.bytesOf = bytesOf;
  internal.isArrayBuffer = isArrayBuffer;
  internal.isSharedArrayBuffer = isSharedArrayBuffer;
  internal.defineGlobal(g, 'TextEncoder', TextEncoder);
  internal.defineGlobal(g, 'TextDecoder', TextDecoder);
});
