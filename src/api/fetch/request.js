// Request, per the Fetch Standard (https://fetch.spec.whatwg.org/#request-class) with the Workers behaviour: no base
// URL (relative URLs are a TypeError), `cf`, a Request accepted as the init dictionary, unknown members ignored.
// mode/credentials/cache/... are reported with their defaults and otherwise ignored.
(function (g, native, internal) {
  'use strict';

  const {
    headersAdopt, headersList, headersState, headersFill, headerListGet, headerListHas, httpToken,
    extractBody, installBodyMixin, bodyUnusable, cloneBody, transferBody, bodyForWire, bodyFromWire,
  } = internal;

  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  const jsonStringify = JSON.stringify;
  const illegal = () => new TypeError('Illegal invocation');
  const str = (v) => (typeof v === 'string' ? v : `${v}`);
  const defineTag = (proto, tag) => Object.defineProperty(proto, Symbol.toStringTag, {
    value: tag, writable: false, enumerable: false, configurable: true,
  });
  const enumerableMembers = (proto) => {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(proto, name);
      d.enumerable = true;
      Object.defineProperty(proto, name, d);
    }
  };

  // "Normalize" a method after checking it is a token and not forbidden.
  function normalizeMethod(v) {
    const m = str(v);
    switch (m) {
      case 'GET': case 'POST': case 'PUT': case 'DELETE': case 'HEAD': case 'OPTIONS': case 'PATCH': return m;
      default: break;
    }
    if (!httpToken.test(m)) throw new TypeError(`Invalid HTTP method: ${jsonStringify(m)}`);
    const lower = m.toLowerCase();
    switch (lower) {
      case 'connect': case 'trace': case 'track':
        throw new TypeError(`Forbidden HTTP method: ${jsonStringify(m)}`);
      case 'delete': case 'get': case 'head': case 'options': case 'post': case 'put':
        return m.toUpperCase();
      default:
        return m;
    }
  }

  // Parses an absolute URL (workers have no base URL) and returns it serialized; TypeError on failure.
  function parseURLHref(input, forRequest) {
    internal.requireApi('url/url.js');
    const record = internal.parseURL(input);
    if (record === null) throw new TypeError(`Invalid URL: ${input}`);
    if (forRequest && (record.username !== '' || record.password !== '')) {
      throw new TypeError('Request cannot be constructed from a URL that includes credentials');
    }
    return internal.serializeURL(record);
  }
  internal.parseURLHref = parseURLHref;


  const isAbortSignal = (v) => {
    if (typeof internal.isAbortSignal === 'function') return internal.isAbortSignal(v);
    const AS = g.AbortSignal;
    return typeof AS === 'function' && v instanceof AS;
  };
  // A new signal that aborts when `parent` (an AbortSignal or null) does; null if there is no AbortSignal.
  function followingSignal(parent) {
    const AS = internal.AbortSignal || g.AbortSignal;
    if (parent !== null) return AS && typeof AS.any === 'function' ? AS.any([parent]) : parent;
    if (typeof internal.newAbortSignal === 'function') return internal.newAbortSignal();
    const AC = internal.AbortController || g.AbortController;
    return typeof AC === 'function' ? new AC().signal : null;
  }

  const REDIRECT_MODES = ['follow', 'error', 'manual'];
  const INTERNAL = Symbol('internal');

  // Stands for the `cf` of a request from a client until request.cf is first read: Workers'
  // IncomingRequestCfProperties, with what a single self-hosted node knows (no geolocation, no TLS: a proxy
  // in front terminates it).
  const INCOMING_CF = Symbol('incoming cf');
  const incomingCf = (hlist) => ({
    asn: 0,
    asOrganization: '',
    colo: 'islet',
    country: null,
    city: null,
    continent: null,
    region: null,
    regionCode: null,
    postalCode: null,
    metroCode: null,
    latitude: null,
    longitude: null,
    timezone: null,
    httpProtocol: 'HTTP/1.1',
    requestPriority: '',
    tlsVersion: '',
    tlsCipher: '',
    tlsClientAuth: null,
    clientTcpRtt: 0,
    clientAcceptEncoding: headerListGet(hlist, 'accept-encoding') ?? '',
    edgeRequestKeepAliveStatus: 1,
  });

  let isRequest, stateOf, listOf, signalOf;

  class Request {
    #method = 'GET';
    #url = '';
    #headers = null;     // the Headers object, made on first access
    #hlist = null;       // the flat header list until then
    #immutable = false;
    #body = null;        // a BodyState or null
    #redirect = 'follow';
    #signal = undefined; // made on first access
    #parentSignal = null;
    #cf = undefined;

    constructor(input, init = undefined) {
      if (input === INTERNAL) return;
      if (arguments.length === 0) {
        throw new TypeError("Failed to construct 'Request': 1 argument required, but only 0 present.");
      }
      let inputReq = null;
      let url;
      if (isRequest(input)) {
        inputReq = input;
        url = input.#url;
      } else {
        url = parseURLHref(str(input), true);
      }
      if (init !== undefined && init !== null && !isObject(init)) {
        throw new TypeError("Failed to construct 'Request': The provided value is not of type 'RequestInit'.");
      }

      let method = 'GET', redirect = 'follow', parentSignal = null, cf;
      if (inputReq !== null) {
        method = inputReq.#method;
        redirect = inputReq.#redirect;
        parentSignal = signalOf(inputReq);
        cf = inputReq.#cf;
      }

      let hlist = null;       // set when init gives headers
      let initBodyRaw;        // init.body as given (undefined when absent); a BodyState when init is a Request
      let initReq = null;
      if (init !== undefined && init !== null) {
        if (isRequest(init)) {
          // Workers: a Request as the init dictionary supplies everything but the URL.
          initReq = init;
          method = init.#method;
          redirect = init.#redirect;
          parentSignal = signalOf(init);
          cf = init.#cf;
          hlist = listOf(init).slice();
          initBodyRaw = init.#body === null ? undefined : init.#body;
        } else {
          initBodyRaw = init.body;
          const initCf = init.cf;
          const initHeaders = init.headers;
          const initMethod = init.method;
          const initRedirect = init.redirect;
          const initSignal = init.signal;
          if (initCf !== undefined) cf = initCf;
          if (initHeaders !== undefined) {
            hlist = [];
            headersFill(hlist, initHeaders);
          }
          if (initMethod !== undefined) method = normalizeMethod(initMethod);
          if (initRedirect !== undefined) {
            redirect = str(initRedirect);
            if (!REDIRECT_MODES.includes(redirect)) {
              throw new TypeError(`Invalid redirect value: ${jsonStringify(redirect)}; ` +
                "expected 'follow', 'error' or 'manual'");
            }
          }
          if (initSignal !== undefined) {
            if (initSignal !== null && !isAbortSignal(initSignal)) {
              throw new TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
            }
            parentSignal = initSignal;
          }
        }
      }
      if (hlist === null) hlist = inputReq !== null ? listOf(inputReq).slice() : [];

      const inputBody = inputReq !== null ? inputReq.#body : null;
      const hasInitBody = initBodyRaw !== undefined && initBodyRaw !== null;
      if ((hasInitBody || inputBody !== null) && (method === 'GET' || method === 'HEAD')) {
        throw new TypeError('Request with a GET or HEAD method cannot have a body.');
      }
      let body = null;
      if (initReq !== null && hasInitBody) {
        if (bodyUnusable(initBodyRaw)) throw new TypeError('Cannot construct a Request from a Request whose body has already been used.');
        body = transferBody(initBodyRaw);
      } else if (hasInitBody) {
        body = extractBody(initBodyRaw);
        if (body.type !== null && !headerListHas(hlist, 'content-type')) hlist.push('content-type', body.type);
      } else if (inputBody !== null) {
        if (bodyUnusable(inputBody)) throw new TypeError('Cannot construct a Request from a Request whose body has already been used.');
        body = transferBody(inputBody);
      }

      this.#method = method;
      this.#url = url;
      this.#hlist = hlist;
      this.#body = body;
      this.#redirect = redirect;
      this.#parentSignal = parentSignal;
      this.#cf = cf;
    }

    static {
      isRequest = (v) => isObject(v) && #body in v;
      stateOf = (r) => {
        if (!isRequest(r)) throw illegal();
        return r.#body;
      };
      listOf = (r) => (r.#headers === null ? r.#hlist : headersList(r.#headers));
      // The signal a copy of `r` follows: r's own if already made, else the one r follows (equivalent).
      signalOf = (r) => (r.#signal !== undefined ? r.#signal : r.#parentSignal);

      // The Request a fetch handler receives. `method` and `url` (absolute, serialized) are trusted; `headers` is a
      // flat [name, value, ...] list with lower-case valid names, adopted without a copy or validation; `body` is
      // null, a Uint8Array (adopted), a native body's id (a number) or a ReadableStream. A GET or HEAD request gets a null body, so that the usual
      // `new Request(request, ...)` does not throw.
      // `cf` defaults to the incoming request's properties (made on first access of request.cf).
      internal.makeIncomingRequest = (method, url, headers, body, cf = INCOMING_CF) => {
        const r = new Request(INTERNAL);
        r.#method = method;
        r.#url = url;
        r.#hlist = headers;
        r.#immutable = true;
        r.#body = method === 'GET' || method === 'HEAD' ? null : bodyFromWire(body);
        r.#cf = cf;
        return r;
      };

      internal.requestParts = (r) => {
        if (!isRequest(r)) throw new TypeError('Not a Request');
        const body = r.#body;
        return {
          method: r.#method,
          url: r.#url,
          headers: listOf(r).slice(),
          body: body === null ? null : bodyForWire(body),
          redirect: r.#redirect,
          signal: signalOf(r),
          cf: r.#cf === INCOMING_CF ? undefined : r.#cf,
        };
      };
    }

    get method() { return this.#method; }
    get url() { return this.#url; }

    get headers() {
      let h = this.#headers;
      if (h === null) {
        h = this.#headers = headersAdopt(this.#hlist, this.#immutable);
        this.#hlist = null;
      }
      return h;
    }

    get redirect() { return this.#redirect; }

    get signal() {
      let s = this.#signal;
      if (s === undefined) s = this.#signal = followingSignal(this.#parentSignal);
      return s;
    }

    get cf() {
      let cf = this.#cf;
      if (cf === INCOMING_CF) cf = this.#cf = incomingCf(listOf(this));
      return cf;
    }

    // Fetch members Workers does not act on: their defaults.
    get destination() { stateOf(this); return ''; }
    get referrer() { stateOf(this); return 'about:client'; }
    get referrerPolicy() { stateOf(this); return ''; }
    get mode() { stateOf(this); return 'cors'; }
    get credentials() { stateOf(this); return 'same-origin'; }
    get cache() { stateOf(this); return 'default'; }
    get integrity() { stateOf(this); return ''; }
    get keepalive() { stateOf(this); return false; }
    get isReloadNavigation() { stateOf(this); return false; }
    get isHistoryNavigation() { stateOf(this); return false; }
    get duplex() { stateOf(this); return 'half'; }

    clone() {
      const body = this.#body;
      if (body !== null && bodyUnusable(body)) throw new TypeError('Cannot clone a Request whose body has already been used.');
      const r = new Request(INTERNAL);
      r.#method = this.#method;
      r.#url = this.#url;
      r.#hlist = listOf(this).slice();
      r.#immutable = this.#headers === null ? this.#immutable : headersState(this.#headers).immutable;
      r.#body = body === null ? null : cloneBody(body);
      r.#redirect = this.#redirect;
      r.#parentSignal = signalOf(this);
      r.#cf = this.#cf;
      return r;
    }
  }

  enumerableMembers(Request.prototype);
  installBodyMixin(Request.prototype, stateOf, (r) => headerListGet(listOf(r), 'content-type'));
  defineTag(Request.prototype, 'Request');

  internal.Request = Request;
  internal.isRequest = isRequest;
  internal.normalizeMethod = normalizeMethod;
  internal.defineGlobal(g, 'Request', Request);
})
