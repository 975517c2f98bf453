// CompressionStream and DecompressionStream: round trips in every format, known blobs from other zlib users,
// corrupt / truncated / trailing input, many-chunk input, and a small input that expands to 50 MB, read chunk by chunk.
'use strict';

const FORMATS = ['deflate', 'deflate-raw', 'gzip'];
const CHUNK_LIMIT = 64 * 1024;   // the most a (de)compressor emits at once

function concat(chunks) {
  const size = chunks.reduce((n, c) => n + c.byteLength, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function sameBytes(a, b, msg) {
  assert.equal(a.byteLength, b.byteLength, `${msg}: length`);
  for (let i = 0; i < a.byteLength; i++) {
    if (a[i] !== b[i]) assert.equal(a[i], b[i], `${msg}: byte ${i}`);
  }
}

// Writes `inputs` through `stream` while reading its output: → the output chunks (Uint8Arrays). Rejects with the
// stream's error.
async function pipe(stream, inputs) {
  const writer = stream.writable.getWriter();
  const writing = (async () => {
    for (const chunk of inputs) await writer.write(chunk);
    await writer.close();
  })();
  writing.catch(() => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    assert.ok(value instanceof Uint8Array, 'chunks are Uint8Arrays');
    assert.ok(value.byteLength > 0 && value.byteLength <= CHUNK_LIMIT, `chunk size ${value.byteLength}`);
    chunks.push(value);
  }
  await writing;
  return chunks;
}

const compress = async (format, inputs) => concat(await pipe(new CompressionStream(format), inputs));
const decompress = async (format, inputs) => concat(await pipe(new DecompressionStream(format), inputs));

// Deterministic bytes that compress a little (a text-like mix), of any length.
function sampleBytes(n, seed = 1) {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 16) % 7 === 0 ? 0x20 : 0x61 + ((x >>> 8) % 26);
  }
  return out;
}

function split(bytes, size) {
  const parts = [];
  for (let i = 0; i < bytes.byteLength; i += size) parts.push(bytes.subarray(i, i + size));
  return parts;
}

// ---- round trips ----

for (const format of FORMATS) {
  test(`${format}: round trip of text, empty input and binary`, async () => {
    const text = new TextEncoder().encode('Hello, islet! '.repeat(100));
    const packed = await compress(format, [text]);
    assert.ok(packed.byteLength < text.byteLength / 10, `compresses (${packed.byteLength} bytes)`);
    sameBytes(await decompress(format, [packed]), text, 'text');

    const empty = await compress(format, []);
    assert.ok(empty.byteLength > 0, 'an empty input still has a stream framing');
    assert.equal((await decompress(format, [empty])).byteLength, 0, 'empty');

    const binary = new Uint8Array(256 * 3).map((_, i) => i & 0xFF);
    sameBytes(await decompress(format, [await compress(format, [binary])]), binary, 'binary');
  });

  test(`${format}: a large input in many chunks, its compressed form fed back in small pieces`, async () => {
    const data = sampleBytes(3 * 1024 * 1024 + 17);
    const packed = await compress(format, split(data, 4093));
    const out = await decompress(format, split(packed, 333));
    sameBytes(out, data, 'round trip');
    // Byte by byte for the first part of the stream, then the rest at once.
    const head = await (async () => {
      const ds = new DecompressionStream(format);
      const writer = ds.writable.getWriter();
      const reading = pipe({ writable: new WritableStream(), readable: ds.readable }, []);
      for (let i = 0; i < 200; i++) await writer.write(packed.subarray(i, i + 1));
      await writer.write(packed.subarray(200));
      await writer.close();
      return concat(await reading);
    })();
    sameBytes(head, data, 'byte by byte');
  });

  test(`${format}: every BufferSource is accepted, and written chunks are read when written`, async () => {
    const bytes = new TextEncoder().encode('abcdefgh'.repeat(50));
    const packed = await compress(format, [bytes.buffer, new DataView(bytes.buffer, 0, 8), new Uint16Array(4)]);
    const expected = concat([bytes, bytes.subarray(0, 8), new Uint8Array(8)]);
    sameBytes(await decompress(format, [packed]), expected, 'mixed views');
    // The chunk's bytes are taken when it is written: changing it afterwards changes nothing.
    const cs = new CompressionStream(format);
    const writer = cs.writable.getWriter();
    const out = pipe({ writable: new WritableStream(), readable: cs.readable }, []);
    const chunk = new TextEncoder().encode('original');
    const written = writer.write(chunk);
    await written;
    chunk.fill(0x7A);
    await writer.close();
    assert.equal(new TextDecoder().decode(await decompress(format, [concat(await out)])), 'original');
  });
}

