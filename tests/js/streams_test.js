// Streams (src/api/streams/): ReadableStream (default and byte), tee, pipes, async iteration, WritableStream,
// TransformStream, queuing strategies, TextEncoderStream/TextDecoderStream, IdentityTransformStream,
// FixedLengthStream, stream bodies in Request/Response, and the runtime helpers on `__internal`.
'use strict';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const bytes = (...a) => new Uint8Array(a);
const sameBytes = (a, b) => a.length === b.length && Array.prototype.every.call(a, (x, i) => x === b[i]);
const isDetached = (b) => {
  if (b.byteLength !== 0) return false;
  try { new Uint8Array(b); return false; } catch { return true; }
};
const streamOf = (chunks) => new ReadableStream({
  start(c) {
    for (const x of chunks) c.enqueue(x);
    c.close();
  },
});
async function readAll(stream) {
  const reader = stream.getReader();
  const out = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}
const flatBytes = (chunks) => {
  const out = [];
  for (const c of chunks) out.push(...c);
  return out;
};
// A WritableStream that records what happens to it.
function recordingSink(extra = {}) {
  const log = [];
  const ws = new WritableStream({
    write(chunk) { log.push(['write', chunk]); return extra.write && extra.write(chunk); },
    close() { log.push(['close']); },
    abort(r) { log.push(['abort', r]); },
  }, extra.strategy);
  return { ws, log };
}

// -------------------------------------------------------------------------------------------------------------------
// Shape

test('globals exist, are non-enumerable, and have WebIDL shape', () => {
  for (const name of ['ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader',
    'ReadableStreamDefaultController', 'ReadableByteStreamController', 'ReadableStreamBYOBRequest', 'WritableStream',
    'WritableStreamDefaultWriter', 'WritableStreamDefaultController', 'TransformStream',
    'TransformStreamDefaultController', 'ByteLengthQueuingStrategy', 'CountQueuingStrategy', 'TextEncoderStream',
    'TextDecoderStream', 'IdentityTransformStream', 'FixedLengthStream']) {
    assert.equal(typeof globalThis[name], 'function', name);
    assert(!Object.getOwnPropertyDescriptor(globalThis, name).enumerable, name);
    assert.equal(Object.prototype.toString.call(globalThis[name].prototype), `[object ${name}]`, name);
  }
  assert.equal(ReadableStream.length, 0);
  assert.equal(ReadableStreamDefaultReader.length, 1);
  assert(Object.getOwnPropertyDescriptor(ReadableStream.prototype, 'getReader').enumerable);
  assert(Object.getOwnPropertyDescriptor(ReadableStream.prototype, 'locked').enumerable);
  assert.equal(ReadableStream.prototype[Symbol.asyncIterator], ReadableStream.prototype.values);
  assert.equal(ReadableStream.prototype.pipeTo.length, 1);
  assert.equal(typeof ReadableStream.from, 'function');
});

test('brand checks throw or reject with TypeError', async () => {
  assert.throws(() => ReadableStream.prototype.getReader.call({}), TypeError);
  assert.throws(() => Object.getOwnPropertyDescriptor(ReadableStream.prototype, 'locked').get.call({}), TypeError);
  await assert.rejects(ReadableStream.prototype.cancel.call({}), TypeError);
  await assert.rejects(ReadableStream.prototype.pipeTo.call({}, new WritableStream()), TypeError);
  await assert.rejects(ReadableStreamDefaultReader.prototype.read.call({}), TypeError);
  await assert.rejects(WritableStream.prototype.abort.call({}), TypeError);
  await assert.rejects(WritableStreamDefaultWriter.prototype.write.call({}, 1), TypeError);
  assert.throws(() => Object.getOwnPropertyDescriptor(TransformStream.prototype, 'readable').get.call({}), TypeError);
  assert.throws(() => new ReadableStreamDefaultController(), TypeError);
  assert.throws(() => new ReadableByteStreamController(), TypeError);
  assert.throws(() => new ReadableStreamBYOBRequest(), TypeError);
  assert.throws(() => new WritableStreamDefaultController(), TypeError);
  assert.throws(() => new TransformStreamDefaultController(), TypeError);
  assert.throws(() => new ReadableStreamDefaultReader({}), TypeError);
  assert.throws(() => new WritableStreamDefaultWriter({}), TypeError);
});

test('ReadableStream constructor validates the source and strategy', () => {
  assert.throws(() => new ReadableStream(null), TypeError);
  assert.throws(() => new ReadableStream({ type: 'nope' }), TypeError);
  assert.throws(() => new ReadableStream({ pull: 1 }), TypeError);
  assert.throws(() => new ReadableStream({ start: 'x' }), TypeError);
  assert.throws(() => new ReadableStream({}, { highWaterMark: -1 }), RangeError);
  assert.throws(() => new ReadableStream({}, { highWaterMark: NaN }), RangeError);
  assert.throws(() => new ReadableStream({}, { size: 5 }), TypeError);
  assert.throws(() => new ReadableStream({ type: 'bytes' }, { size: () => 1 }), RangeError);
  assert.throws(() => new ReadableStream({ type: 'bytes', autoAllocateChunkSize: 0 }), TypeError);
  assert.throws(() => new ReadableStream({ start() { throw new SyntaxError('boom'); } }), SyntaxError);
  new ReadableStream();
  new ReadableStream({}, { highWaterMark: 0 });
  new ReadableStream({ type: 'bytes' }, { highWaterMark: 10 });
});

// -------------------------------------------------------------------------------------------------------------------
// Default readable streams

test('read() gives the chunks in order, then done', async () => {
  const reader = streamOf(['a', 1, { x: 2 }]).getReader();
  assert.deepEqual(await reader.read(), { value: 'a', done: false });
  assert.deepEqual(await reader.read(), { value: 1, done: false });
  assert.deepEqual(await reader.read(), { value: { x: 2 }, done: false });
  assert.deepEqual(await reader.read(), { value: undefined, done: true });
  assert.deepEqual(await reader.read(), { value: undefined, done: true });
  assert.equal(await reader.closed, undefined);
});

test('a read waits for a later enqueue', async () => {
  let ctrl;
  const rs = new ReadableStream({ start(c) { ctrl = c; } });
  const reader = rs.getReader();
  const p = reader.read();
  await tick();
  ctrl.enqueue('late');
  assert.deepEqual(await p, { value: 'late', done: false });
  const p2 = reader.read();
  ctrl.close();
  assert.deepEqual(await p2, { value: undefined, done: true });
});

test('cancel() calls the source cancel with the reason and empties the queue', async () => {
  let reason;
  const rs = new ReadableStream({
    start(c) { c.enqueue(1); c.enqueue(2); },
    cancel(r) { reason = r; },
  });
  assert.equal(await rs.cancel('why'), undefined);
  assert.equal(reason, 'why');
  const reader = rs.getReader();
  assert.deepEqual(await reader.read(), { value: undefined, done: true });
});

test('reader.cancel() resolves even while reads are pending, which resolve done', async () => {
  const rs = new ReadableStream({ cancel() { return new Promise((r) => setTimeout(r, 1)); } });
  const reader = rs.getReader();
  const read = reader.read();
  await reader.cancel('x');
  assert.deepEqual(await read, { value: undefined, done: true });
});

