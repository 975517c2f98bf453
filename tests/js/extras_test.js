// The Workers extras: the global as an EventTarget ('error', 'unhandledrejection'), ErrorEvent /
// PromiseRejectionEvent / MessageEvent / CloseEvent, request.cf, WebSocketPair, and the Cache API (`caches`).
'use strict';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const internal = globalThis.__internal;

// ---- the global scope

test('the global is an EventTarget', () => {
  assert.ok(globalThis instanceof EventTarget);
  assert.equal(Object.prototype.toString.call(globalThis), '[object ServiceWorkerGlobalScope]');
  assert.equal(Object.getPrototypeOf(globalThis), ServiceWorkerGlobalScope.prototype);
  assert.throws(() => new ServiceWorkerGlobalScope(), TypeError);
  assert.equal(typeof globalThis.dispatchEvent, 'function');
  let seen = null;
  const listener = (e) => { seen = e; };
  addEventListener('custom', listener);
  assert.equal(dispatchEvent(new Event('custom')), true);
  assert.equal(seen.type, 'custom');
  assert.equal(seen.target, globalThis);
  removeEventListener('custom', listener);
  seen = null;
  globalThis.dispatchEvent(new Event('custom'));
  assert.equal(seen, null, 'removed');
  // once: the options reach the EventTarget.
  let count = 0;
  addEventListener('custom', () => count++, { once: true });
  dispatchEvent(new Event('custom'));
  dispatchEvent(new Event('custom'));
  assert.equal(count, 1);
});

test('fetch and scheduled listeners are still the worker handlers', () => {
  // They are not EventTarget listeners: dispatching a plain 'fetch' Event at the global calls nothing.
  let called = false;
  addEventListener('fetch', () => { called = true; });
  dispatchEvent(new Event('fetch'));
  assert.equal(called, false);
  assert.throws(() => addEventListener('fetch', 42), TypeError);
});

// ---- event classes

test('ErrorEvent', () => {
  const e = new ErrorEvent('error', { message: 'boom', filename: 'a.js', lineno: 3, colno: 9, error: 42, cancelable: true });
  assert.ok(e instanceof Event);
  assert.equal(e.type, 'error');
  assert.equal(e.message, 'boom');
  assert.equal(e.filename, 'a.js');
  assert.equal(e.lineno, 3);
  assert.equal(e.colno, 9);
  assert.equal(e.error, 42);
  assert.equal(e.cancelable, true);
  const d = new ErrorEvent('error');
  assert.deepEqual([d.message, d.filename, d.lineno, d.colno, d.error], ['', '', 0, 0, null]);
  assert.equal(Object.prototype.toString.call(d), '[object ErrorEvent]');
  assert.throws(() => Object.getOwnPropertyDescriptor(ErrorEvent.prototype, 'message').get.call(new Event('x')), TypeError);
  assert.throws(() => new ErrorEvent(), TypeError);
});

test('PromiseRejectionEvent', () => {
  const p = Promise.resolve();
  const e = new PromiseRejectionEvent('unhandledrejection', { promise: p, reason: 'why', cancelable: true });
  assert.ok(e instanceof Event);
  assert.equal(e.promise, p);
  assert.equal(e.reason, 'why');
  e.preventDefault();
  assert.equal(e.defaultPrevented, true);
  assert.throws(() => new PromiseRejectionEvent('x'), TypeError);
  assert.throws(() => new PromiseRejectionEvent('x', {}), TypeError, 'promise is required');
  assert.equal(new PromiseRejectionEvent('x', { promise: p }).reason, undefined);
});

test('MessageEvent and CloseEvent', () => {
  const m = new MessageEvent('message', { data: { a: 1 } });
  assert.deepEqual(m.data, { a: 1 });
  assert.equal(m.origin, '');
  assert.deepEqual(m.ports, []);
  assert.equal(new MessageEvent('message').data, null);
  const c = new CloseEvent('close', { code: 1000, reason: 'bye', wasClean: true });
  assert.deepEqual([c.code, c.reason, c.wasClean], [1000, 'bye', true]);
  const d = new CloseEvent('close');
  assert.deepEqual([d.code, d.reason, d.wasClean], [0, '', false]);
});

