// fetch(): subrequests over HTTP/HTTPS through the runtime's client (native.fetchStart), following redirects
// here ('follow' up to 20, 'manual' returns the 3xx, 'error' rejects), with AbortSignal support. Service bindings
// (env.OTHER.fetch) go through the same path with a `service` target and never leave the process.
(function (g, native, internal) {
  'use strict';
  const pending = new Map();
  let nextId = 1;
  const kRedirects = new Set([301, 302, 303, 307, 308]);

  function abortReason(signal) {
    return signal.reason !== undefined ? signal.reason : new internal.DOMException('The operation was aborted.', 'AbortError');
  }

  async function bodyBytes(body) {
    if (body === null || body === undefined) return null;
    if (typeof body === 'string') return native.utf8Encode(body);
    if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    if (typeof internal.readAllBytes === 'function') return internal.readAllBytes(body);
    throw new TypeError('fetch(): this request body cannot be sent');
  }

  // One hop: resolves to [status, statusText, headers, bodyBytes] or rejects with a TypeError.
  function send(target, method, url, headers, body, signal) {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      if (signal) {
        if (signal.aborted) {
          pending.delete(id);
          reject(abortReason(signal));
          return;
        }
        signal.addEventListener('abort', () => {
          if (!pending.has(id)) return;
          pending.delete(id);
          native.fetchAbort(id);
          reject(abortReason(signal));
        }, { once: true });
      }
      try {
        native.fetchStart(id, target, method, url, headers, body);
      } catch (e) {
        pending.delete(id);
        reject(e);
      }
    });
  }

  internal.fetchComplete = (id, status, statusText, headers, body) => {
    const p = pending.get(id);
    if (p === undefined) return;
    pending.delete(id);
    p.resolve([status, statusText, headers, body]);
  };
  internal.fetchFailed = (id, message) => {
    const p = pending.get(id);
    if (p === undefined) return;
    pending.delete(id);
    p.reject(new TypeError(message));
  };

  async function doFetch(target, input, init) {
    let request = new internal.Request(input, init);
    const parts = internal.requestParts(request);
    const signal = parts.signal && typeof parts.signal.aborted === 'boolean' ? parts.signal : null;
    if (signal && signal.aborted) throw abortReason(signal);
    let method = parts.method;
    let url = parts.url;
    let headers = parts.headers;
    let body = await bodyBytes(parts.body);
    for (let hops = 0; ; hops++) {
      const protocol = url.slice(0, url.indexOf(':') + 1);
      if (target === '' && protocol !== 'http:' && protocol !== 'https:') {
        throw new TypeError('fetch(): unsupported scheme "' + protocol + '" (only http: and https:)');
      }
      const [status, statusText, rheaders, rbody] = await send(target, method, url, headers, body, signal);
      if (!kRedirects.has(status) || parts.redirect === 'manual') {
        return internal.makeResponse(status, statusText, rheaders, rbody, url, hops > 0);
      }
      let location = null;
      for (let i = 0; i < rheaders.length; i += 2) if (rheaders[i] === 'location') location = rheaders[i + 1];
      if (location === null) return internal.makeResponse(status, statusText, rheaders, rbody, url, hops > 0);
      if (parts.redirect === 'error') throw new TypeError('fetch(): redirect to ' + location + ' with redirect: "error"');
      if (hops >= 20) throw new TypeError('fetch(): too many redirects');
      url = new g.URL(location, url).href;
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = null;
        headers = headers.filter((v, i, a) => (i % 2 === 0 ? !/^content-/.test(v) : !/^content-/.test(a[i - 1])));
      }
    }
  }

  function fetch(input, init) {
    return doFetch('', input, init);
  }
  internal.defineGlobal(g, 'fetch', fetch);

  // A service binding: env.NAME.fetch() reaches the named script of the same account in-process.
  class Fetcher {
    #service;
    constructor(service) { this.#service = service; }
    fetch(input, init) {
      // A relative URL is resolved against a placeholder origin, as Workers does for service bindings.
      if (typeof input === 'string' && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(input)) input = 'https://' + this.#service + '.internal' + (input.startsWith('/') ? '' : '/') + input;
      return doFetch(this.#service, input, init);
    }
  }
  Object.defineProperty(Fetcher.prototype, Symbol.toStringTag, { value: 'Fetcher' });
  internal.makeServiceBinding = (service) => new Fetcher(String(service));
})