test('a rejected source cancel rejects cancel()', async () => {
  const rs = new ReadableStream({ cancel() { throw new RangeError('nope'); } });
  await assert.rejects(rs.cancel(), RangeError);
});

test('controller.error() rejects reads and closed with the error', async () => {
  let ctrl;
  const rs = new ReadableStream({ start(c) { ctrl = c; c.enqueue('lost'); } });
  const reader = rs.getReader();
  const err = new Error('bad');
  ctrl.error(err);
  assert.equal(await assert.rejects(reader.read()), err);
  assert.equal(await assert.rejects(reader.closed), err);
  assert.equal(await assert.rejects(reader.cancel()), err);
  assert.equal(ctrl.desiredSize, null);
});

test('a rejected start() errors the stream; pull is never called', async () => {
  let pulled = false;
  const rs = new ReadableStream({ start() { return Promise.reject(new EvalError('e')); }, pull() { pulled = true; } });
  await assert.rejects(rs.getReader().read(), EvalError);
  assert.equal(pulled, false);
});

test('enqueue/close after close throw TypeError', () => {
  let ctrl;
  new ReadableStream({ start(c) { ctrl = c; } });
  ctrl.close();
  assert.throws(() => ctrl.enqueue(1), TypeError);
  assert.throws(() => ctrl.close(), TypeError);
  assert.equal(ctrl.desiredSize, 0);
});

test('pull is called after start until the queue reaches the high-water mark', async () => {
  let pulls = 0;
  const rs = new ReadableStream({
    pull(c) {
      pulls++;
      c.enqueue(pulls);
    },
  }, { highWaterMark: 3 });
  assert.equal(pulls, 0, 'not before start resolves');
  await tick();
  assert.equal(pulls, 3);
  const reader = rs.getReader();
  assert.deepEqual(await reader.read(), { value: 1, done: false });
  await tick();
  assert.equal(pulls, 4);
});

test('pull is not called again while its promise is pending', async () => {
  let pulls = 0, release;
  const rs = new ReadableStream({
    pull(c) {
      pulls++;
      return new Promise((r) => { release = () => { c.enqueue(pulls); r(); }; });
    },
  }, { highWaterMark: 0 });
  const reader = rs.getReader();
  const r1 = reader.read();
  const r2 = reader.read();
  await tick();
  assert.equal(pulls, 1);
  release();
  assert.deepEqual(await r1, { value: 1, done: false });
  await tick();
  assert.equal(pulls, 2);
  release();
  assert.deepEqual(await r2, { value: 2, done: false });
});

test('desiredSize follows the queue (default strategy counts chunks)', async () => {
  let ctrl;
  const rs = new ReadableStream({ start(c) { ctrl = c; } }, { highWaterMark: 2 });
  assert.equal(ctrl.desiredSize, 2);
  ctrl.enqueue('a');
  assert.equal(ctrl.desiredSize, 1);
  ctrl.enqueue('b');
  ctrl.enqueue('c');
  assert.equal(ctrl.desiredSize, -1);
  await rs.getReader().read();
  assert.equal(ctrl.desiredSize, 0);
});

test('a size() strategy weighs chunks; errors from size() error the stream', async () => {
  let ctrl;
  const rs = new ReadableStream({ start(c) { ctrl = c; } }, { highWaterMark: 10, size: (chunk) => chunk.length });
  ctrl.enqueue('abcd');
  assert.equal(ctrl.desiredSize, 6);
  ctrl.enqueue('abcdefg');
  assert.equal(ctrl.desiredSize, -1);
  let c2;
  const bad = new ReadableStream({ start(c) { c2 = c; } }, { size() { throw new URIError('size'); } });
  assert.throws(() => c2.enqueue('x'), URIError);
  await assert.rejects(bad.getReader().read(), URIError);
  let c3;
  new ReadableStream({ start(c) { c3 = c; } }, { size: () => -1 });
  assert.throws(() => c3.enqueue('x'), RangeError);
  let c4;
  new ReadableStream({ start(c) { c4 = c; } }, { size: () => Infinity });
  assert.throws(() => c4.enqueue('x'), RangeError);
});

test('getReader() locks; releaseLock() unlocks and rejects pending reads', async () => {
  const rs = new ReadableStream();
  assert.equal(rs.locked, false);
  const reader = rs.getReader();
  assert.equal(rs.locked, true);
  assert.throws(() => rs.getReader(), TypeError);
  await assert.rejects(rs.cancel(), TypeError);
  const pending = reader.read();
  reader.releaseLock();
  await assert.rejects(pending, TypeError);
  await assert.rejects(reader.closed, TypeError);
  await assert.rejects(reader.read(), TypeError);
  assert.equal(rs.locked, false);
  reader.releaseLock(); // a no-op now
  rs.getReader();
});

test('getReader() options: mode must be "byob" or absent', () => {
  assert.throws(() => new ReadableStream().getReader({ mode: 'other' }), TypeError);
  assert.throws(() => new ReadableStream().getReader({ mode: 'byob' }), TypeError);
  assert(new ReadableStream().getReader({}) instanceof ReadableStreamDefaultReader);
  assert(new ReadableStream({ type: 'bytes' }).getReader({ mode: 'byob' }) instanceof ReadableStreamBYOBReader);
});

// -------------------------------------------------------------------------------------------------------------------
// Byte streams

test('byte stream + default reader: chunks are Uint8Arrays, enqueued buffers are transferred', async () => {
  const chunk = new Uint16Array([0x0201, 0x0403]);
  const rs = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(chunk); c.close(); } });
  assert(isDetached(chunk.buffer), 'the enqueued buffer is detached');
  const chunks = await readAll(rs);
  assert.equal(chunks.length, 1);
  assert(chunks[0] instanceof Uint8Array);
  assert(sameBytes(chunks[0], [1, 2, 3, 4]));
});

test('byte controller validates chunks', () => {
  let ctrl;
  new ReadableStream({ type: 'bytes', start(c) { ctrl = c; } });
  assert(Object.prototype.toString.call(ctrl) === '[object ReadableByteStreamController]');
  assert.throws(() => ctrl.enqueue('str'), TypeError);
  assert.throws(() => ctrl.enqueue(new Uint8Array(0)), TypeError);
  assert.equal(ctrl.byobRequest, null);
  ctrl.close();
  assert.throws(() => ctrl.enqueue(bytes(1)), TypeError);
  assert.throws(() => ctrl.close(), TypeError);
});

test('BYOB reader: read(view) fills the view from queued chunks, and transfers its buffer', async () => {
  const rs = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(bytes(1, 2, 3)); c.enqueue(bytes(4, 5)); c.close(); } });
  const reader = rs.getReader({ mode: 'byob' });
  const view = new Uint8Array(4);
  const { value, done } = await reader.read(view);
  assert.equal(done, false);
  assert(isDetached(view.buffer), 'the view given to read() is detached');
  assert(sameBytes(value, [1, 2, 3, 4]));
  assert.equal(value.buffer.byteLength, 4);
  const r2 = await reader.read(new Uint8Array(4));
  assert(sameBytes(r2.value, [5]));
  const r3 = await reader.read(new Uint8Array(4));
  assert.equal(r3.done, true);
  assert.equal(r3.value.byteLength, 0);
  assert(r3.value instanceof Uint8Array);
});

