// APIs many workers never use load on first use (engine::LazyApi, prelude.js): streams, console, URL, Blob/File/FormData,
// URLPattern, WASI, the Cache API, SubtleCrypto, CompressionStream and WebSocket are not in the snapshot, so a worker that never uses
// them does not hold them. The tests run in order in one isolate: the first ones see the APIs before anything loaded
// them (console excepted: the test runner reads console.log before the first test).
'use strict';

const descriptor = (name) => Object.getOwnPropertyDescriptor(globalThis, name);
const STREAMS = ['ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader',
  'ReadableStreamDefaultController', 'ReadableByteStreamController', 'ReadableStreamBYOBRequest', 'WritableStream',
  'WritableStreamDefaultWriter', 'WritableStreamDefaultController', 'TransformStream',
  'TransformStreamDefaultController', 'ByteLengthQueuingStrategy', 'CountQueuingStrategy', 'TextEncoderStream',
  'TextDecoderStream', 'IdentityTransformStream', 'FixedLengthStream'];
const LAZY = ['URL', 'URLSearchParams', 'Blob', 'File', 'FormData', 'URLPattern', 'WASI', 'Cache', 'CacheStorage', 'caches', 'CryptoKey', 'SubtleCrypto',
  'CompressionStream', 'DecompressionStream', 'WebSocket', 'WebSocketPair', ...STREAMS];

test('before first use each lazy global is a placeholder, and present', () => {
  for (const name of LAZY) {
    const d = descriptor(name);
    assert.equal(typeof d.get, 'function', name + ' is not loaded yet');
    assert.equal(d.enumerable, false, name);
    assert.ok(name in globalThis, name);
    assert.ok(!Object.keys(globalThis).includes(name), name);
  }
});

test('a body read as a Blob or FormData loads blob.js', async () => {
  const form = await new Response('a=1&b=2', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  }).formData();
  assert.equal(typeof descriptor('FormData').value, 'function');
  assert.ok(form instanceof FormData);
  assert.equal(form.get('b'), '2');
  const blob = await new Response('xyz', { headers: { 'content-type': 'text/x-test' } }).blob();
  assert.ok(blob instanceof Blob);
  assert.equal(blob.type, 'text/x-test');
  assert.equal(await blob.text(), 'xyz');
  // A FormData body is serialized as multipart/form-data, and read back.
  const fd = new FormData();
  fd.append('file', new File(['hello'], 'h.txt', { type: 'text/plain' }));
  const back = await new Response(fd).formData();
  assert.equal(await back.get('file').text(), 'hello');
  assert.equal(back.get('file').name, 'h.txt');
});

test('bodies that are read whole, cloned or sent on do not load the streams family', async () => {
  const r = new Request('https://example.com/', { method: 'POST', body: 'abc' });
  const c = r.clone();
  assert.equal(await r.text(), 'abc');
  assert.equal(await c.text(), 'abc');
  const blob = new Blob(['xyz']);
  assert.equal(await new Response(blob).text(), 'xyz');
  assert.equal(new Response(new Uint8Array([1])).bodyUsed, false);
  for (const name of STREAMS) assert.equal(typeof descriptor(name).get, 'function', name + ' is not loaded yet');
});

test('reading .body loads the streams family', async () => {
  const body = new Response('abc').body;
  assert.equal(typeof descriptor('ReadableStream').value, 'function');
  assert.ok(body instanceof ReadableStream);
  const { value } = await body.getReader().read();
  assert.equal(new TextDecoder().decode(value), 'abc');
  for (const name of STREAMS) assert.equal(descriptor(name).get, undefined, name + ' is loaded');
});

test('console is a plain global once read', () => {
  assert.equal(typeof console.log, 'function');
  const d = descriptor('console');
  assert.equal(d.get, undefined);
  assert.equal(d.value, console);
  assert.equal(d.enumerable, false);
});

test('the first read loads the file and leaves a plain global', () => {
  assert.equal(typeof URLPattern, 'function');
  const d = descriptor('URLPattern');
  assert.equal(d.value, URLPattern);
  assert.equal(d.writable, true);
  assert.equal(d.enumerable, false);
  assert.equal(d.configurable, true);
  assert.ok(new URLPattern({ pathname: '/a/:id' }).test('https://example.com/a/1'));
});

test('a value a worker assigns before the first read stays', () => {
  globalThis.caches = 'mine';
  assert.equal(caches, 'mine');
  // Cache comes from the same file as caches: loading it does not overwrite the worker's value.
  assert.equal(typeof Cache, 'function');
  assert.equal(caches, 'mine');
  assert.equal(typeof CacheStorage, 'function');
});

test('crypto.subtle loads SubtleCrypto', async () => {
  assert.equal(typeof descriptor('SubtleCrypto').get, 'function');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('abc'));
  assert.equal(new Uint8Array(digest)[0], 0xba);
  assert.ok(crypto.subtle instanceof SubtleCrypto);
  assert.equal(typeof descriptor('CryptoKey').value, 'function');
});

test('a load that throws leaves the placeholder, and the next read loads', () => {
  // A worker that puts getters on Object.prototype breaks the API files that run after it (they define their
  // classes with descriptors that inherit from it): the read throws that worker's error, and nothing is lost.
  Object.defineProperty(Object.prototype, 'value', {
    __proto__: null, get() { throw new Error('Object.prototype.value was read'); }, configurable: true,
  });
  try {
    assert.throws(() => CompressionStream, Error);
  } finally {
    delete Object.prototype.value;
  }
  assert.equal(typeof descriptor('CompressionStream').get, 'function');
  assert.equal(typeof CompressionStream, 'function');
  assert.equal(typeof DecompressionStream, 'function');
  assert.ok(new CompressionStream('gzip').readable instanceof ReadableStream);
});

test('API objects have no prototype to look properties up on', () => {
  assert.equal(Object.getPrototypeOf(globalThis.__internal), null);
});

test('WebSocketPair and WASI load when read', () => {
  const pair = new WebSocketPair();
  assert.ok(pair[0] instanceof WebSocket);
  assert.equal(typeof WASI, 'function');
  for (const name of LAZY) assert.equal(descriptor(name).get, undefined, name + ' is loaded');
});