// ---- uncaught errors and unhandled rejections

test('an unhandled rejection fires unhandledrejection at the global', async () => {
  const seen = [];
  const listener = (e) => {
    seen.push(e);
    e.preventDefault();  // no log line
  };
  addEventListener('unhandledrejection', listener);
  const reason = new Error('nobody catches me');
  const p = Promise.reject(reason);
  await tick();
  removeEventListener('unhandledrejection', listener);
  assert.equal(seen.length, 1);
  assert.ok(seen[0] instanceof PromiseRejectionEvent);
  assert.equal(seen[0].type, 'unhandledrejection');
  assert.equal(seen[0].promise, p);
  assert.equal(seen[0].reason, reason);
  assert.equal(seen[0].isTrusted, true);
  assert.equal(seen[0].defaultPrevented, true);
});

test('a rejection handled before the checkpoint is not reported', async () => {
  const seen = [];
  const listener = (e) => { seen.push(e); e.preventDefault(); };
  addEventListener('unhandledrejection', listener);
  const p = Promise.reject(new Error('caught later in the same turn'));
  await null;
  p.catch(() => {});
  const q = (async () => { throw new Error('awaited'); })();
  try { await q; } catch {}
  await tick();
  removeEventListener('unhandledrejection', listener);
  assert.equal(seen.length, 0);
});

test('an error thrown by a timer fires error at the global with its location', async () => {
  const seen = [];
  const listener = (e) => { seen.push(e); e.preventDefault(); };
  addEventListener('error', listener);
  const error = new TypeError('from a timer');
  setTimeout(() => { throw error; }, 0);
  await tick();
  await tick();
  removeEventListener('error', listener);
  assert.equal(seen.length, 1);
  assert.ok(seen[0] instanceof ErrorEvent);
  assert.equal(seen[0].error, error);
  assert.equal(seen[0].message, 'Uncaught TypeError: from a timer');
  assert.ok(seen[0].filename.endsWith('extras_test.js'), seen[0].filename);
  assert.ok(seen[0].lineno > 0);
  assert.ok(seen[0].colno > 0);
});

test('errors in microtasks and listeners are reported as error events', async () => {
  const seen = [];
  const listener = (e) => { seen.push(e.error && e.error.message); e.preventDefault(); };
  addEventListener('error', listener);
  queueMicrotask(() => { throw new Error('microtask'); });
  const target = new EventTarget();
  target.addEventListener('x', () => { throw new Error('listener'); });
  target.dispatchEvent(new Event('x'));
  await tick();
  removeEventListener('error', listener);
  assert.deepEqual(seen.sort(), ['listener', 'microtask']);
});

test('reportError fires error too', () => {
  let seen = null;
  const listener = (e) => { seen = e.error; e.preventDefault(); };
  addEventListener('error', listener);
  reportError('plain value');
  removeEventListener('error', listener);
  assert.equal(seen, 'plain value');
});

// ---- request.cf

test('an incoming request has a cf object, made on first access', () => {
  const r = internal.makeIncomingRequest('GET', 'http://example.com/', ['accept-encoding', 'gzip, br'], null);
  const cf = r.cf;
  assert.equal(typeof cf, 'object');
  assert.equal(r.cf, cf, 'the same object every time');
  assert.equal(cf.colo, 'islet');
  assert.equal(cf.country, null);
  assert.equal(cf.httpProtocol, 'HTTP/1.1');
  assert.equal(cf.clientTcpRtt, 0);
  assert.equal(cf.asn, 0);
  assert.equal(cf.tlsVersion, '');
  assert.equal(cf.clientAcceptEncoding, 'gzip, br');
  // Copies carry it; a Request made by the worker has none.
  assert.equal(new Request(r).cf.colo, 'islet');
  assert.equal(r.clone().cf.colo, 'islet');
  assert.equal(new Request('http://example.com/').cf, undefined);
  assert.deepEqual(new Request('http://example.com/', { cf: { cacheTtl: 5 } }).cf, { cacheTtl: 5 });
  // Not made just to be forwarded as a subrequest's cf.
  const fresh = internal.makeIncomingRequest('GET', 'http://example.com/', [], null);
  assert.equal(internal.requestParts(fresh).cf, undefined);
});

