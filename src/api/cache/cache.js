// The Workers Cache API (https://developers.cloudflare.com/workers/runtime-apis/cache/): `caches.default` and
// `caches.open(name)`, each a Cache with match / put / delete over the node's HTTP cache (native.cache*), shared
// by the isolates of one account. This half decides what may be stored and for how long (Cache-Control, Expires,
// Set-Cookie, Cloudflare's default TTLs by status); the native half stores bytes.
(function (g, native, internal) {
  'use strict';

  const { Request, isRequest, isResponse, responseParts, makeResponse, bodyUnusable, headerListGet } = internal;
  const apply = Reflect.apply;
  const isView = ArrayBuffer.isView;
  const dateParse = Date.parse;
  const dateNow = Date.now;
  const requestUrl = Object.getOwnPropertyDescriptor(Request.prototype, 'url').get;
  const requestMethod = Object.getOwnPropertyDescriptor(Request.prototype, 'method').get;
  const requestHeaders = Object.getOwnPropertyDescriptor(Request.prototype, 'headers').get;
  const headersGet = internal.Headers.prototype.get;
  const responseStatus = Object.getOwnPropertyDescriptor(internal.Response.prototype, 'status').get;
  const responseWebSocket = Object.getOwnPropertyDescriptor(internal.Response.prototype, 'webSocket').get;

  const kMaxBodyBytes = 512 * 1024;  // as the native store's per-entry limit
  // Cloudflare's edge TTLs (seconds) for a response that says nothing about its freshness.
  const kDefaultTtl = { 200: 7200, 206: 7200, 301: 7200, 302: 1200, 303: 1200, 404: 180, 410: 180 };
  const nullBodyStatus = (s) => s === 204 || s === 205 || s === 304;

  // The cache key and method of a match/put/delete argument: a Request, or a URL string (a GET).
  function keyOf(request, what) {
    let r = request;
    if (!isRequest(r)) {
      try {
        r = new Request(`${request}`);
      } catch (e) {
        throw new TypeError(`Cache.${what}: ${e.message}`);
      }
    }
    let url = apply(requestUrl, r, []);
    const hash = url.indexOf('#');
    if (hash !== -1) url = url.slice(0, hash);
    return { url, method: apply(requestMethod, r, []), request: r };
  }

  // Cache-Control as a Map of lower-case directive -> value ('' when it has none).
  function parseCacheControl(value) {
    const out = new Map();
    if (value === null) return out;
    const re = /\s*([^\s=,]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?\s*(?:,|$)/gy;
    let m;
    while (re.lastIndex < value.length && (m = re.exec(value)) !== null) {
      const name = m[1].toLowerCase();
      if (!out.has(name)) out.set(name, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? ''));
      if (m[0] === '') break;
    }
    return out;
  }

  const seconds = (v) => {
    if (!/^\d+$/.test(v)) return null;
    return Number(v);
  };

  // How long a response may be served from the cache, in seconds (0: not stored), and the header list to store
  // (Set-Cookie removed when Cache-Control allows it with private=Set-Cookie).
  function freshness(status, headers) {
    const cc = parseCacheControl(headerListGet(headers, 'cache-control'));
    if (cc.has('no-store') || cc.has('no-cache')) return { ttl: 0, headers };
    if (cc.has('private')) {
      const fields = cc.get('private').split(',').map((f) => f.trim().toLowerCase()).filter((f) => f !== '');
      if (fields.length === 0 || fields.some((f) => f !== 'set-cookie')) return { ttl: 0, headers };
      const kept = [];
      for (let i = 0; i < headers.length; i += 2) {
        if (headers[i] !== 'set-cookie') kept.push(headers[i], headers[i + 1]);
      }
      headers = kept;
    }
    if (headerListGet(headers, 'set-cookie') !== null) return { ttl: 0, headers };
    const sMaxAge = cc.has('s-maxage') ? seconds(cc.get('s-maxage')) : null;
    if (sMaxAge !== null) return { ttl: sMaxAge, headers };
    const maxAge = cc.has('max-age') ? seconds(cc.get('max-age')) : null;
    if (maxAge !== null) return { ttl: maxAge, headers };
    const expires = headerListGet(headers, 'expires');
    if (expires !== null) {
      // An Expires that is not a date means "already expired" (RFC 9111 5.3).
      const at = dateParse(expires);
      if (!(at === at)) return { ttl: 0, headers };
      const date = headerListGet(headers, 'date');
      const base = date !== null && dateParse(date) === dateParse(date) ? dateParse(date) : dateNow();
      return { ttl: Math.max(0, Math.floor((at - base) / 1000)), headers };
    }
    return { ttl: kDefaultTtl[status] ?? 0, headers };
  }

  // The body as one Uint8Array, at most kMaxBodyBytes (RangeError past it; a stream is cancelled).
  async function readBody(body) {
    if (body === null) return new Uint8Array(0);
    if (typeof body === 'string') body = native.utf8Encode(body);
    const tooLarge = () => new RangeError(`Cache.put: the response body is over the cache's limit of ${kMaxBodyBytes} bytes`);
    if (isView(body)) {
      if (body.byteLength > kMaxBodyBytes) throw tooLarge();
      return body;
    }
    if (typeof body === 'number') body = internal.nativeBodyStream(body);  // a fetch() response's, still upstream
    const reader = internal.byteReader(body);
    const chunks = [];
    let total = 0;
    for (;;) {
      const chunk = await reader.read();
      if (chunk === null) break;
      total += chunk.byteLength;
      if (total > kMaxBodyBytes) {
        const e = tooLarge();
        reader.cancel(e).catch(() => {});
        throw e;
      }
      chunks.push(chunk);
    }
    return internal.concatBytes(chunks, total);
  }

  // A strong or weak entity tag in If-None-Match matching the stored ETag (weak comparison).
  function etagMatches(ifNoneMatch, etag) {
    if (etag === null) return false;
    const bare = (t) => t.trim().replace(/^W\//, '');
    if (ifNoneMatch.trim() === '*') return true;
    return ifNoneMatch.split(',').some((t) => bare(t) === bare(etag));
  }

  let cacheName;

  class Cache {
    #name;
    constructor(token, name) {
      if (token !== TOKEN) throw new TypeError('Illegal constructor');
      this.#name = name;
    }
    static {
      cacheName = (c) => {
        if (c === null || typeof c !== 'object' || !(#name in c)) throw new TypeError('Illegal invocation');
        return c.#name;
      };
    }

    async match(request, options = undefined) {
      const name = cacheName(this);
      const key = keyOf(request, 'match');
      if (key.method !== 'GET' && !(options && options.ignoreMethod)) return undefined;
      const hit = native.cacheMatch(name, key.url);
      if (hit === null) return undefined;
      const [status, statusText, headers, body, age] = hit;
      for (let i = headers.length - 2; i >= 0; i -= 2) {
        if (headers[i] === 'age' || headers[i] === 'cf-cache-status') headers.splice(i, 2);
      }
      headers.push('cf-cache-status', 'HIT', 'age', `${age}`);
      const ifNoneMatch = apply(headersGet, apply(requestHeaders, key.request, []), ['if-none-match']);
      if (ifNoneMatch !== null && status === 200 && etagMatches(ifNoneMatch, headerListGet(headers, 'etag'))) {
        return makeResponse(304, 'Not Modified', headers, null);
      }
      return makeResponse(status, statusText, headers, nullBodyStatus(status) ? null : body);
    }

    async put(request, response) {
      const name = cacheName(this);
      const key = keyOf(request, 'put');
      if (key.method !== 'GET') throw new TypeError('Cache.put: only GET requests can be cached');
      if (!isResponse(response)) throw new TypeError("Cache.put: parameter 2 is not of type 'Response'");
      const status = apply(responseStatus, response, []);
      if (status === 206) throw new TypeError('Cache.put: a 206 Partial Content response cannot be cached');
      if (apply(responseWebSocket, response, []) !== null) throw new TypeError('Cache.put: a WebSocket response cannot be cached');
      const parts = responseParts(response);  // marks the body used, as put() consumes it
      const vary = headerListGet(parts.headers, 'vary');
      if (vary !== null && vary.split(',').some((v) => v.trim() === '*')) {
        throw new TypeError('Cache.put: a response with Vary: * cannot be cached');
      }
      const headers = parts.headers.slice();
      const bytes = await readBody(parts.body);
      const policy = freshness(status, headers);
      native.cachePut(name, key.url, status, parts.statusText, policy.headers, bytes, policy.ttl);
      return undefined;
    }

    async delete(request, options = undefined) {
      const name = cacheName(this);
      const key = keyOf(request, 'delete');
      if (key.method !== 'GET' && !(options && options.ignoreMethod)) return false;
      return native.cacheDelete(name, key.url);
    }
  }
  Object.defineProperty(Cache.prototype, Symbol.toStringTag, { value: 'Cache', configurable: true });

  const TOKEN = Symbol('Cache');
  // caches.default and caches.open(name) never share a partition: the default one has a name no open() makes.
  const kDefaultName = '';
  const namedCache = (name) => `n:${name}`;

  let defaultCache = null;
  class CacheStorage {
    constructor(token) {
      if (token !== TOKEN) throw new TypeError('Illegal constructor');
    }
    get default() {
      if (defaultCache === null) defaultCache = new Cache(TOKEN, kDefaultName);
      return defaultCache;
    }
    async open(name) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'open' on 'CacheStorage': 1 argument required");
      name = `${name}`;
      if (name.length > 1024) throw new TypeError('CacheStorage.open: the cache name is too long');
      return new Cache(TOKEN, namedCache(name));
    }
  }
  Object.defineProperty(CacheStorage.prototype, Symbol.toStringTag, { value: 'CacheStorage', configurable: true });

  internal.defineGlobal(g, 'Cache', Cache);
  internal.defineGlobal(g, 'CacheStorage', CacheStorage);
  internal.defineGlobal(g, 'caches', new CacheStorage(TOKEN));
});