// ---- known data from other implementations (Node's zlib) ----

test('decodes a gzip blob made by Node (zlib.gzipSync)', async () => {
  const blob = new Uint8Array([31, 139, 8, 0, 0, 0, 0, 0, 0, 3, 203, 72, 205, 201, 201, 87, 200, 44, 206, 73, 45, 225,
    202, 192, 193, 6, 0, 157, 87, 0, 74, 36, 0, 0, 0]);
  const out = await decompress('gzip', [blob]);
  assert.equal(new TextDecoder().decode(out), 'hello islet\n'.repeat(3));
});

test('decodes deflate and deflate-raw blobs made by Node', async () => {
  const zlibBlob = new Uint8Array([120, 156, 75, 76, 74, 6, 0, 2, 77, 1, 39]);
  assert.equal(new TextDecoder().decode(await decompress('deflate', [zlibBlob])), 'abc');
  const raw = new Uint8Array([75, 76, 74, 6, 0]);
  assert.equal(new TextDecoder().decode(await decompress('deflate-raw', [raw])), 'abc');
});

test('the gzip output has gzip framing; deflate has a zlib header', async () => {
  const gz = await compress('gzip', [new Uint8Array([1, 2, 3])]);
  assert.deepEqual([gz[0], gz[1], gz[2]], [0x1F, 0x8B, 8]);
  const z = await compress('deflate', [new Uint8Array([1, 2, 3])]);
  assert.equal(z[0] & 0x0F, 8, 'CM = deflate');
  assert.equal(((z[0] << 8) | z[1]) % 31, 0, 'FCHECK');
});

// ---- bad input ----

for (const format of FORMATS) {
  test(`${format}: truncated input is a TypeError`, async () => {
    const packed = await compress(format, [sampleBytes(10000)]);
    await assert.rejects(decompress(format, [packed.subarray(0, packed.byteLength - 5)]), TypeError);
    await assert.rejects(decompress(format, [packed.subarray(0, 1)]), TypeError);
  });

  test(`${format}: corrupted input and trailing data are TypeErrors`, async () => {
    const packed = await compress(format, [sampleBytes(10000)]);
    const bad = packed.slice();
    for (let i = 2; i < 40; i++) bad[i] ^= 0xA5;
    await assert.rejects(decompress(format, [bad]), TypeError, 'corrupted');
    await assert.rejects(decompress(format, [new Uint8Array(64).fill(0xFF)]), TypeError, 'garbage');
    await assert.rejects(decompress(format, [packed, new Uint8Array([1, 2, 3])]), TypeError, 'trailing data');
    await assert.rejects(decompress(format, [concat([packed, new Uint8Array([0])])]), TypeError, 'trailing byte');
  });
}

test('gzip: a bad checksum or length in the trailer is a TypeError', async () => {
  const packed = await compress('gzip', [sampleBytes(1000)]);
  const crc = packed.slice();
  crc[crc.byteLength - 8] ^= 1;
  await assert.rejects(decompress('gzip', [crc]), TypeError, 'crc');
  const len = packed.slice();
  len[len.byteLength - 1] ^= 1;
  await assert.rejects(decompress('gzip', [len]), TypeError, 'isize');
  const zlib = await compress('deflate', [sampleBytes(1000)]);
  zlib[zlib.byteLength - 1] ^= 1;
  await assert.rejects(decompress('deflate', [zlib]), TypeError, 'adler32');
});

test('a chunk that is not a BufferSource is a TypeError, and errors both sides', async () => {
  for (const Stream of [CompressionStream, DecompressionStream]) {
    for (const chunk of ['text', 42, null, undefined, [1, 2], {}]) {
      const s = new Stream('gzip');
      const writer = s.writable.getWriter();
      const read = s.readable.getReader().read();   // a reader's demand lets the transform run
      await assert.rejects(writer.write(chunk), TypeError, `${Stream.name}: ${String(chunk)}`);
      await assert.rejects(read, TypeError);
    }
  }
});