// ---- WebSocketPair

test('WebSocketPair has two connected ends', () => {
  const pair = new WebSocketPair();
  const [client, server] = Object.values(pair);
  assert.ok(client instanceof WebSocket);
  assert.ok(server instanceof WebSocket);
  assert.ok(client instanceof EventTarget);
  assert.equal(pair[0], client);
  assert.equal(pair[1], server);
  assert.equal(server.readyState, WebSocket.OPEN);
  assert.equal(WebSocket.CLOSED, 3);
  // A client socket (tested against a real server in tests/integration/websocket_client_test.py): connecting at first.
  const ws = new WebSocket('wss://example.com/path');
  assert.equal(ws.readyState, WebSocket.CONNECTING);
  assert.equal(ws.url, 'wss://example.com/path');
  assert.throws(() => ws.send('too early'), DOMException);
  assert.throws(() => new WebSocket('ftp://example.com/'), DOMException);
});

test('WebSocketPair passes messages both ways after accept()', async () => {
  const [client, server] = Object.values(new WebSocketPair());
  const got = { client: [], server: [] };
  server.accept();
  server.addEventListener('message', (e) => {
    got.server.push(e.data);
    if (typeof e.data === 'string') server.send(`echo: ${e.data}`);
  });
  assert.throws(() => client.send('too early'), TypeError, 'send before accept');
  client.accept();
  client.addEventListener('message', (e) => got.client.push(e.data));
  client.send('hello');
  const bytes = new Uint8Array([1, 2, 3]);
  client.send(bytes);
  bytes[0] = 9;  // the message was copied
  assert.equal(got.server.length, 0, 'delivered later, not inside send()');
  await tick();
  assert.equal(got.server[0], 'hello');
  assert.ok(got.server[1] instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(got.server[1])], [1, 2, 3]);
  assert.deepEqual(got.client, ['echo: hello']);
});

test('messages sent before accept() are queued', async () => {
  const [client, server] = Object.values(new WebSocketPair());
  client.accept();
  client.send('one');
  client.send('two');
  await tick();
  const got = [];
  server.addEventListener('message', (e) => got.push(e.data));
  server.accept();
  await tick();
  assert.deepEqual(got, ['one', 'two']);
  assert.throws(() => server.accept(), TypeError, 'accept twice');
});

test('close() reaches the other end, which answers it', async () => {
  const [client, server] = Object.values(new WebSocketPair());
  client.accept();
  server.accept();
  const events = [];
  server.addEventListener('close', (e) => events.push(['server', e.code, e.reason, e.wasClean]));
  client.addEventListener('close', (e) => events.push(['client', e.code, e.reason, e.wasClean]));
  let onclose = null;
  server.onclose = (e) => { onclose = e.code; };
  client.close(4000, 'done');
  assert.equal(client.readyState, WebSocket.CLOSING);
  assert.throws(() => client.send('x'), TypeError, 'send after close');
  await tick();
  assert.deepEqual(events, [['server', 4000, 'done', true], ['client', 4000, 'done', true]]);
  assert.equal(onclose, 4000);
  assert.equal(client.readyState, WebSocket.CLOSED);
  assert.equal(server.readyState, WebSocket.CLOSED);
  client.close();  // a no-op once closed
  assert.throws(() => server.close(1001), 'InvalidAccessError');
  assert.throws(() => server.close(1000, 'x'.repeat(124)), 'SyntaxError');
});

test('a WebSocket message is at most 1 MiB', () => {
  const [client, server] = Object.values(new WebSocketPair());
  client.accept();
  server.accept();
  assert.throws(() => client.send(new Uint8Array((1 << 20) + 1)), RangeError);
  client.send(new Uint8Array(1 << 20));
});