test('BYOB reader: the source fills byobRequest.view and responds', async () => {
  let pulls = 0;
  const rs = new ReadableStream({
    type: 'bytes',
    pull(c) {
      pulls++;
      const req = c.byobRequest;
      assert(req instanceof ReadableStreamBYOBRequest);
      assert.equal(req.view.byteLength, 8);
      req.view[0] = 7;
      req.view[1] = 8;
      req.respond(2);
      assert.equal(req.view, null, 'the request is invalidated after respond');
      assert.throws(() => req.respond(1), TypeError);
    },
  });
  const reader = rs.getReader({ mode: 'byob' });
  const { value } = await reader.read(new Uint8Array(8));
  assert(sameBytes(value, [7, 8]));
  assert.equal(value.byteOffset, 0);
  assert.equal(value.buffer.byteLength, 8);
  assert.equal(pulls, 1);
});

test('BYOB reader: respondWithNewView and typed views of wider elements', async () => {
  const rs = new ReadableStream({
    type: 'bytes',
    pull(c) {
      const v = c.byobRequest.view;
      const nv = new Uint8Array(v.buffer, v.byteOffset, 4);
      nv.set([1, 0, 2, 0]);
      c.byobRequest.respondWithNewView(nv);
    },
  });
  const reader = rs.getReader({ mode: 'byob' });
  const { value } = await reader.read(new Uint16Array(4));
  assert(value instanceof Uint16Array);
  assert.equal(value.length, 2);
  assert.equal(value[0], 1);
  assert.equal(value[1], 2);
});

test('BYOB reader: respond() range errors', async () => {
  let req;
  const rs = new ReadableStream({ type: 'bytes', pull(c) { req = c.byobRequest; } });
  const reader = rs.getReader({ mode: 'byob' });
  const p = reader.read(new Uint8Array(2));
  await tick();
  assert.throws(() => req.respond(3), RangeError);
  assert.throws(() => req.respond(0), TypeError);
  req.view.set([9, 9]);
  req.respond(2);
  assert(sameBytes((await p).value, [9, 9]));
});

test('BYOB reader: read(view, { min }) waits until min elements are filled', async () => {
  let ctrl;
  const rs = new ReadableStream({ type: 'bytes', start(c) { ctrl = c; } });
  const reader = rs.getReader({ mode: 'byob' });
  let settled = false;
  const p = reader.read(new Uint8Array(8), { min: 4 }).then((r) => { settled = true; return r; });
  ctrl.enqueue(bytes(1, 2));
  await tick();
  assert.equal(settled, false);
  ctrl.enqueue(bytes(3, 4, 5));
  const { value } = await p;
  assert(sameBytes(value, [1, 2, 3, 4, 5]));
  await assert.rejects(reader.read(new Uint8Array(2), { min: 3 }), RangeError);
  await assert.rejects(reader.read(new Uint8Array(2), { min: 0 }), TypeError);
});

test('BYOB reader: invalid views reject', async () => {
  const reader = new ReadableStream({ type: 'bytes' }).getReader({ mode: 'byob' });
  await assert.rejects(reader.read(new Uint8Array(0)), TypeError);
  await assert.rejects(reader.read('nope'), TypeError);
  const view = new Uint8Array(4);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  await assert.rejects(reader.read(view), TypeError);
});

test('BYOB reader: close() with a pending read is answered by respond(0)', async () => {
  let ctrl;
  const rs = new ReadableStream({ type: 'bytes', start(c) { ctrl = c; } });
  const reader = rs.getReader({ mode: 'byob' });
  const p = reader.read(new Uint8Array(4));
  await tick();
  ctrl.close();
  ctrl.byobRequest.respond(0);
  const { value, done } = await p;
  assert.equal(done, true);
  assert.equal(value.byteLength, 0);
  assert.equal(value.buffer.byteLength, 4);
});

test('autoAllocateChunkSize: a default reader read gets a byobRequest of that size', async () => {
  const sizes = [];
  const rs = new ReadableStream({
    type: 'bytes',
    autoAllocateChunkSize: 16,
    pull(c) {
      sizes.push(c.byobRequest.view.byteLength);
      c.byobRequest.view[0] = 42;
      c.byobRequest.respond(1);
    },
  });
  const reader = rs.getReader();
  const { value } = await reader.read();
  assert(value instanceof Uint8Array);
  assert(sameBytes(value, [42]));
  assert.equal(value.buffer.byteLength, 16);
  assert.deepEqual(sizes, [16]);
});

test('byte stream desiredSize counts bytes; releasing a BYOB reader rejects its reads', async () => {
  let ctrl;
  const rs = new ReadableStream({ type: 'bytes', start(c) { ctrl = c; } }, { highWaterMark: 8 });
  assert.equal(ctrl.desiredSize, 8);
  ctrl.enqueue(bytes(1, 2, 3));
  assert.equal(ctrl.desiredSize, 5);
  const reader = rs.getReader({ mode: 'byob' });
  assert(sameBytes((await reader.read(new Uint8Array(10))).value, [1, 2, 3]));
  const p = reader.read(new Uint8Array(2));
  reader.releaseLock();
  await assert.rejects(p, TypeError);
  // The pending pull-into stays for the source; bytes it responds go to the queue for the next reader.
  ctrl.byobRequest.view[0] = 77;
  ctrl.byobRequest.respond(1);
  const r2 = rs.getReader();
  assert(sameBytes((await r2.read()).value, [77]));
});

// -------------------------------------------------------------------------------------------------------------------
// tee()

test('tee(): both branches get every chunk', async () => {
  const [a, b] = streamOf([1, 2, 3]).tee();
  assert(a instanceof ReadableStream && b instanceof ReadableStream);
  assert.deepEqual(await readAll(a), [1, 2, 3]);
  assert.deepEqual(await readAll(b), [1, 2, 3]);
});

test('tee(): locks the source; branches read at different paces', async () => {
  const rs = streamOf(['x', 'y']);
  const [a, b] = rs.tee();
  assert.equal(rs.locked, true);
  const ra = a.getReader();
  assert.deepEqual(await ra.read(), { value: 'x', done: false });
  assert.deepEqual(await ra.read(), { value: 'y', done: false });
  assert.deepEqual(await readAll(b), ['x', 'y']);
});

test('tee(): cancelling both branches cancels the source with both reasons', async () => {
  let reason;
  const rs = new ReadableStream({ cancel(r) { reason = r; } });
  const [a, b] = rs.tee();
  const pa = a.cancel('r1');
  await tick();
  assert.equal(reason, undefined, 'one branch alone does not cancel the source');
  await b.cancel('r2');
  await pa;
  assert.deepEqual(reason, ['r1', 'r2']);
});

test('tee(): cancelling one branch leaves the other readable', async () => {
  const [a, b] = streamOf([1, 2]).tee();
  const canceled = a.cancel(); // settles once the source closes (or the other branch cancels too)
  assert.deepEqual(await readAll(b), [1, 2]);
  assert.equal(await canceled, undefined);
});

test('tee(): a source error errors both branches', async () => {
  let ctrl;
  const [a, b] = new ReadableStream({ start(c) { ctrl = c; } }).tee();
  const err = new Error('src');
  ctrl.error(err);
  assert.equal(await assert.rejects(a.getReader().read()), err);
  assert.equal(await assert.rejects(b.getReader().read()), err);
});