test('a stream that errors or is cancelled can be dropped; the format is checked', async () => {
  assert.throws(() => new CompressionStream('brotli'), TypeError);
  assert.throws(() => new DecompressionStream('br'), TypeError);
  assert.throws(() => new CompressionStream('GZIP'), TypeError);
  assert.throws(() => new CompressionStream(), TypeError);
  assert.throws(() => CompressionStream('gzip'), TypeError);
  const cs = new CompressionStream('gzip');
  await cs.readable.cancel('no');
  await assert.rejects(cs.writable.getWriter().write(new Uint8Array(1)));
  const ds = new DecompressionStream('deflate');
  await ds.writable.abort('gone');
  // Many streams left unfinished (~1 GB of zlib state in all): the GC reclaims them, the limit is never reached.
  // (A stream stays reachable from the microtask queue until its start step has run: hence the awaits.)
  for (let i = 0; i < 3000; i++) {
    const s = new CompressionStream('deflate');
    s.writable.getWriter().write(new Uint8Array(100));
    if (i % 10 === 0) await null;
  }
});

// ---- a small input that expands enormously ----

test('50 MB of zeros from a ~50 KB deflate stream, decompressed chunk by chunk', async () => {
  const MB = 1024 * 1024;
  const zeros = new Uint8Array(MB);
  const packed = await compress('deflate-raw', Array.from({ length: 50 }, () => zeros));
  assert.ok(packed.byteLength < 100 * 1024, `compressed to ${packed.byteLength} bytes`);
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  const writing = (async () => {
    for (const part of split(packed, 1024)) await writer.write(part);
    await writer.close();
  })();
  const reader = ds.readable.getReader();
  let total = 0;
  let chunks = 0;
  let nonZero = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    assert.ok(value.byteLength <= CHUNK_LIMIT, 'bounded chunk');
    for (let i = 0; i < value.byteLength; i += 4096) nonZero |= value[i];
    total += value.byteLength;
    chunks++;
  }
  await writing;
  assert.equal(total, 50 * MB);
  assert.equal(nonZero, 0);
  assert.ok(chunks >= (50 * MB) / CHUNK_LIMIT, `${chunks} chunks`);
});

test('a zip bomb in a single write still comes out in bounded chunks', async () => {
  const packed = await compress('gzip', Array.from({ length: 20 }, () => new Uint8Array(1024 * 1024)));
  let total = 0;
  for (const chunk of await pipe(new DecompressionStream('gzip'), [packed])) total += chunk.byteLength;
  assert.equal(total, 20 * 1024 * 1024);
});

// ---- WebIDL shape ----

test('WebIDL shape: readable/writable getters, toStringTag, brand checks, pipeThrough', async () => {
  for (const C of [CompressionStream, DecompressionStream]) {
    assert.equal(C.length, 1);
    const s = new C('deflate');
    assert.ok(s.readable instanceof ReadableStream);
    assert.ok(s.writable instanceof WritableStream);
    assert.equal(s.readable, s.readable);
    assert.equal(Object.prototype.toString.call(s), `[object ${C.name}]`);
    const d = Object.getOwnPropertyDescriptor(C.prototype, 'readable');
    assert.ok(d.enumerable && d.configurable && d.set === undefined);
    assert.throws(() => d.get.call({}), TypeError);
    assert.deepEqual(Reflect.ownKeys(s), []);
    const g = Object.getOwnPropertyDescriptor(globalThis, C.name);
    assert.deepEqual([g.writable, g.enumerable, g.configurable], [true, false, true]);
  }
  const source = new Response('piped through both').body;
  const text = await new Response(source.pipeThrough(new CompressionStream('gzip'))
    .pipeThrough(new DecompressionStream('gzip'))).text();
  assert.equal(text, 'piped through both');
  const saved = TransformStreamDefaultController.prototype.enqueue;
  TransformStreamDefaultController.prototype.enqueue = () => { throw new Error('replaced'); };
  try {
    assert.equal((await decompress('deflate', [await compress('deflate', [new Uint8Array(5)])])).byteLength, 5);
  } finally {
    TransformStreamDefaultController.prototype.enqueue = saved;
  }
});

test('chunks on shared or detached memory', async () => {
  let shared = null;
  try {
    shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer;
  } catch {}
  // (V8 10.2 without SharedArrayBuffer gives shared Wasm memory a plain ArrayBuffer, which is fine.)
  if (shared !== null && Object.prototype.toString.call(shared) === '[object SharedArrayBuffer]') {
    const s = new CompressionStream('gzip');
    const read = s.readable.getReader().read();
    const write = s.writable.getWriter().write(new Uint8Array(shared, 0, 4));
    await assert.rejects(write, TypeError, 'a view on shared memory');
    await assert.rejects(read, TypeError);
  }
  // A detached buffer is an empty chunk.
  const buffer = new ArrayBuffer(8);
  const view = new Uint8Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  const out = await decompress('deflate', [await compress('deflate', [view, buffer, new Uint8Array([7])])]);
  sameBytes(out, new Uint8Array([7]), 'detached chunks add nothing');
});
