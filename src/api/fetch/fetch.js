// fetch(): subrequests over HTTP/HTTPS through the runtime's client (native.fetchStart), following redirects
// here ('follow' up to 20, 'manual' returns the 3xx, 'error' rejects), with AbortSignal support. Service bindings
// (env.OTHER.fetch) go through the same path with a `service` target and never leave the process.
//
// Native bodies: a request body still on the client's socket and a fetch() response still on the upstream's stay
// the runtime's, known to JS by id (body.js's K_NATIVE): text() and the like read them whole through native.bodyRead,
// and one sent on as a subrequest's body or the response is handed over by id, the runtime moving the bytes itself.
// Only `.body` or clone() makes a ReadableStream over one (internal.nativeBodyStream, which loads the streams family);
// such a stream still untouched is handed on by id too (internal.takeNativeBody). Any other ReadableStream sent as a
// body is pulled by the runtime through internal.bodyPull.
(function (g, native, internal) {
  'use strict';
  const pending = new Map();
  let nextId = 1;
  const kRedirects = new Set([301, 302, 303, 307, 308]);

  function abortReason(signal) {
    return signal.reason !== undefined ? signal.reason : new internal.DOMException('The operation was aborted.', 'AbortError');
  }

  const bodyReads = new Map();        // native body id -> the pending read's { resolve, reject }
  const nativeBodies = new WeakMap(); // stream -> native body id, until JS reads it or it is handed on
  const uploads = new Map();          // upload id -> a byteReader over the stream being sent

  // The next chunk of native body `id`: a Uint8Array, or null at its end; rejects with a TypeError on a failure.
  const readChunk = (id) => new Promise((resolve, reject) => {
    bodyReads.set(id, { resolve, reject });
    try {
      native.bodyRead(id);
    } catch (e) {
      bodyReads.delete(id);
      throw e;
    }
  });
  // All of native body `id` (body.text() and the like, without a ReadableStream).
  internal.readNativeBody = async (id) => {
    const chunks = [];
    let total = 0;
    for (let chunk = await readChunk(id); chunk !== null && chunk !== undefined; chunk = await readChunk(id)) {
      chunks.push(chunk);
      total += chunk.byteLength;
    }
    return chunks.length === 1 ? chunks[0] : internal.concatBytes(chunks, total);
  };
  internal.nativeBodyStream = (id) => {
    internal.requireApi('streams/streams.js');
    const stream = internal.newPullStream(
      () => readChunk(id),
      () => {
        bodyReads.delete(id);
        native.bodyCancel(id);
      });
    nativeBodies.set(stream, id);
    return stream;
  };
  internal.bodyChunk = (id, chunk, error) => {
    const read = bodyReads.get(id);
    if (read === undefined) return;
    bodyReads.delete(id);
    if (error !== undefined) read.reject(new TypeError(error));
    else read.resolve(chunk);
  };

  // The id of a native body nothing in JS has read, which the runtime takes over (the stream stays locked); else 0.
  function takeNativeBody(stream) {
    const id = nativeBodies.get(stream);
    if (id === undefined || internal.isReadableStreamDisturbed(stream) || internal.isReadableStreamLocked(stream)) return 0;
    nativeBodies.delete(stream);
    internal.byteReader(stream);
    return id;
  }
  internal.takeNativeBody = takeNativeBody;

  // A ReadableStream as a subrequest's body: a native body by id, else an upload the runtime pulls piece by piece.
  function streamBody(stream) {
    const id = takeNativeBody(stream);
    if (id !== 0) return id;
    const reader = internal.byteReader(stream);
    const upload = native.bodyOpen();
    uploads.set(upload, reader);
    return upload;
  }
  internal.bodyPull = (id, cancel) => {
    const reader = uploads.get(id);
    if (reader === undefined) return;
    if (cancel) {
      uploads.delete(id);
      reader.cancel(new TypeError('The subrequest no longer reads its body')).catch(() => {});
      return;
    }
    (async () => {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (e) {
        uploads.delete(id);
        native.bodyPush(id, null, String(e && e.message !== undefined ? e.message : e));
        return;
      }
      if (chunk === null) uploads.delete(id);
      native.bodyPush(id, chunk, undefined);
    })();
  };

  // A request body (as requestParts gives it) as bytes.
  async function bodyBytes(body) {
    if (body === null || body === undefined) return null;
    if (typeof body === 'string') return native.utf8Encode(body);
    if (typeof body === 'number') return internal.readNativeBody(body);
    if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    return internal.readAllBytes(body);
  }

  // One hop: resolves to [status, statusText, headers, bodyBytes] or rejects with a TypeError.
  function send(target, method, url, headers, body, bodyStream, signal) {
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
        native.fetchStart(id, target, method, url, headers, body, bodyStream);
      } catch (e) {
        pending.delete(id);
        reject(e);
      }
    });
  }

  internal.fetchComplete = (id, status, statusText, headers, body) => {
    const p = pending.get(id);
    if (p === undefined) {
      if (typeof body === 'number') native.bodyCancel(body);
      if (status === 101) native.webSocketAttach(id, 0);
      return;
    }
    // A body still upstream stays a number (its id) until the worker reads it.
    // An upstream accepted a WebSocket: the body slot carries the end the worker uses.
    if (status === 101) {
      internal.requireApi('websocket/websocket.js');
      body = internal.webSocketFromRuntime(id);
    }
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
    let body = null;
    let bodyStream = 0;
    if (target === '' && typeof parts.body === 'number') bodyStream = parts.body;  // a native body, handed on whole
    else if (target === '' && typeof parts.body === 'object' && parts.body !== null && !ArrayBuffer.isView(parts.body)) {
      bodyStream = streamBody(parts.body);  // a ReadableStream
    }
    else body = await bodyBytes(parts.body);
    for (let hops = 0; ; hops++) {
      const protocol = url.slice(0, url.indexOf(':') + 1);
      if (target === '' && protocol !== 'http:' && protocol !== 'https:') {
        throw new TypeError('fetch(): unsupported scheme "' + protocol + '" (only http: and https:)');
      }
      const [status, statusText, rheaders, rbody] = await send(target, method, url, headers, body, bodyStream, signal);
      if (status === 101) {
        const pairs = [];
        for (let i = 0; i < rheaders.length; i += 2) pairs.push([rheaders[i], rheaders[i + 1]]);
        return new internal.Response(null, { status, statusText, headers: pairs, webSocket: rbody });
      }
      if (!kRedirects.has(status) || parts.redirect === 'manual') {
        return internal.makeResponse(status, statusText, rheaders, rbody, url, hops > 0);
      }
      let location = null;
      for (let i = 0; i < rheaders.length; i += 2) if (rheaders[i] === 'location') location = rheaders[i + 1];
      if (location === null) return internal.makeResponse(status, statusText, rheaders, rbody, url, hops > 0);
      if (parts.redirect === 'error') throw new TypeError('fetch(): redirect to ' + location + ' with redirect: "error"');
      if (hops >= 20) throw new TypeError('fetch(): too many redirects');
      const dropsBody = status === 303 || ((status === 301 || status === 302) && method === 'POST');
      if (bodyStream !== 0 && !dropsBody) {
        throw new TypeError('fetch(): cannot follow a ' + status + ' redirect with a streamed body, which was already sent');
      }
      url = new internal.URL(location, url).href;  // url.js is loaded: the request's URL was parsed
      if (dropsBody) {
        if (method !== 'HEAD') method = 'GET';
        body = null;
        bodyStream = 0;
        headers = headers.filter((v, i, a) => (i % 2 === 0 ? !/^content-/.test(v) : !/^content-/.test(a[i - 1])));
      }
    }
  }

  function fetch(input, init) {
    return doFetch('', input, init);
  }
  // new WebSocket(url): the handshake is a fetch() with Upgrade: websocket.
  internal.fetchWebSocket = (url, headers) => doFetch('', url, { headers });
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