test('tee() of a byte stream: byte branches with independent chunks', async () => {
  const rs = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(bytes(1, 2)); c.enqueue(bytes(3)); c.close(); } });
  const [a, b] = rs.tee();
  const ra = a.getReader({ mode: 'byob' }); // a byte branch accepts BYOB readers
  const first = (await ra.read(new Uint8Array(2))).value;
  assert(sameBytes(first, [1, 2]));
  first[0] = 99;
  const bChunks = await readAll(b);
  assert.deepEqual(flatBytes(bChunks), [1, 2, 3]);
  assert(bChunks.every((c) => c instanceof Uint8Array));
  assert(sameBytes((await ra.read(new Uint8Array(4))).value, [3]));
  assert.equal((await ra.read(new Uint8Array(4))).done, true);
});

// -------------------------------------------------------------------------------------------------------------------
// pipeTo / pipeThrough

test('pipeTo(): writes every chunk, then closes the destination', async () => {
  const { ws, log } = recordingSink();
  assert.equal(await streamOf(['a', 'b']).pipeTo(ws), undefined);
  assert.deepEqual(log, [['write', 'a'], ['write', 'b'], ['close']]);
});

test('pipeTo(): locks both streams while piping and unlocks after', async () => {
  const rs = streamOf([1]);
  const { ws } = recordingSink();
  const p = rs.pipeTo(ws);
  assert.equal(rs.locked, true);
  assert.equal(ws.locked, true);
  await p;
  assert.equal(rs.locked, false);
  assert.equal(ws.locked, false);
  await assert.rejects(new ReadableStream().pipeTo({}), TypeError);
  const locked = new ReadableStream();
  locked.getReader();
  await assert.rejects(locked.pipeTo(new WritableStream()), TypeError);
  const lockedWs = new WritableStream();
  lockedWs.getWriter();
  await assert.rejects(new ReadableStream().pipeTo(lockedWs), TypeError);
});

test('pipeTo({ preventClose }): the destination stays open', async () => {
  const { ws, log } = recordingSink();
  await streamOf(['a']).pipeTo(ws, { preventClose: true });
  assert.deepEqual(log, [['write', 'a']]);
  const w = ws.getWriter();
  await w.write('more');
  assert.deepEqual(log, [['write', 'a'], ['write', 'more']]);
});

test('pipeTo(): a source error aborts the destination and rejects', async () => {
  let ctrl;
  const rs = new ReadableStream({ start(c) { ctrl = c; c.enqueue('x'); } });
  const { ws, log } = recordingSink();
  const p = rs.pipeTo(ws);
  await tick();
  const err = new Error('src');
  ctrl.error(err);
  assert.equal(await assert.rejects(p), err);
  assert.deepEqual(log, [['write', 'x'], ['abort', err]]);
});

test('pipeTo({ preventAbort }): a source error leaves the destination alone', async () => {
  const err = new Error('src');
  const rs = new ReadableStream({ start(c) { c.error(err); } });
  const { ws, log } = recordingSink();
  assert.equal(await assert.rejects(rs.pipeTo(ws, { preventAbort: true })), err);
  assert.deepEqual(log, []);
  assert.equal(ws.locked, false);
});

test('pipeTo(): a destination error cancels the source and rejects', async () => {
  let cancelReason;
  const rs = new ReadableStream({ pull(c) { c.enqueue('chunk'); }, cancel(r) { cancelReason = r; } });
  const err = new Error('sink');
  const ws = new WritableStream({ write() { throw err; } });
  assert.equal(await assert.rejects(rs.pipeTo(ws)), err);
  assert.equal(cancelReason, err);
});

test('pipeTo({ preventCancel }): a destination error leaves the source readable', async () => {
  const rs = streamOf(['a', 'b']);
  const err = new Error('sink');
  const ws = new WritableStream({ write() { throw err; } });
  assert.equal(await assert.rejects(rs.pipeTo(ws, { preventCancel: true })), err);
  assert.equal(rs.locked, false);
  const rest = await readAll(rs);
  assert(rest.length >= 1, 'chunks not written are still there');
});

test('pipeTo(): a closed destination cancels the source with a TypeError', async () => {
  let cancelReason;
  const rs = new ReadableStream({ cancel(r) { cancelReason = r; } });
  const ws = new WritableStream();
  await ws.close();
  await assert.rejects(rs.pipeTo(ws), TypeError);
  assert(cancelReason instanceof TypeError);
});

test('pipeTo({ signal }): aborting stops the pipe, aborts the destination, cancels the source', async () => {
  let cancelReason;
  const rs = new ReadableStream({ pull(c) { c.enqueue('tick'); return new Promise((r) => setTimeout(r, 1)); }, cancel(r) { cancelReason = r; } });
  const { ws, log } = recordingSink();
  const ac = new AbortController();
  const p = rs.pipeTo(ws, { signal: ac.signal });
  await new Promise((r) => setTimeout(r, 5));
  ac.abort();
  const e = await assert.rejects(p, 'AbortError');
  assert.equal(e, ac.signal.reason);
  assert.equal(cancelReason, e);
  assert.deepEqual(log[log.length - 1], ['abort', e]);
  assert(log.some(([what]) => what === 'write'));
});

test('pipeTo({ signal }): an already aborted signal, with preventAbort and preventCancel', async () => {
  let canceled = false;
  const rs = new ReadableStream({ cancel() { canceled = true; } });
  const { ws, log } = recordingSink();
  const reason = new Error('stop');
  const p = rs.pipeTo(ws, { signal: AbortSignal.abort(reason), preventAbort: true, preventCancel: true });
  assert.equal(await assert.rejects(p), reason);
  assert.equal(canceled, false);
  assert.deepEqual(log, []);
  await assert.rejects(new ReadableStream().pipeTo(new WritableStream(), { signal: {} }), TypeError);
});

test('pipeTo(): respects the destination\'s backpressure', async () => {
  let pulls = 0;
  const rs = new ReadableStream({ pull(c) { pulls++; c.enqueue(pulls); if (pulls === 50) c.close(); } }, { highWaterMark: 0 });
  let release;
  const ws = new WritableStream({ write() { return new Promise((r) => { release = r; }); } }, { highWaterMark: 2 });
  const p = rs.pipeTo(ws);
  await new Promise((r) => setTimeout(r, 5));
  assert(pulls <= 4, `pulled ${pulls} chunks while the sink was stuck`);
  for (let i = 0; i < 200 && pulls < 50; i++) {
    release();
    await tick();
  }
  for (let i = 0; i < 10; i++) { release(); await tick(); }
  await p;
  assert.equal(pulls, 50);
});

test('pipeThrough(): returns the readable side, pipes into the writable side', async () => {
  const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
  const out = streamOf(['a', 'b']).pipeThrough(upper);
  assert.equal(out, upper.readable);
  assert.deepEqual(await readAll(out), ['A', 'B']);
});

test('pipeThrough(): argument checks', () => {
  const rs = new ReadableStream();
  assert.throws(() => rs.pipeThrough({ readable: new ReadableStream() }), TypeError);
  assert.throws(() => rs.pipeThrough({ writable: new WritableStream() }), TypeError);
  const ts = new TransformStream();
  ts.writable.getWriter();
  assert.throws(() => rs.pipeThrough(ts), TypeError);
  rs.getReader();
  assert.throws(() => rs.pipeThrough(new TransformStream()), TypeError);
});