test('a Response hands the client end over with status 101', () => {
  const [client, server] = Object.values(new WebSocketPair());
  const r = new Response(null, { status: 101, webSocket: client });
  assert.equal(r.status, 101);
  assert.equal(r.webSocket, client);
  assert.equal(new Response('x').webSocket, null);
  assert.throws(() => new Response(null, { status: 200, webSocket: client }), RangeError);
  assert.throws(() => new Response(null, { status: 101 }), RangeError);
  assert.throws(() => new Response(null, { status: 101, webSocket: {} }), TypeError);
  const parts = internal.responseParts(r);
  assert.equal(parts.webSocket, client);
  // The runtime's side: once transferred, the client end is no longer usable here.
  const id = internal.webSocketTransfer(client);
  assert.equal(typeof id, 'number');
  assert.throws(() => client.accept(), TypeError);
  assert.throws(() => internal.webSocketTransfer(client), TypeError);
  server.accept();
  assert.throws(() => internal.webSocketTransfer(server), TypeError, 'an accepted end cannot be handed over');
});

test('the server end hears the client through the runtime', async () => {
  const [client, server] = Object.values(new WebSocketPair());
  const id = internal.webSocketTransfer(client);
  internal.webSocketLinked(id);
  server.accept();
  const events = [];
  server.addEventListener('message', (e) => events.push(e.data));
  server.addEventListener('close', (e) => events.push(`close ${e.code} ${e.wasClean}`));
  internal.webSocketMessage(id, 'from the client');
  internal.webSocketClosed(id, 1006, '', false);
  await tick();
  assert.deepEqual(events, ['from the client', 'close 1006 false']);
  assert.equal(server.readyState, WebSocket.CLOSED);
});

// ---- Cache API

test('caches.default and caches.open', async () => {
  assert.ok(caches instanceof CacheStorage);
  assert.ok(caches.default instanceof Cache);
  assert.equal(caches.default, caches.default);
  const named = await caches.open('mine');
  assert.ok(named instanceof Cache);
  assert.throws(() => new Cache(), TypeError);
});

test('put then match returns a copy marked HIT; delete removes it', async () => {
  const cache = caches.default;
  const url = 'https://example.com/cached?x=1';
  assert.equal(await cache.match(url), undefined);
  await cache.put(url, new Response('hello', { headers: { 'cache-control': 'max-age=60', 'x-custom': 'yes' } }));
  const hit = await cache.match(new Request(url));
  assert.ok(hit instanceof Response);
  assert.equal(hit.status, 200);
  assert.equal(await hit.text(), 'hello');
  assert.equal(hit.headers.get('cf-cache-status'), 'HIT');
  assert.equal(hit.headers.get('x-custom'), 'yes');
  assert.equal(hit.headers.get('age'), '0');
  assert.equal(await (await cache.match(url + '#fragment')).text(), 'hello', 'the fragment is not part of the key');
  assert.ok(await cache.match(url, {}), 'options do not change a GET match');
  assert.equal(await cache.delete(url), true);
  assert.equal(await cache.delete(url), false);
  assert.equal(await cache.match(url), undefined);
});

test('named caches and the default cache are separate', async () => {
  const url = 'https://example.com/separate';
  const a = await caches.open('a');
  const b = await caches.open('b');
  await a.put(url, new Response('in a', { headers: { 'cache-control': 'max-age=60' } }));
  assert.equal(await b.match(url), undefined);
  assert.equal(await caches.default.match(url), undefined);
  assert.equal(await (await (await caches.open('a')).match(url)).text(), 'in a');
  await a.delete(url);
});

test('only GET is cached', async () => {
  const url = 'https://example.com/post';
  await assert.rejects(caches.default.put(new Request(url, { method: 'POST', body: 'x' }), new Response('x')), TypeError);
  await caches.default.put(url, new Response('x', { headers: { 'cache-control': 'max-age=60' } }));
  assert.equal(await caches.default.match(new Request(url, { method: 'POST', body: 'y' })), undefined);
  assert.ok(await caches.default.match(new Request(url, { method: 'HEAD' }), { ignoreMethod: true }));
  assert.equal(await caches.default.delete(new Request(url, { method: 'POST', body: 'z' })), false);
  assert.equal(await caches.default.delete(url), true);
});

