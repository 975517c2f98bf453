// Rarely used APIs load on first use (engine::LazyApi, prelude.js): URLPattern, WASI, the Cache API, SubtleCrypto,
// CompressionStream and WebSocket are not in the snapshot, so a worker that never uses them does not hold them.
// The tests run in order in one isolate: the first ones see the APIs before anything loaded them.
'use strict';

const descriptor = (name) => Object.getOwnPropertyDescriptor(globalThis, name);
const LAZY = ['URLPattern', 'WASI', 'Cache', 'CacheStorage', 'caches', 'CryptoKey', 'SubtleCrypto',
  'CompressionStream', 'DecompressionStream', 'WebSocket', 'WebSocketPair'];

test('before first use each lazy global is a placeholder, and present', () => {
  for (const name of LAZY) {
    const d = descriptor(name);
    assert.equal(typeof d.get, 'function', name + ' is not loaded yet');
    assert.equal(d.enumerable, false, name);
    assert.ok(name in globalThis, name);
    assert.ok(!Object.keys(globalThis).includes(name), name);
  }
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