// -------------------------------------------------------------------------------------------------------------------
// Async iteration, ReadableStream.from

test('for await iterates the chunks and releases the lock at the end', async () => {
  const rs = streamOf([1, 2, 3]);
  const out = [];
  for await (const x of rs) out.push(x);
  assert.deepEqual(out, [1, 2, 3]);
  assert.equal(rs.locked, false);
});

test('breaking out of for await cancels the stream', async () => {
  let reason = 'not called';
  const rs = new ReadableStream({ pull(c) { c.enqueue('x'); }, cancel(r) { reason = r; } });
  for await (const x of rs) { assert.equal(x, 'x'); break; }
  assert.equal(reason, undefined);
  assert.equal(rs.locked, false);
});

test('values({ preventCancel: true }): breaking releases the lock without cancelling', async () => {
  let canceled = false;
  const rs = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); }, cancel() { canceled = true; } });
  for await (const x of rs.values({ preventCancel: true })) { assert.equal(x, 1); break; }
  assert.equal(canceled, false);
  assert.equal(rs.locked, false);
  assert.deepEqual(await readAll(rs), [2]);
});

test('async iterator: errors propagate; next() calls are queued; prototype shape', async () => {
  const err = new Error('it');
  const rs = new ReadableStream({ start(c) { c.enqueue('ok'); c.error(err); } });
  const it = rs[Symbol.asyncIterator]();
  await assert.rejects(it.next());
  assert.deepEqual(await it.next(), { value: undefined, done: true });
  const proto = Object.getPrototypeOf(it);
  assert.equal(proto[Symbol.toStringTag], 'ReadableStream AsyncIterator');
  assert.equal(typeof proto.next, 'function');
  assert.equal(typeof proto.return, 'function');
  const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype);
  assert.equal(Object.getPrototypeOf(proto), AsyncIteratorPrototype);
  const it2 = streamOf(['a', 'b']).values();
  const [r1, r2, r3] = await Promise.all([it2.next(), it2.next(), it2.next()]);
  assert.deepEqual([r1, r2, r3], [{ value: 'a', done: false }, { value: 'b', done: false }, { value: undefined, done: true }]);
  assert.deepEqual(await it2.return('v'), { value: 'v', done: true });
  assert.throws(() => { const s = new ReadableStream(); s.getReader(); s.values(); }, TypeError);
});

test('ReadableStream.from(): async generators, sync iterables (awaiting promises), errors', async () => {
  async function* gen() { yield 1; yield 2; }
  assert.deepEqual(await readAll(ReadableStream.from(gen())), [1, 2]);
  assert.deepEqual(await readAll(ReadableStream.from(['a', Promise.resolve('b')])), ['a', 'b']);
  assert.deepEqual(await readAll(ReadableStream.from('hi')), ['h', 'i']);
  assert.throws(() => ReadableStream.from(5), TypeError);
  assert.throws(() => ReadableStream.from({}), TypeError);
  async function* boom() { yield 1; throw new RangeError('gen'); }
  const r = ReadableStream.from(boom()).getReader();
  assert.deepEqual(await r.read(), { value: 1, done: false });
  await assert.rejects(r.read(), RangeError);
});

test('ReadableStream.from(): cancel calls the iterator\'s return()', async () => {
  let returned;
  const iterable = {
    [Symbol.asyncIterator]() {
      return {
        next: () => Promise.resolve({ value: 'v', done: false }),
        return: (r) => { returned = r; return Promise.resolve({ done: true }); },
      };
    },
  };
  const rs = ReadableStream.from(iterable);
  const reader = rs.getReader();
  assert.deepEqual(await reader.read(), { value: 'v', done: false });
  await reader.cancel('stop');
  assert.equal(returned, 'stop');
});

// -------------------------------------------------------------------------------------------------------------------
// WritableStream

test('WritableStream: writes reach the sink in order, then close', async () => {
  const { ws, log } = recordingSink();
  const w = ws.getWriter();
  const p1 = w.write('a');
  const p2 = w.write('b');
  const pc = w.close();
  await Promise.all([p1, p2, pc]);
  assert.deepEqual(log, [['write', 'a'], ['write', 'b'], ['close']]);
  assert.equal(await w.closed, undefined);
  assert.equal(w.desiredSize, 0);
});

test('WritableStream: the sink gets the controller; start() delays writes', async () => {
  const log = [];
  let startDone;
  const ws = new WritableStream({
    start(c) {
      assert(c instanceof WritableStreamDefaultController);
      log.push('start');
      return new Promise((r) => { startDone = r; });
    },
    write(chunk, c) {
      assert(c instanceof WritableStreamDefaultController);
      log.push(chunk);
    },
  });
  const w = ws.getWriter();
  const p = w.write('x');
  await tick();
  assert.deepEqual(log, ['start']);
  startDone();
  await p;
  assert.deepEqual(log, ['start', 'x']);
});

test('WritableStream: desiredSize and ready follow backpressure', async () => {
  const releases = [];
  const ws = new WritableStream({ write() { return new Promise((r) => releases.push(r)); } }, { highWaterMark: 2 });
  const w = ws.getWriter();
  assert.equal(w.desiredSize, 2);
  await w.ready;
  w.write('a');
  w.write('b');
  assert.equal(w.desiredSize, 0);
  let ready = false;
  w.ready.then(() => { ready = true; });
  await tick();
  assert.equal(ready, false, 'ready waits while the queue is full');
  releases.shift()();
  await tick();
  assert.equal(w.desiredSize, 1);
  assert.equal(ready, true);
});

test('WritableStream: a size() strategy; ByteLengthQueuingStrategy', async () => {
  const ws = new WritableStream({ write() { return new Promise(() => {}); } },
    new ByteLengthQueuingStrategy({ highWaterMark: 10 }));
  const w = ws.getWriter();
  w.write(new Uint8Array(4));
  w.write(new Uint8Array(3));
  assert.equal(w.desiredSize, 3);
});

test('WritableStream: abort() reaches the sink, rejects pending writes and closed', async () => {
  let abortReason;
  const ws = new WritableStream({
    write() { return new Promise((r) => setTimeout(r, 2)); },
    abort(r) { abortReason = r; },
  });
  const w = ws.getWriter();
  const w1 = w.write('in flight');
  const w2 = w.write('queued');
  await tick(); // start() has finished: the first write is in flight
  const err = new Error('abort!');
  const pa = w.abort(err);
  await w1; // the in-flight write still finishes
  assert.equal(await assert.rejects(w2), err);
  await pa;
  assert.equal(abortReason, err);
  assert.equal(await assert.rejects(w.closed), err);
  assert.equal(await assert.rejects(w.write('late')), err);
  assert.equal(w.desiredSize, null);
});

test('WritableStream: controller.signal aborts with the abort reason', async () => {
  let signal;
  const ws = new WritableStream({ start(c) { signal = c.signal; } });
  assert.equal(signal.aborted, false);
  await ws.abort('why');
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, 'why');
  let lateSignal, ctrl;
  const ws2 = new WritableStream({ start(c) { ctrl = c; } });
  await ws2.abort('later');
  lateSignal = ctrl.signal;
  assert.equal(lateSignal.aborted, true);
  assert.equal(lateSignal.reason, 'later');
});

