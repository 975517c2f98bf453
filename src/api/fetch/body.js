// The Body mixin, per the Fetch Standard: https://fetch.spec.whatwg.org/#body-mixin
// A body is a BodyState { kind, src, type, used, shared }; a null body is represented by `null`. The source is kept
// in the cheapest form it arrived in (a string stays a string until someone wants its bytes, a body still on a socket
// stays the runtime's) and only turned into a ReadableStream when a worker reads `.body` or clones it. The streams
// family loads on first use (engine::LazyApi): a worker that never touches a stream never holds it.
(function (g, native, internal) {
  'use strict';

  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  // Builtins used on hot paths, captured at load time (a worker may replace the globals).
  const PromiseCtor = Promise;
  const promiseResolve = (v) => PromiseCtor.resolve(v);
  const promiseReject = (e) => PromiseCtor.reject(e);
  const Uint8ArrayCtor = Uint8Array;
  const ArrayBufferCtor = ArrayBuffer;
  const { isView } = ArrayBuffer;
  const jsonParse = JSON.parse;

  const K_STRING = 1; // src: a string (encoded as UTF-8 when bytes are needed)
  const K_BYTES = 2;  // src: a Uint8Array nobody else can write to
  const K_BLOB = 3;   // src: a Blob
  const K_STREAM = 4; // src: a ReadableStream
  const K_NATIVE = 5; // src: the id of a body the runtime holds (a request's on the client's socket, a fetch()
                      // response's on the upstream's): read whole through native.bodyRead, or handed on by id

  const TEXT_PLAIN = 'text/plain;charset=UTF-8';
  const FORM_URLENCODED = 'application/x-www-form-urlencoded;charset=UTF-8';
  const EMPTY = new Uint8ArrayCtor(0);

  class BodyState {
    constructor(kind, src, type) {
      this.kind = kind;
      this.src = src;
      this.type = type;    // the Content-Type extraction produced, or null
      this.used = false;   // consumed, transferred or handed to the server
      this.shared = false; // src (bytes) is shared with a clone: copy before handing it out
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Type checks that work for objects from any realm

  const abByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
  const isArrayBuffer = (v) => {
    if (v instanceof ArrayBufferCtor) return true;
    try { abByteLength.call(v); return true; } catch { return false; }
  };
  // Until streams.js has run no ReadableStream exists, so nothing is one; until blob.js has, no Blob or FormData;
  // until url.js has, no URLSearchParams.
  const isReadableStream = (v) => internal.isReadableStream !== undefined && internal.isReadableStream(v);
  const isBlob = (v) => internal.isBlob !== undefined && internal.isBlob(v);
  const isFormData = (v) => internal.FormData !== undefined && v instanceof internal.FormData;
  const isURLSearchParams = (v) => internal.isURLSearchParams !== undefined && internal.isURLSearchParams(v);
  const loadStreams = () => internal.requireApi('streams/streams.js');
  const loadBlob = () => internal.requireApi('blob/blob.js');
  // Whether a stream has been read from (only ever asked of a stream: the family is loaded).
  const isDisturbed = (stream) => internal.isReadableStreamDisturbed(stream);

  // The UTF-8 text of a string body: lone surrogates become U+FFFD (as encoding then decoding would) and a leading
  // BOM is dropped (as "UTF-8 decode" does).
  const LONE_SURROGATE = /\p{Surrogate}/u;
  const LONE_SURROGATES = /\p{Surrogate}/gu;
  function stringText(s) {
    if (s.length !== 0 && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    return LONE_SURROGATE.test(s) ? s.replace(LONE_SURROGATES, '\ufffd') : s;
  }
  function bytesText(u8) {
    if (u8.byteLength === 0) return '';
    const s = native.utf8Decode(u8, false);
    return s.length !== 0 && s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  }

  const copyView = (v) => new Uint8ArrayCtor(v.buffer, v.byteOffset, v.byteLength).slice();

  // ---------------------------------------------------------------------------------------------------------------
  // Extracting a body (https://fetch.spec.whatwg.org/#concept-bodyinit-extract); `v` is neither null nor undefined.

  function extractBody(v) {
    if (typeof v === 'string') return new BodyState(K_STRING, v, TEXT_PLAIN);
    if (isObject(v)) {
      if (isView(v)) return new BodyState(K_BYTES, copyView(v), null);
      if (v instanceof ArrayBufferCtor) return new BodyState(K_BYTES, new Uint8ArrayCtor(v.slice(0)), null);
      if (isReadableStream(v)) {
        if (v.locked || isDisturbed(v)) throw new TypeError('The ReadableStream body is locked or has been read from');
        return new BodyState(K_STREAM, v, null);
      }
      if (isURLSearchParams(v)) {
        return new BodyState(K_STRING, internal.serializeURLSearchParams(v), FORM_URLENCODED);
      }
      if (isBlob(v)) return new BodyState(K_BLOB, v, v.type === '' ? null : v.type);
      if (isFormData(v)) return formDataBody(v);
      if (isArrayBuffer(v)) return new BodyState(K_BYTES, new Uint8ArrayCtor(v.slice(0)), null); // another realm's
    }
    return new BodyState(K_STRING, `${v}`, TEXT_PLAIN);
  }

  // multipart/form-data serialization (blob.js: a FormData exists only once it has run).
  function formDataBody(fd) {
    const { contentType, bytes } = internal.serializeFormData(fd);
    return new BodyState(K_BYTES, bytes, contentType);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Streams

  function byteStream(bytes) {
    loadStreams();
    return internal.readableStreamFromBytes(bytes);
  }

  // The stream of a body (`body` getter, clone): turns the source into a ReadableStream once.
  function bodyStream(s) {
    if (s.kind === K_STREAM) return s.src;
    let stream;
    if (s.used || s.src === null) {
      stream = byteStream(EMPTY);
    } else if (s.kind === K_NATIVE) {
      stream = internal.nativeBodyStream(s.src);
    } else if (s.kind === K_BLOB) {
      stream = s.src.stream();
    } else {
      stream = byteStream(s.kind === K_STRING ? native.utf8Encode(s.src) : s.shared ? s.src.slice() : s.src);
    }
    s.kind = K_STREAM;
    s.src = stream;
    return stream;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Consuming a body

  const unusable = (s) => s.used || (s.kind === K_STREAM && (s.src.locked || isDisturbed(s.src)));
  const isUsed = (s) => s.used || (s.kind === K_STREAM && isDisturbed(s.src));
  const usedError = () => new TypeError('Body has already been used. It can only be used once. Use tee() first if you need to read it twice.');

  // Marks `s` used and drops a source that nothing can read any more (streams are kept: `body` returns them).
  function retire(s) {
    s.used = true;
    if (s.kind !== K_STREAM) s.src = null;
  }

  // A promise of all the bytes of `s` (not null, usable); marks it used. The result may be the body's own array.
  function takeBytes(s) {
    const { kind, src, shared } = s;
    retire(s);
    switch (kind) {
      case K_STRING: return promiseResolve(native.utf8Encode(src));
      case K_BYTES: return promiseResolve(shared ? src.slice() : src);
      case K_BLOB: return src.arrayBuffer().then((ab) => new Uint8ArrayCtor(ab));
      case K_NATIVE: return internal.readNativeBody(src);
      default: return internal.readAllBytes(src);
    }
  }
  function takeText(s) {
    if (s.kind === K_STRING) {
      const src = s.src;
      retire(s);
      return promiseResolve(stringText(src));
    }
    return takeBytes(s).then(bytesText);
  }

  // The ArrayBuffer holding exactly `u8`, without a copy when `u8` spans its whole (unshared) buffer.
  function exactBuffer(u8) {
    const buf = u8.buffer;
    if (u8.byteOffset === 0 && u8.byteLength === buf.byteLength && buf instanceof ArrayBufferCtor) return buf;
    return u8.slice().buffer;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The mixin

  // Defines the Body members on `proto`. `stateOf(obj)` returns obj's BodyState or null and throws a TypeError for a
  // wrong `this`; `contentTypeOf(obj)` returns its Content-Type header value or null.
  function installBodyMixin(proto, stateOf, contentTypeOf) {
    // Runs `then(bytes|text)` over the body; rejects (never throws) on a wrong receiver or an unusable body.
    const consume = (self, asText, then) => {
      let s;
      try { s = stateOf(self); } catch (e) { return promiseReject(e); }
      if (s === null) return promiseResolve(asText ? '' : EMPTY).then(then);
      if (unusable(s)) return promiseReject(usedError());
      return (asText ? takeText(s) : takeBytes(s)).then(then);
    };
    const members = {
      get body() {
        const s = stateOf(this);
        return s === null ? null : bodyStream(s);
      },
      get bodyUsed() {
        const s = stateOf(this);
        return s !== null && isUsed(s);
      },
      arrayBuffer() {
        return consume(this, false, (u8) => (u8 === EMPTY ? new ArrayBufferCtor(0) : exactBuffer(u8)));
      },
      bytes() {
        return consume(this, false, (u8) => (u8 === EMPTY ? new Uint8ArrayCtor(0) : u8));
      },
      text() {
        return consume(this, true, (t) => t);
      },
      json() {
        return consume(this, true, (t) => jsonParse(t));
      },
      blob() {
        loadBlob();
        const Blob = internal.Blob;
        let s, type;
        try {
          s = stateOf(this);
          type = contentTypeOf(this);
        } catch (e) {
          return promiseReject(e);
        }
        type = type === null ? '' : type;
        if (s !== null && s.kind === K_BLOB && !unusable(s)) {
          const blob = s.src;
          retire(s);
          return promiseResolve(blob.slice(0, blob.size, type));
        }
        return consume(this, false, (u8) => new Blob(u8 === EMPTY ? [] : [u8], { type }));
      },
      formData() {
        loadBlob();
        let type;
        try { type = contentTypeOf(this); } catch (e) { return promiseReject(e); }
        return consume(this, false, (u8) => internal.parseFormData(u8, type));
      },
    };
    for (const name of Object.getOwnPropertyNames(members)) {
      const d = Object.getOwnPropertyDescriptor(members, name);
      d.enumerable = true;
      Object.defineProperty(proto, name, d);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Helpers for Request, Response and the runtime

  // A new BodyState reading the same data (the spec's "clone a body"): a stream is teed (a native body becomes
  // one first), other sources are shared.
  function cloneBody(s) {
    if (s.kind === K_STREAM || s.kind === K_NATIVE) {
      const [a, b] = bodyStream(s).tee();
      s.src = a;
      return new BodyState(K_STREAM, b, s.type);
    }
    s.shared = true;
    const c = new BodyState(s.kind, s.src, s.type);
    c.shared = true;
    return c;
  }

  // Moves the data of `s` (usable) into a new BodyState; `s` becomes used.
  function transferBody(s) {
    const t = new BodyState(s.kind, s.src, s.type);
    t.shared = s.shared;
    s.used = true;
    s.kind = K_BYTES;
    s.src = null;
    return t;
  }

  // The body in the form the server sends it: a string (to be UTF-8 encoded), a Uint8Array, a ReadableStream or a
  // number (a native body's id, handed on whole). Marks `s` used; TypeError if it was already used.
  function bodyForWire(s) {
    if (unusable(s)) throw usedError();
    const { kind, src } = s;
    s.used = true;
    if (kind !== K_STREAM) s.src = null;
    return kind === K_BLOB ? internal.blobBytes(src) : src;
  }

  // A body over bytes the runtime owns (no copy), a native body's id, or a ReadableStream.
  function bodyFromWire(v) {
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return new BodyState(K_STRING, v, null);
    if (typeof v === 'number') return new BodyState(K_NATIVE, v, null);
    if (isView(v)) return new BodyState(K_BYTES, v, null);
    return new BodyState(K_STREAM, v, null);
  }

  // A string body with the given Content-Type (Response.json and the like).
  const stringBody = (text, type) => new BodyState(K_STRING, text, type);

  internal.extractBody = extractBody;
  internal.stringBody = stringBody;
  internal.installBodyMixin = installBodyMixin;
  internal.bodyUnusable = unusable;
  internal.cloneBody = cloneBody;
  internal.transferBody = transferBody;
  internal.bodyForWire = bodyForWire;
  internal.bodyFromWire = bodyFromWire;
})