test('Cache-Control and Expires decide what is stored', async () => {
  const cache = await caches.open('policy');
  const stored = async (name, init, body = 'b') => {
    const url = `https://example.com/policy/${name}`;
    await cache.put(url, new Response(body, init));
    const hit = await cache.match(url);
    return hit !== undefined;
  };
  const cc = (v) => ({ headers: { 'cache-control': v } });
  assert.equal(await stored('max-age', cc('public, max-age=30')), true);
  assert.equal(await stored('s-maxage', cc('s-maxage=30, max-age=0')), true);
  assert.equal(await stored('max-age-0', cc('max-age=0')), false);
  assert.equal(await stored('no-store', cc('no-store, max-age=60')), false);
  assert.equal(await stored('no-cache', cc('no-cache')), false);
  assert.equal(await stored('private', cc('private, max-age=60')), false);
  assert.equal(await stored('set-cookie', { headers: { 'cache-control': 'max-age=60', 'set-cookie': 'a=b' } }), false);
  // private=Set-Cookie: stored without the cookie.
  const url = 'https://example.com/policy/private-cookie';
  await cache.put(url, new Response('c', { headers: { 'cache-control': 'private="Set-Cookie", max-age=60', 'set-cookie': 'a=b' } }));
  const hit = await cache.match(url);
  assert.ok(hit);
  assert.equal(hit.headers.get('set-cookie'), null);
  const future = new Date(Date.now() + 3600 * 1000).toUTCString();
  const past = new Date(Date.now() - 3600 * 1000).toUTCString();
  assert.equal(await stored('expires-future', { headers: { expires: future } }), true);
  assert.equal(await stored('expires-past', { headers: { expires: past } }), false);
  assert.equal(await stored('expires-garbage', { headers: { expires: 'soon' } }), false);
  // No freshness information: Cloudflare's default TTL for the status.
  assert.equal(await stored('default-200', {}), true);
  assert.equal(await stored('default-500', { status: 500 }), false);
});

test('put refuses what cannot be cached', async () => {
  const url = 'https://example.com/refused';
  await assert.rejects(caches.default.put(url, new Response('x', { status: 206 })), TypeError);
  await assert.rejects(caches.default.put(url, new Response('x', { headers: { vary: '*' } })), TypeError);
  await assert.rejects(caches.default.put(url, 'not a response'), TypeError);
  await assert.rejects(caches.default.put(url, new Response('x'.repeat(512 * 1024 + 1))), RangeError);
  const used = new Response('x');
  await used.text();
  await assert.rejects(caches.default.put(url, used), TypeError);
});

test('a stream body is read fully, and bounded', async () => {
  const url = 'https://example.com/stream';
  const chunks = ['a', 'b', 'c'];
  const stream = new ReadableStream({
    pull(c) {
      if (chunks.length === 0) c.close();
      else c.enqueue(new TextEncoder().encode(chunks.shift()));
    },
  });
  await caches.default.put(url, new Response(stream, { headers: { 'cache-control': 'max-age=60' } }));
  assert.equal(await (await caches.default.match(url)).text(), 'abc');
  let pulled = 0;
  const endless = new ReadableStream({ pull(c) { pulled++; c.enqueue(new Uint8Array(64 * 1024)); } });
  await assert.rejects(caches.default.put(url + '2', new Response(endless)), RangeError);
  assert.ok(pulled < 20, `stopped reading early (${pulled} chunks)`);
});

test('If-None-Match against the stored ETag gives a 304', async () => {
  const url = 'https://example.com/etag';
  await caches.default.put(url, new Response('body', { headers: { etag: '"v1"', 'cache-control': 'max-age=60' } }));
  const r = await caches.default.match(new Request(url, { headers: { 'if-none-match': 'W/"v1"' } }));
  assert.equal(r.status, 304);
  assert.equal(r.headers.get('etag'), '"v1"');
  const full = await caches.default.match(new Request(url, { headers: { 'if-none-match': '"v2"' } }));
  assert.equal(full.status, 200);
});