test('WritableStream: a rejected write errors the stream', async () => {
  const err = new Error('w');
  let n = 0;
  const ws = new WritableStream({ write() { if (++n === 2) throw err; } });
  const w = ws.getWriter();
  await w.write(1);
  assert.equal(await assert.rejects(w.write(2)), err);
  assert.equal(await assert.rejects(w.write(3)), err);
  assert.equal(await assert.rejects(w.closed), err);
  assert.equal(await assert.rejects(w.ready), err);
});

test('WritableStream: controller.error() errors the stream', async () => {
  let ctrl;
  const ws = new WritableStream({ start(c) { ctrl = c; } });
  const w = ws.getWriter();
  await tick();
  const err = new Error('ctl');
  ctrl.error(err);
  assert.equal(await assert.rejects(w.closed), err);
  assert.equal(await assert.rejects(w.write('x')), err);
  ctrl.error(new Error('ignored'));
});

test('WritableStream: write/close after close reject with TypeError', async () => {
  const ws = new WritableStream();
  const w = ws.getWriter();
  w.close();
  await assert.rejects(w.write('x'), TypeError);
  await assert.rejects(w.close(), TypeError);
  await w.closed;
  await assert.rejects(w.write('x'), TypeError);
});

test('WritableStream: getWriter() locks; releaseLock() rejects the old writer\'s promises', async () => {
  const ws = new WritableStream();
  const w = ws.getWriter();
  assert.equal(ws.locked, true);
  assert.throws(() => ws.getWriter(), TypeError);
  await assert.rejects(ws.abort(), TypeError);
  await assert.rejects(ws.close(), TypeError);
  w.releaseLock();
  assert.equal(ws.locked, false);
  await assert.rejects(w.closed, TypeError);
  await assert.rejects(w.write('x'), TypeError);
  assert.throws(() => w.desiredSize, TypeError);
  const w2 = ws.getWriter();
  await w2.write('ok');
});

test('WritableStream: constructor checks; ws.close() without a writer', async () => {
  assert.throws(() => new WritableStream({ type: 'bytes' }), RangeError);
  assert.throws(() => new WritableStream({ write: 3 }), TypeError);
  assert.throws(() => new WritableStream(null), TypeError);
  assert.throws(() => new WritableStream({}, { highWaterMark: -5 }), RangeError);
  const { ws, log } = recordingSink();
  await ws.close();
  assert.deepEqual(log, [['close']]);
});

// -------------------------------------------------------------------------------------------------------------------
// TransformStream

test('TransformStream: without a transformer it passes chunks through', async () => {
  const ts = new TransformStream();
  const w = ts.writable.getWriter();
  w.write('a');
  w.write('b');
  w.close();
  assert.deepEqual(await readAll(ts.readable), ['a', 'b']);
});

test('TransformStream: transform() may enqueue several chunks; flush() runs at close', async () => {
  const ts = new TransformStream({
    transform(chunk, c) { for (const ch of chunk) c.enqueue(ch); },
    flush(c) { c.enqueue('END'); },
  });
  const reading = readAll(ts.readable);
  const w = ts.writable.getWriter();
  await w.write('ab');
  await w.write('c');
  await w.close();
  assert.deepEqual(await reading, ['a', 'b', 'c', 'END']);
});

test('TransformStream: a throwing transform errors both sides', async () => {
  const err = new Error('t');
  const ts = new TransformStream({ transform() { throw err; } });
  const w = ts.writable.getWriter();
  const read = ts.readable.getReader().read(); // a pending read relieves the initial backpressure
  assert.equal(await assert.rejects(w.write('x')), err);
  assert.equal(await assert.rejects(read), err);
  assert.equal(await assert.rejects(w.closed), err);
});

test('TransformStream: controller.terminate() closes the readable and errors the writable', async () => {
  let ctrl;
  const ts = new TransformStream({ start(c) { ctrl = c; } });
  ctrl.enqueue('last');
  ctrl.terminate();
  assert.deepEqual(await readAll(ts.readable), ['last']);
  await assert.rejects(ts.writable.getWriter().write('x'), TypeError);
});

test('TransformStream: backpressure from the readable side holds writes', async () => {
  let transforms = 0;
  const ts = new TransformStream({ transform(chunk, c) { transforms++; c.enqueue(chunk); } });
  const w = ts.writable.getWriter();
  const p1 = w.write(1);
  const p2 = w.write(2);
  await tick();
  assert.equal(transforms, 0, 'nothing is transformed before anyone reads (readable HWM 0)');
  const reader = ts.readable.getReader();
  assert.deepEqual(await reader.read(), { value: 1, done: false });
  await p1;
  assert.deepEqual(await reader.read(), { value: 2, done: false });
  await p2;
  assert.equal(transforms, 2);
});

test('TransformStream: desiredSize, strategies, and readableType/writableType', async () => {
  let ctrl;
  const ts = new TransformStream({ start(c) { ctrl = c; } }, undefined, { highWaterMark: 3 });
  assert.equal(ctrl.desiredSize, 3);
  ctrl.enqueue('q');
  assert.equal(ctrl.desiredSize, 2);
  assert.throws(() => new TransformStream({ readableType: 'bytes' }), RangeError);
  assert.throws(() => new TransformStream({ writableType: 'bytes' }), RangeError);
  assert.throws(() => new TransformStream({ transform: 1 }), TypeError);
  assert(ts.readable instanceof ReadableStream && ts.writable instanceof WritableStream);
});

test('TransformStream: cancelling the readable calls transformer.cancel and errors the writable', async () => {
  let reason;
  const ts = new TransformStream({ cancel(r) { reason = r; } });
  await ts.readable.cancel('enough');
  assert.equal(reason, 'enough');
  assert.equal(await assert.rejects(ts.writable.getWriter().closed), 'enough');
});

test('TransformStream: aborting the writable errors the readable', async () => {
  const ts = new TransformStream();
  await ts.writable.abort('gone');
  assert.equal(await assert.rejects(ts.readable.getReader().read()), 'gone');
});

// -------------------------------------------------------------------------------------------------------------------
// Queuing strategies

test('ByteLengthQueuingStrategy and CountQueuingStrategy', () => {
  const b = new ByteLengthQueuingStrategy({ highWaterMark: 16 });
  assert.equal(b.highWaterMark, 16);
  assert.equal(b.size(new Uint8Array(5)), 5);
  assert.equal(b.size, new ByteLengthQueuingStrategy({ highWaterMark: 1 }).size, 'one size function per realm');
  assert.equal(b.size.name, 'size');
  const c = new CountQueuingStrategy({ highWaterMark: 2 });
  assert.equal(c.highWaterMark, 2);
  assert.equal(c.size('anything'), 1);
  assert.throws(() => new CountQueuingStrategy({}), TypeError);
  assert.throws(() => new ByteLengthQueuingStrategy(), TypeError);
  assert.throws(() => Object.getOwnPropertyDescriptor(CountQueuingStrategy.prototype, 'highWaterMark').get.call({}), TypeError);
});

test('CountQueuingStrategy drives a ReadableStream\'s desiredSize', () => {
  let ctrl;
  new ReadableStream({ start(c) { ctrl = c; } }, new CountQueuingStrategy({ highWaterMark: 4 }));
  ctrl.enqueue('a');
  assert.equal(ctrl.desiredSize, 3);
});

