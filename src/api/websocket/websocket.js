// WebSocket and WebSocketPair, as on Cloudflare Workers (https://developers.cloudflare.com/workers/runtime-apis/websockets/):
// `new WebSocketPair()` makes two connected ends; `accept()` starts an end's events; a fetch handler answers an
// upgrade with `new Response(null, { status: 101, webSocket: client })` and keeps the `server` end. The other
// direction: `fetch(url, { headers: { Upgrade: 'websocket' } })` answers a 101 whose `webSocket` the worker
// accepts, and `new WebSocket(url, protocols)` does the same handshake and opens by itself (an 'open' event).
//
// Both ends of a pair live in this isolate until the client end is handed to a Response: the runtime then joins
// it to the client's socket (internal.webSocketTransfer / webSocketLinked below), sends go out through
// native.webSocketSend / webSocketClose, and what the client sends comes back through internal.webSocketMessage /
// internal.webSocketClosed. Events are delivered from microtasks, never inside send() or close().
(function (g, native, internal) {
  'use strict';

  const { EventTarget, MessageEvent, CloseEvent, DOMException } = internal;
  const isView = ArrayBuffer.isView;
  const arrayBufferSlice = ArrayBuffer.prototype.slice;
  const apply = Reflect.apply;
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  const illegal = () => new TypeError('Illegal invocation');

  const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;
  const kMaxMessageBytes = 1 << 20;  // as on Workers; the runtime enforces the same on what a client sends
  const TOKEN = Symbol('WebSocket');

  // Runs `fn` from the microtask queue (after the current script), with the DOM's listener error reporting.
  const later = (fn) => internal.enqueueMicrotask(fn);

  // Copies what send() was given: a string, or an ArrayBuffer of the bytes.
  function messageData(data) {
    if (typeof data === 'string') return data;
    if (data instanceof ArrayBuffer) return apply(arrayBufferSlice, data, [0]);
    if (isView(data)) {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      return apply(arrayBufferSlice, bytes.buffer, [bytes.byteOffset, bytes.byteOffset + bytes.byteLength]);
    }
    return `${data}`;
  }
  function messageBytes(data) {
    if (typeof data !== 'string') return data.byteLength;
    // Cheap bound first: a UTF-16 code unit is at most 3 UTF-8 bytes.
    return data.length * 3 <= kMaxMessageBytes ? data.length : native.utf8Encode(data).length;
  }

  let stateOf;

  class WebSocket extends EventTarget {
    #s;

    constructor(url, protocols = undefined) {
      let client = null;
      if (url !== TOKEN) client = clientRequest(url, protocols);  // throws before anything is made
      super();
      this.#s = {
        readyState: OPEN,
        accepted: false,
        peer: null,          // the other end of the pair
        transferred: false,  // handed to a Response: it stands for the client's socket
        remoteId: 0,         // once transferred: the runtime's id for that socket
        linked: false,       // once the runtime has taken the socket: sends go straight out
        outbox: [],          // what was sent to a transferred end before it was linked
        inbox: [],           // events for this end before accept()
        closeSent: false,
        closeReceived: false,
        binaryType: 'arraybuffer',
        url: null,           // a client socket's URL
        protocol: '',        // the subprotocol its server chose
        pendingClose: null,  // close() while connecting: sent once open
      };
      if (client !== null) connect(this, client);
    }

    static {
      stateOf = (ws) => {
        if (!isObject(ws) || !(#s in ws)) throw illegal();
        return ws.#s;
      };
    }

    get readyState() { return stateOf(this).readyState; }
    get url() { return stateOf(this).url; }
    get protocol() { return stateOf(this).protocol; }
    get extensions() { stateOf(this); return ''; }
    get bufferedAmount() { stateOf(this); return 0; }
    get binaryType() { return stateOf(this).binaryType; }
    set binaryType(v) {
      const s = stateOf(this);
      v = `${v}`;
      if (v === 'arraybuffer' || v === 'blob') s.binaryType = v;
    }

    // Starts delivering this end's events (those that arrived before are delivered now, in order).
    accept() {
      const s = stateOf(this);
      if (s.transferred) throw new TypeError('This WebSocket was handed to a Response: it cannot be accepted');
      if (s.accepted) throw new TypeError('accept() was already called on this WebSocket');
      s.accepted = true;
      const pending = s.inbox;
      s.inbox = [];
      for (const event of pending) later(() => fire(this, event));
    }

    send(message) {
      const s = stateOf(this);
      if (arguments.length === 0) throw new TypeError("Failed to execute 'send' on 'WebSocket': 1 argument required");
      if (s.transferred) throw new TypeError('This WebSocket was handed to a Response: use the other end of the pair');
      if (!s.accepted) throw new TypeError('You must call accept() on this WebSocket before sending messages');
      if (s.readyState === CONNECTING) throw new DOMException('The WebSocket is still connecting', 'InvalidStateError');
      if (s.closeSent || s.readyState === CLOSED) throw new TypeError('send() after close(): the WebSocket is closing');
      const data = messageData(message);
      if (messageBytes(data) > kMaxMessageBytes) {
        throw new RangeError(`WebSocket message too large: the limit is ${kMaxMessageBytes} bytes`);
      }
      deliver(s.peer, { type: 'message', data });
    }

    close(code = undefined, reason = undefined) {
      const s = stateOf(this);
      if (s.transferred) throw new TypeError('This WebSocket was handed to a Response: use the other end of the pair');
      if (code !== undefined) {
        code = Number(code) & 0xffff;
        if (code !== 1000 && (code < 3000 || code > 4999)) {
          throw new DOMException(`The close code must be 1000 or in 3000-4999, not ${code}`, 'InvalidAccessError');
        }
      }
      reason = reason === undefined ? '' : `${reason}`;
      if (native.utf8Encode(reason).length > 123) {
        throw new DOMException('The close reason must be at most 123 UTF-8 bytes', 'SyntaxError');
      }
      if (s.closeSent || s.readyState === CLOSED) return;
      s.closeSent = true;
      if (s.readyState === CONNECTING) {
        s.readyState = CLOSING;
        s.pendingClose = { type: 'close', code: code === undefined ? 1005 : code, reason, wasClean: true };
        return;
      }
      s.readyState = s.closeReceived ? CLOSED : CLOSING;
      deliver(s.peer, { type: 'close', code: code === undefined ? 1005 : code, reason, wasClean: true });
    }
  }

  const constants = { CONNECTING, OPEN, CLOSING, CLOSED };
  for (const name of Object.keys(constants)) {
    const d = { value: constants[name], writable: false, enumerable: true, configurable: false };
    Object.defineProperty(WebSocket, name, d);
    Object.defineProperty(WebSocket.prototype, name, d);
  }
  for (const type of ['open', 'message', 'close', 'error']) internal.defineEventHandler(WebSocket.prototype, type);
  Object.defineProperty(WebSocket.prototype, Symbol.toStringTag, { value: 'WebSocket', configurable: true });

  const newEnd = () => new WebSocket(TOKEN);

  // ---- client sockets: new WebSocket(url, protocols) ----

  // The handshake's URL (http: or https:) and headers, or a SyntaxError as the WebSocket standard says.
  function clientRequest(url, protocols) {
    let u;
    internal.requireApi('url/url.js');
    try {
      u = new internal.URL(`${url}`);
    } catch {
      throw new DOMException(`Failed to construct 'WebSocket': the URL '${url}' is invalid.`, 'SyntaxError');
    }
    const scheme = { 'ws:': 'http:', 'wss:': 'https:', 'http:': 'http:', 'https:': 'https:' }[u.protocol];
    if (scheme === undefined) {
      throw new DOMException(`Failed to construct 'WebSocket': the URL's scheme must be ws or wss, not '${u.protocol}'.`, 'SyntaxError');
    }
    if (u.hash !== '') throw new DOMException("Failed to construct 'WebSocket': the URL contains a fragment.", 'SyntaxError');
    let list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : Array.from(protocols, (p) => `${p}`);
    for (const p of list) {
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p) || list.indexOf(p) !== list.lastIndexOf(p)) {
        throw new DOMException(`Failed to construct 'WebSocket': the subprotocol '${p}' is invalid or repeated.`, 'SyntaxError');
      }
    }
    const headers = { upgrade: 'websocket' };
    if (list.length > 0) headers['sec-websocket-protocol'] = list.join(', ');
    return { url: u.href, httpUrl: scheme + u.href.slice(u.protocol.length), headers };
  }

  function connect(ws, client) {
    const s = stateOf(ws);
    s.url = client.url;
    s.readyState = CONNECTING;
    s.accepted = true;
    internal.fetchWebSocket(client.httpUrl, client.headers).then((response) => {
      const local = response.webSocket;
      if (local === null) throw new TypeError(`the server answered ${response.status}, not 101`);
      // The socket's end in this isolate is `ws` itself: it takes over the peer fetch() made for `local`.
      const ls = stateOf(local);
      const remote = ls.peer;
      s.peer = remote;
      stateOf(remote).peer = ws;
      ls.peer = null;
      ls.readyState = CLOSED;
      s.protocol = response.headers.get('sec-websocket-protocol') || '';
      const waiting = ls.inbox;
      ls.inbox = [];
      if (s.pendingClose !== null) {
        deliver(remote, s.pendingClose);
      } else {
        s.readyState = OPEN;
        later(() => fire(ws, { type: 'open' }));
      }
      for (const event of waiting) receive(ws, event);
    }).catch((e) => {
      s.readyState = CLOSED;
      s.closeSent = s.closeReceived = true;
      later(() => fire(ws, { type: 'error', message: `WebSocket connection to ${client.url} failed: ${e && e.message}`, error: e }));
      later(() => fire(ws, { type: 'close', code: 1006, reason: '', wasClean: false }));
    });
  }

  // fetch() `fetchId` got a 101 from an upstream: a pair whose transferred end stands for the upstream's socket.
  // Returns the end the worker uses (to accept()).
  internal.webSocketFromRuntime = (fetchId) => {
    const pair = new WebSocketPair();
    const id = internal.webSocketTransfer(pair[1]);
    native.webSocketAttach(fetchId, id);
    internal.webSocketLinked(id);
    return pair[0];
  };
  const isWebSocket = (v) => {
    try { stateOf(v); return true; } catch { return false; }
  };

  // Hands `event` ({type: 'message', data} or {type: 'close', code, reason, wasClean}) to the end `to`: out to the
  // client's socket if `to` was transferred, else into `to`'s queue (or straight to its listeners once accepted).
  function deliver(to, event) {
    const t = stateOf(to);
    if (t.transferred) {
      if (!t.linked) {
        t.outbox.push(event);
        return;
      }
      if (event.type === 'message') {
        native.webSocketSend(t.remoteId, event.data);
      } else {
        t.closeReceived = true;
        native.webSocketClose(t.remoteId, event.code === 1005 ? 1000 : event.code, event.reason);
      }
      return;
    }
    receive(to, event);
  }

  // An event arriving at `ws` (from its peer in this isolate, or from the client's socket).
  function receive(ws, event) {
    const s = stateOf(ws);
    if (s.readyState === CLOSED) return;
    if (s.accepted) later(() => fire(ws, event));
    else s.inbox.push(event);
    if (event.type === 'close') {
      s.closeReceived = true;
      // Answer a close as a browser does, so that both ends end up closed.
      if (!s.closeSent) {
        s.closeSent = true;
        if (s.peer !== null && !stateOf(s.peer).closeReceived) {
          deliver(s.peer, { type: 'close', code: event.code, reason: event.reason, wasClean: true });
        }
      }
    }
  }

  function fire(ws, event) {
    const s = stateOf(ws);
    let e;
    if (event.type === 'message') {
      if (s.readyState === CLOSED) return;
      let data = event.data;
      if (typeof data !== 'string' && s.binaryType === 'blob') {
        internal.requireApi('blob/blob.js');
        data = new internal.Blob([data]);
      }
      e = new MessageEvent('message', { data });
    } else if (event.type === 'open') {
      if (s.readyState !== OPEN) return;
      e = new internal.Event('open');
    } else if (event.type === 'close') {
      s.readyState = CLOSED;
      e = new CloseEvent('close', { code: event.code, reason: event.reason, wasClean: event.wasClean });
    } else {
      e = new internal.ErrorEvent('error', { message: event.message, error: event.error });
    }
    internal.dispatchEvent(ws, e);
  }

  class WebSocketPair {
    constructor() {
      const client = newEnd();
      const server = newEnd();
      stateOf(client).peer = server;
      stateOf(server).peer = client;
      Object.defineProperty(this, 0, { value: client, writable: true, enumerable: true, configurable: true });
      Object.defineProperty(this, 1, { value: server, writable: true, enumerable: true, configurable: true });
    }
  }
  Object.defineProperty(WebSocketPair.prototype, Symbol.toStringTag, { value: 'WebSocketPair', configurable: true });

  // ---- the runtime's side ----

  const remotes = new Map();  // runtime id -> the transferred end
  let nextId = 1;

  // A 101 response is being sent with `ws` as its webSocket: `ws` becomes the client's socket. Returns the id the
  // runtime will know it by. TypeError if `ws` cannot be handed over.
  internal.webSocketTransfer = (ws) => {
    const s = stateOf(ws);
    if (s.transferred) throw new TypeError('This WebSocket was already handed to a Response');
    if (s.accepted) throw new TypeError('An accepted WebSocket cannot be handed to a Response: return the other end');
    if (s.peer === null) throw new TypeError('This WebSocket has no other end');
    s.transferred = true;
    s.remoteId = nextId++;
    remotes.set(s.remoteId, ws);
    // What the server end already sent to this end goes out once the socket is ready.
    s.outbox = s.inbox;
    s.inbox = [];
    return s.remoteId;
  };

  // The runtime took the socket (or refused it, and will report it closed): flush what waited for it.
  internal.webSocketLinked = (id) => {
    const ws = remotes.get(id);
    if (ws === undefined) return;
    const s = stateOf(ws);
    s.linked = true;
    const waiting = s.outbox;
    s.outbox = [];
    for (const event of waiting) deliver(ws, event);
  };

  // A message from the client: a string (text) or an ArrayBuffer (binary).
  internal.webSocketMessage = (id, data) => {
    const ws = remotes.get(id);
    if (ws === undefined) return;
    const s = stateOf(ws);
    if (s.closeSent) return;
    receive(s.peer, { type: 'message', data });
  };

  // The client's socket ended: a close frame (wasClean) or an abrupt end (code 1006).
  internal.webSocketClosed = (id, code, reason, wasClean) => {
    const ws = remotes.get(id);
    if (ws === undefined) return;
    remotes.delete(id);
    const s = stateOf(ws);
    s.closeSent = true;
    s.closeReceived = true;  // nothing more goes out to the client
    s.readyState = CLOSED;
    const server = stateOf(s.peer);
    if (!wasClean && server.accepted && server.readyState !== CLOSED) {
      later(() => fire(s.peer, { type: 'error', message: 'The WebSocket connection was closed abnormally' }));
    }
    receive(s.peer, { type: 'close', code, reason, wasClean });
  };

  internal.isWebSocket = isWebSocket;
  internal.WebSocket = WebSocket;
  internal.defineGlobal(g, 'WebSocket', WebSocket);
  internal.defineGlobal(g, 'WebSocketPair', WebSocketPair);
});
