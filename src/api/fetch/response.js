// Response, per the Fetch Standard (https://fetch.spec.whatwg.org/#response-class), with the Workers extras
// (`webSocket` for a 101 upgrade, `cf`, `encodeBody` ignored), and the runtime's side of the contract:
// internal.responseParts turns a Response into what the server writes to the client.
(function (g, native, internal) {
  'use strict';

  const {
    headersAdopt, headersList, headersState, headersFill, headerListHas,
    extractBody, stringBody, installBodyMixin, bodyUnusable, cloneBody, bodyForWire, bodyFromWire, headerListGet,
  } = internal;

  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  const jsonStringify = JSON.stringify;
  const illegal = () => new TypeError('Illegal invocation');
  const str = (v) => (typeof v === 'string' ? v : `${v}`);
  const defineTag = (proto, tag) => Object.defineProperty(proto, Symbol.toStringTag, {
    value: tag, writable: false, enumerable: false, configurable: true,
  });
  const enumerableMembers = (obj, skip) => {
    for (const name of Object.getOwnPropertyNames(obj)) {
      if (skip.includes(name)) continue;
      const d = Object.getOwnPropertyDescriptor(obj, name);
      d.enumerable = true;
      Object.defineProperty(obj, name, d);
    }
  };

  // WebIDL unsigned short conversion. Always returns a small integer (never a heap number, which would change the
  // representation of the #status field).
  function toUnsignedShort(v) {
    if (typeof v === 'number' && (v & 0xffff) === v) return v;
    const n = Number(v);
    if (!Number.isFinite(n)) return 0;
    const m = Math.trunc(n) % 65536;
    return (m < 0 ? m + 65536 : m) | 0;
  }

  const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;
  const isNullBodyStatus = (s) => s === 204 || s === 205 || s === 304 || s === 101 || s === 103;
  const isRedirectStatus = (s) => s === 301 || s === 302 || s === 303 || s === 307 || s === 308;

  const parseURLHref = internal.parseURLHref;  // defined by request.js


  const INTERNAL = Symbol('internal');
  let isResponse, stateOf, listOf, initialize;

  class Response {
    #status = 200;
    #statusText = '';
    #headers = null;   // the Headers object, made on first access
    #hlist = null;     // the flat header list until then
    #immutable = false;
    #body = null;      // a BodyState or null
    #type = 'default';
    #url = '';
    #redirected = false;
    #cf = undefined;
    #webSocket = null;  // Workers: the client end of a WebSocketPair, handed over by a 101

    constructor(body = null, init = undefined) {
      if (body === INTERNAL) return;
      const state = body === null || body === undefined ? null : extractBody(body);
      initialize(this, init, state);
    }

    static {
      isResponse = (v) => isObject(v) && #body in v;
      stateOf = (r) => {
        if (!isResponse(r)) throw illegal();
        return r.#body;
      };
      listOf = (r) => (r.#headers === null ? r.#hlist : headersList(r.#headers));

      // "Initialize a response" with a ResponseInit (or undefined/null) and a BodyState (or null).
      initialize = (r, init, body) => {
        let status = 200, statusText = '', initHeaders, cf, webSocket = null;
        if (init !== undefined && init !== null) {
          if (!isObject(init)) {
            throw new TypeError("Failed to construct 'Response': The provided value is not of type 'ResponseInit'.");
          }
          cf = init.cf;
          initHeaders = init.headers;
          const ws = init.webSocket;
          if (ws !== undefined && ws !== null) {
            if (typeof internal.isWebSocket !== 'function' || !internal.isWebSocket(ws)) {
              throw new TypeError("Failed to construct 'Response': member webSocket is not of type 'WebSocket'.");
            }
            webSocket = ws;
          }
          const s = init.status;
          const t = init.statusText;
          if (s !== undefined) status = toUnsignedShort(s);
          if (t !== undefined) statusText = str(t);
        }
        if (webSocket !== null && status !== 101) {
          throw new RangeError("Failed to construct 'Response': a Response with a webSocket must have status 101.");
        }
        if ((status < 200 || status > 599) && webSocket === null) {
          throw new RangeError(`Failed to construct 'Response': The status provided (${status}) is outside the range [200, 599].`);
        }
        if (statusText !== '' && !REASON_PHRASE.test(statusText)) throw new TypeError('Invalid statusText');
        const hlist = [];
        if (initHeaders !== undefined) headersFill(hlist, initHeaders);
        if (body !== null) {
          if (isNullBodyStatus(status)) {
            throw new TypeError(`Response with null body status (${status}) cannot have a body.`);
          }
          if (body.type !== null && !headerListHas(hlist, 'content-type')) hlist.push('content-type', body.type);
        }
        r.#status = status;
        r.#statusText = statusText;
        r.#hlist = hlist;
        r.#body = body;
        r.#cf = cf;
        r.#webSocket = webSocket;
      };

      // What the server sends for a Response: { status, statusText, headers, body }. `headers` is the flat list
      // [name, value, ...] in insertion order (lower-case names, set-cookie values separate; names and values are
      // ByteStrings: one char per byte, Latin-1), to be copied before JS runs again: it may be the Response's own
      // array. `body` is null, a string (to be sent UTF-8 encoded), a Uint8Array, a native body's id (a number: the
      // runtime moves its bytes) or a ReadableStream of Uint8Arrays.
      // status 0 means Response.error(). `webSocket` is the WebSocket a 101 hands to the client, or null. Marks the
      // body used; TypeError if `r` is not a Response or its body was used.
      internal.responseParts = (r) => {
        if (!isResponse(r)) throw new TypeError('Not a Response');
        const body = r.#body;
        return {
          status: r.#status,
          statusText: r.#statusText,
          headers: r.#headers === null ? r.#hlist : headersList(r.#headers).slice(),
          body: body === null ? null : bodyForWire(body),
          webSocket: r.#webSocket,
        };
      };

      // A Response for the runtime (e.g. a fetch() result): headers a flat list with lower-case names (adopted, not
      // validated, immutable), body null, a Uint8Array, a string, a native body's id or a ReadableStream.
      internal.makeResponse = (status, statusText, headers, body, url = '', redirected = false) => {
        const r = new Response(INTERNAL);
        r.#status = status;
        r.#statusText = statusText;
        r.#hlist = headers;
        r.#immutable = true;
        r.#body = bodyFromWire(body);
        r.#url = url;
        r.#redirected = redirected;
        return r;
      };
    }

    static error() {
      const r = new Response(INTERNAL);
      r.#type = 'error';
      r.#status = 0;
      r.#hlist = [];
      r.#immutable = true;
      return r;
    }

    static redirect(url, status = 302) {
      if (arguments.length === 0) {
        throw new TypeError("Failed to execute 'redirect' on 'Response': 1 argument required, but only 0 present.");
      }
      const href = parseURLHref(str(url), false);
      status = toUnsignedShort(status);
      if (!isRedirectStatus(status)) {
        throw new RangeError(`Failed to execute 'redirect' on 'Response': Invalid status code ${status}`);
      }
      const r = new Response(INTERNAL);
      r.#status = status;
      r.#hlist = ['location', href];
      r.#immutable = true;
      return r;
    }

    static json(data, init = undefined) {
      if (arguments.length === 0) {
        throw new TypeError("Failed to execute 'json' on 'Response': 1 argument required, but only 0 present.");
      }
      const text = jsonStringify(data);
      if (text === undefined) throw new TypeError('Response.json: the data cannot be serialized to JSON');
      const r = new Response(INTERNAL);
      initialize(r, init, stringBody(text, 'application/json'));
      return r;
    }

    get type() { return this.#type; }
    get url() { return this.#url; }
    get redirected() { return this.#redirected; }
    get status() { return this.#status; }
    get ok() { const s = this.#status; return s >= 200 && s <= 299; }
    get statusText() { return this.#statusText; }

    get headers() {
      let h = this.#headers;
      if (h === null) {
        h = this.#headers = headersAdopt(this.#hlist, this.#immutable);
        this.#hlist = null;
      }
      return h;
    }

    // Workers extras.
    get webSocket() { stateOf(this); return this.#webSocket; }
    get cf() { return this.#cf; }

    clone() {
      const body = this.#body;
      if (body !== null && bodyUnusable(body)) {
        throw new TypeError('Cannot clone a Response whose body has already been used.');
      }
      const r = new Response(INTERNAL);
      r.#status = this.#status;
      r.#statusText = this.#statusText;
      r.#hlist = listOf(this).slice();
      r.#immutable = this.#headers === null ? this.#immutable : headersState(this.#headers).immutable;
      r.#body = body === null ? null : cloneBody(body);
      r.#type = this.#type;
      r.#url = this.#url;
      r.#redirected = this.#redirected;
      r.#cf = this.#cf;
      return r;
    }
  }

  enumerableMembers(Response.prototype, ['constructor']);
  enumerableMembers(Response, ['length', 'name', 'prototype']);
  installBodyMixin(Response.prototype, stateOf, (r) => headerListGet(listOf(r), 'content-type'));
  defineTag(Response.prototype, 'Response');

  internal.Response = Response;
  internal.isResponse = isResponse;
  internal.defineGlobal(g, 'Response', Response);
})