// -------------------------------------------------------------------------------------------------------------------
// TextEncoderStream / TextDecoderStream

test('TextEncoderStream: strings in, UTF-8 Uint8Arrays out', async () => {
  const tes = new TextEncoderStream();
  assert.equal(tes.encoding, 'utf-8');
  const reading = readAll(tes.readable);
  const w = tes.writable.getWriter();
  w.write('hé');
  w.write('');
  w.write(12);
  w.close();
  const chunks = await reading;
  assert(chunks.every((c) => c instanceof Uint8Array));
  assert.equal(chunks.length, 2, 'empty output is not enqueued');
  assert.deepEqual(flatBytes(chunks), [0x68, 0xc3, 0xa9, 0x31, 0x32]);
});

test('TextEncoderStream: a surrogate pair split across chunks', async () => {
  const tes = new TextEncoderStream();
  const reading = readAll(tes.readable);
  const w = tes.writable.getWriter();
  const emoji = '\u{1F600}';
  w.write(`a${emoji[0]}`);
  w.write(`${emoji[1]}b`);
  w.write('\ud83d'); // a lone high surrogate at the end
  w.close();
  assert.deepEqual(flatBytes(await reading), [0x61, 0xf0, 0x9f, 0x98, 0x80, 0x62, 0xef, 0xbf, 0xbd]);
});

test('TextDecoderStream: multi-byte characters split across chunks', async () => {
  const tds = new TextDecoderStream();
  assert.equal(tds.encoding, 'utf-8');
  assert.equal(tds.fatal, false);
  assert.equal(tds.ignoreBOM, false);
  const reading = readAll(tds.readable);
  const w = tds.writable.getWriter();
  const euro = [0xe2, 0x82, 0xac];
  w.write(new Uint8Array([0xef, 0xbb, 0xbf, 0x41, euro[0]]));
  w.write(new Uint8Array([euro[1]]));
  w.write(new Uint8Array([euro[2], 0x42]).buffer);
  w.write(new DataView(new Uint8Array([0xf0, 0x9f]).buffer));
  w.close();
  assert.equal((await reading).join(''), 'A\u20acB\ufffd');
});

test('TextDecoderStream: fatal mode and bad chunks error the stream', async () => {
  assert.throws(() => new TextDecoderStream('latin2'), RangeError);
  const tds = new TextDecoderStream('utf8', { fatal: true });
  assert.equal(tds.fatal, true);
  const read = tds.readable.getReader().read();
  const w = tds.writable.getWriter();
  await assert.rejects(w.write(new Uint8Array([0xff])), TypeError);
  await assert.rejects(read, TypeError);
  const t2 = new TextDecoderStream();
  const read2 = t2.readable.getReader().read();
  await assert.rejects(t2.writable.getWriter().write('not bytes'), TypeError);
  await assert.rejects(read2, TypeError);
});

test('TextDecoderStream: response.body piped through it', async () => {
  const text = await readAll(new Response('día ✓').body.pipeThrough(new TextDecoderStream()));
  assert.equal(text.join(''), 'día ✓');
});

// -------------------------------------------------------------------------------------------------------------------
// IdentityTransformStream / FixedLengthStream

test('IdentityTransformStream: bytes pass through; the readable side is a byte stream', async () => {
  const its = new IdentityTransformStream();
  assert(its instanceof TransformStream);
  const w = its.writable.getWriter();
  const src = new Uint8Array([1, 2, 3]);
  const reader = its.readable.getReader({ mode: 'byob' });
  const pa = reader.read(new Uint8Array(10));
  await w.write(src);
  src[0] = 99; // the stream copied the chunk
  w.write(new Uint16Array([0x0504]).buffer);
  w.close();
  const a = await pa;
  assert(sameBytes(a.value, [1, 2, 3]));
  const b = await reader.read(new Uint8Array(10));
  assert(sameBytes(b.value, [4, 5]));
  assert.equal((await reader.read(new Uint8Array(1))).done, true);
});

test('IdentityTransformStream: non-byte chunks are a TypeError', async () => {
  const its = new IdentityTransformStream();
  const read = its.readable.getReader().read();
  const w = its.writable.getWriter();
  await assert.rejects(w.write('text'), TypeError);
  await assert.rejects(read, TypeError);
});

test('FixedLengthStream: exactly the declared length passes', async () => {
  const fls = new FixedLengthStream(5);
  assert(fls instanceof IdentityTransformStream);
  const reading = readAll(fls.readable);
  const w = fls.writable.getWriter();
  w.write(bytes(1, 2));
  w.write(bytes(3, 4, 5));
  await w.close();
  assert.deepEqual(flatBytes(await reading), [1, 2, 3, 4, 5]);
  if (globalThis.__internal) assert.equal(__internal.streamExpectedLength(new FixedLengthStream(7n).readable), 7);
});

test('FixedLengthStream: too many bytes errors the stream', async () => {
  const fls = new FixedLengthStream(2);
  const reading = readAll(fls.readable);
  const w = fls.writable.getWriter();
  await assert.rejects(w.write(bytes(1, 2, 3)), TypeError);
  await assert.rejects(reading, TypeError);
});

test('FixedLengthStream: too few bytes makes close() reject', async () => {
  const fls = new FixedLengthStream(4);
  const reading = readAll(fls.readable);
  const w = fls.writable.getWriter();
  await w.write(bytes(1));
  await assert.rejects(w.close(), TypeError);
  await assert.rejects(reading, TypeError);
  assert.throws(() => new FixedLengthStream(-1), RangeError);
  assert.throws(() => new FixedLengthStream(), TypeError);
});

// -------------------------------------------------------------------------------------------------------------------
// Request / Response bodies

test('new Response(readable).text() reads a stream of Uint8Arrays', async () => {
  const enc = new TextEncoder();
  const r = new Response(streamOf([enc.encode('hel'), enc.encode('lo')]));
  assert.equal(r.bodyUsed, false);
  assert.equal(await r.text(), 'hello');
  assert.equal(r.bodyUsed, true);
  await assert.rejects(r.text(), TypeError);
});

test('a string Response body is a byte ReadableStream of Uint8Arrays', async () => {
  const r = new Response('abc');
  const body = r.body;
  assert(body instanceof ReadableStream);
  assert.equal(r.body, body);
  assert.equal(r.bodyUsed, false);
  const reader = body.getReader({ mode: 'byob' }); // a byte stream
  const { value } = await reader.read(new Uint8Array(2));
  assert(value instanceof Uint8Array);
  assert(sameBytes(value, [97, 98]));
  assert.equal(r.bodyUsed, true);
  assert(sameBytes((await reader.read(new Uint8Array(8))).value, [99]));
  await assert.rejects(r.arrayBuffer(), TypeError);
});

test('clone() tees a stream body; both read all bytes', async () => {
  const r = new Response(streamOf([bytes(1), bytes(2, 3)]));
  const c = r.clone();
  assert(sameBytes(new Uint8Array(await c.arrayBuffer()), [1, 2, 3]));
  assert(sameBytes(await r.bytes(), [1, 2, 3]));
  const req = new Request('http://x/', { method: 'POST', body: streamOf([bytes(111, 107)]) });
  const req2 = req.clone();
  assert.equal(await req2.text(), 'ok');
  assert.equal(await req.text(), 'ok');
});

test('a body stream with non-Uint8Array chunks rejects with TypeError', async () => {
  await assert.rejects(new Response(streamOf([new ArrayBuffer(2)])).text(), TypeError);
  await assert.rejects(new Response(streamOf(['str'])).arrayBuffer(), TypeError);
  await assert.rejects(new Response(streamOf([new Uint16Array(1)])).bytes(), TypeError);
});

test('a Response over an IdentityTransformStream written concurrently', async () => {
  const { readable, writable } = new IdentityTransformStream();
  const r = new Response(readable);
  const w = writable.getWriter();
  const writing = (async () => {
    for (const s of ['one ', 'two ', 'three']) await w.write(new TextEncoder().encode(s));
    await w.close();
  })();
  assert.equal(await r.text(), 'one two three');
  await writing;
});

test('a stream body piped through a TransformStream into a new Response', async () => {
  const upper = new TransformStream({
    transform(chunk, c) { c.enqueue(new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase())); },
  });
  const r = new Response(new Response('shout').body.pipeThrough(upper));
  assert.equal(await r.text(), 'SHOUT');
});

test('a disturbed or locked stream cannot be a body', async () => {
  const rs = streamOf([bytes(1)]);
  const reader = rs.getReader();
  await reader.read();
  reader.releaseLock();
  assert.throws(() => new Response(rs), TypeError);
});

// -------------------------------------------------------------------------------------------------------------------
// Runtime helpers (__internal, only under `islet test`)

if (globalThis.__internal) {
  const internal = globalThis.__internal;

  test('internal: type checks and exports', () => {
    const rs = new ReadableStream();
    assert.equal(internal.ReadableStream, ReadableStream);
    assert.equal(internal.isReadableStream(rs), true);
    assert.equal(internal.isReadableStream({}), false);
    assert.equal(internal.isReadableStream(null), false);
    assert.equal(internal.isReadableStreamLocked(rs), false);
    assert.equal(internal.isReadableStreamDisturbed(rs), false);
    const reader = rs.getReader();
    assert.equal(internal.isReadableStreamLocked(rs), true);
    reader.read();
    assert.equal(internal.isReadableStreamDisturbed(rs), true);
    assert.equal(internal.isWritableStream(new WritableStream()), true);
  });

  test('internal.readAllBytes: concatenates Uint8Array chunks', async () => {
    const out = await internal.readAllBytes(streamOf([bytes(1, 2), bytes(), bytes(3)]));
    assert(out instanceof Uint8Array);
    assert(sameBytes(out, [1, 2, 3]));
    assert.equal((await internal.readAllBytes(streamOf([]))).byteLength, 0);
    let n = 0;
    const slow = new ReadableStream({ async pull(c) { await tick(); if (++n > 3) c.close(); else c.enqueue(bytes(n)); } });
    assert(sameBytes(await internal.readAllBytes(slow), [1, 2, 3]));
  });

  test('internal.readAllBytes: TypeError for non-Uint8Array chunks (and the stream is cancelled), locked, errored', async () => {
    let reason;
    const rs = new ReadableStream({ start(c) { c.enqueue(bytes(1)); c.enqueue('x'); }, cancel(r) { reason = r; } });
    await assert.rejects(internal.readAllBytes(rs), TypeError);
    await tick();
    assert(reason instanceof TypeError);
    const locked = new ReadableStream();
    locked.getReader();
    await assert.rejects(internal.readAllBytes(locked), TypeError);
    await assert.rejects(internal.readAllBytes({}), TypeError);
    const err = new Error('e');
    assert.equal(await assert.rejects(internal.readAllBytes(new ReadableStream({ start(c) { c.error(err); } }))), err);
  });

  test('internal.readableStreamFromBytes: one chunk, then closed; a byte stream', async () => {
    const rs = internal.readableStreamFromBytes(bytes(5, 6, 7));
    assert.equal(internal.streamExpectedLength(rs), 3);
    const chunks = await readAll(rs);
    assert.equal(chunks.length, 1);
    assert(sameBytes(chunks[0], [5, 6, 7]));
    const r2 = internal.readableStreamFromBytes(bytes(1, 2, 3)).getReader({ mode: 'byob' });
    assert(sameBytes((await r2.read(new Uint8Array(2))).value, [1, 2]));
    assert(sameBytes((await r2.read(new Uint8Array(2))).value, [3]));
    assert.equal((await r2.read(new Uint8Array(2))).done, true);
    assert.deepEqual(await readAll(internal.readableStreamFromBytes(new Uint8Array(0))), []);
  });

  test('internal.newPullStream: pull on demand, null ends, empty chunks skipped', async () => {
    const data = [bytes(1, 2), bytes(), bytes(3), null];
    let pulls = 0;
    const rs = internal.newPullStream(() => { pulls++; return Promise.resolve(data.shift()); });
    await tick();
    assert.equal(pulls, 0, 'nothing is pulled before a read');
    assert(sameBytes(await internal.readAllBytes(rs), [1, 2, 3]));
    assert.equal(pulls, 4);
    assert.equal(internal.streamExpectedLength(internal.newPullStream(() => null, undefined, { length: 9 })), 9);
  });

  test('internal.newPullStream: cancel reaches the cancel function; errors error the stream', async () => {
    let reason;
    const rs = internal.newPullStream(() => new Promise(() => {}), (r) => { reason = r; });
    const reader = rs.getReader();
    const pending = reader.read();
    await reader.cancel('client went away');
    assert.equal(reason, 'client went away');
    assert.deepEqual(await pending, { value: undefined, done: true });
    const err = new Error('socket');
    const bad = internal.newPullStream(() => Promise.reject(err));
    assert.equal(await assert.rejects(new Response(bad).text()), err);
    await assert.rejects(internal.readAllBytes(internal.newPullStream(() => 'str')), TypeError);
  });

  test('internal.newPullStream: works with a BYOB reader and as a Request body', async () => {
    const chunks = [bytes(1, 2, 3, 4), null];
    const r = internal.newPullStream(() => chunks.shift()).getReader({ mode: 'byob' });
    assert(sameBytes((await r.read(new Uint8Array(3))).value, [1, 2, 3]));
    assert(sameBytes((await r.read(new Uint8Array(3))).value, [4]));
    assert.equal((await r.read(new Uint8Array(3))).done, true);
    const body = [new TextEncoder().encode('{"a":'), new TextEncoder().encode('1}'), null];
    const req = internal.makeIncomingRequest('POST', 'http://h/', [], internal.newPullStream(() => body.shift()));
    assert.deepEqual(await req.json(), { a: 1 });
  });

  test('internal.byteReader: chunk by chunk, null at the end', async () => {
    const br = internal.byteReader(streamOf([bytes(1), bytes(2)]));
    assert(sameBytes(await br.read(), [1]));
    assert(sameBytes(await br.read(), [2]));
    assert.equal(await br.read(), null);
    const bad = internal.byteReader(streamOf([{}]));
    await assert.rejects(bad.read(), TypeError);
    let reason;
    const c = internal.byteReader(new ReadableStream({ cancel(r) { reason = r; } }));
    await c.cancel('x');
    assert.equal(reason, 'x');
  });

  test('internal: a Response with a stream body hands the stream to the server', () => {
    const rs = internal.readableStreamFromBytes(bytes(1));
    const parts = internal.responseParts(new Response(rs));
    assert.equal(parts.body, rs);
  });
}
