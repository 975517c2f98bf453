// ReadableStream, WritableStream, TransformStream and their readers, writers and controllers, per the WHATWG Streams
// Standard (https://streams.spec.whatwg.org/); TextEncoderStream/TextDecoderStream (Encoding Standard); the Workers
// extras IdentityTransformStream and FixedLengthStream; and the runtime's helpers (internal.readAllBytes, ...).
//
// Each public object holds its spec state in one plain record (a private field); the abstract operations below work
// on records and are named after the spec's (rs* ReadableStream, rsdc* its default controller, rbsc* the byte
// controller, ws*/wsdc* WritableStream, ts*/tsdc* TransformStream). Public wrappers of controllers and readers made
// for internal use are created only when a worker can see them.
(function (g, native, internal) {
  'use strict';

  // ---------------------------------------------------------------------------------------------------------------
  // Builtins and small helpers

  const PromiseCtor = Promise;
  const promiseThen = Function.prototype.call.bind(Promise.prototype.then);
  const resolvedP = Promise.resolve.bind(Promise);
  const rejectedP = Promise.reject.bind(Promise);
  const apply = Reflect.apply;
  const { isView } = ArrayBuffer;
  const Uint8ArrayCtor = Uint8Array;
  const ArrayBufferCtor = ArrayBuffer;
  const DataViewCtor = DataView;
  const MathMin = Math.min;
  const NumberIsNaN = Number.isNaN;
  const SymbolAsyncIterator = Symbol.asyncIterator;
  const SymbolIterator = Symbol.iterator;
  const uncurry = (f) => Function.prototype.call.bind(f);
  const getter = (proto, name) => uncurry(Object.getOwnPropertyDescriptor(proto, name).get);
  const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
  const taTag = getter(TypedArrayProto, Symbol.toStringTag);
  const taBuffer = getter(TypedArrayProto, 'buffer');
  const taByteOffset = getter(TypedArrayProto, 'byteOffset');
  const taByteLength = getter(TypedArrayProto, 'byteLength');
  const taLength = getter(TypedArrayProto, 'length');
  const dvBuffer = getter(DataView.prototype, 'buffer');
  const dvByteOffset = getter(DataView.prototype, 'byteOffset');
  const dvByteLength = getter(DataView.prototype, 'byteLength');
  const abByteLength = getter(ArrayBuffer.prototype, 'byteLength');
  const abSlice = uncurry(ArrayBuffer.prototype.slice);
  const u8Set = uncurry(TypedArrayProto.set);
  const u8Slice = uncurry(TypedArrayProto.slice);

  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  const isUint8Array = (v) => isView(v) && taTag(v) === 'Uint8Array';
  const viewBuffer = (v) => (taTag(v) !== undefined ? taBuffer(v) : dvBuffer(v));
  const viewByteOffset = (v) => (taTag(v) !== undefined ? taByteOffset(v) : dvByteOffset(v));
  const viewByteLength = (v) => (taTag(v) !== undefined ? taByteLength(v) : dvByteLength(v));
  const isArrayBuffer = (v) => {
    if (!isObject(v)) return false;
    try { abByteLength(v); return true; } catch { return false; }
  };
  // A detached buffer has length 0 and cannot have a view made over it (V8 10.2 has no `detached` getter).
  const isDetached = (b) => {
    if (abByteLength(b) !== 0) return false;
    try { new Uint8ArrayCtor(b); return false; } catch { return true; }
  };
  // TransferArrayBuffer: a new ArrayBuffer with b's contents; b is detached.
  const transferAB = (b) => native.structuredClone(b, [b]);
  const TYPED_ARRAYS = {
    __proto__: null, Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  };

  const INTERNAL = Symbol('internal');
  const noop = () => {};
  const markHandled = (p) => { promiseThen(p, undefined, noop); };
  const illegal = () => new TypeError('Illegal invocation');
  const illegalConstructor = () => new TypeError('Illegal constructor');
  const queueMicrotask = (fn) => internal.enqueueMicrotask(fn);
  const resolvedUndefined = () => resolvedP(undefined);
  // Invokes a WebIDL callback whose return type is a Promise: a throw becomes a rejection.
  function promiseCall(fn, thisArg, args) {
    try { return resolvedP(apply(fn, thisArg, args)); } catch (e) { return rejectedP(e); }
  }

  // A promise with its resolving functions and whether it is still pending.
  class Deferred {
    constructor() {
      this.pending = true;
      this.res = undefined;
      this.rej = undefined;
      this.p = new PromiseCtor((res, rej) => { this.res = res; this.rej = rej; });
    }
    resolve(v) { if (this.pending) { this.pending = false; this.res(v); } }
    reject(e) { if (this.pending) { this.pending = false; this.rej(e); } }
    static resolved(v) { const d = new Deferred(); d.resolve(v); return d; }
    static rejected(e) { const d = new Deferred(); d.reject(e); markHandled(d.p); return d; }
  }

  // A FIFO with amortised O(1) shift.
  class Queue {
    constructor() { this.a = []; this.h = 0; this.length = 0; }
    push(x) { this.a.push(x); this.length++; }
    peek() { return this.a[this.h]; }
    shift() {
      const a = this.a;
      const x = a[this.h];
      a[this.h++] = undefined;
      if (--this.length === 0) {
        this.a = [];
        this.h = 0;
      } else if (this.h > 1024 && this.h * 2 > a.length) {
        this.a = a.slice(this.h);
        this.h = 0;
      }
      return x;
    }
  }

  // WebIDL [EnforceRange] unsigned long long.
  function enforceRangeULL(v, what) {
    const n = +v;
    if (NumberIsNaN(n) || n === Infinity || n === -Infinity) throw new TypeError(`${what} is not a finite number`);
    const t = Math.trunc(n);
    if (t < 0 || t > Number.MAX_SAFE_INTEGER) throw new TypeError(`${what} is outside the accepted range`);
    return t === 0 ? 0 : t;
  }
  const callbackMember = (dict, name, what) => {
    const f = dict[name];
    if (f !== undefined && typeof f !== 'function') throw new TypeError(`${what}.${name} is not a function`);
    return f;
  };

  // QueuingStrategy dictionary, ExtractHighWaterMark, ExtractSizeAlgorithm.
  function strategyDict(s) {
    if (s === undefined || s === null) return { hwm: undefined, size: undefined };
    if (!isObject(s)) throw new TypeError('The queuing strategy is not an object');
    let hwm = s.highWaterMark;
    if (hwm !== undefined) hwm = +hwm;
    const size = callbackMember(s, 'size', 'strategy');
    return { hwm, size };
  }
  function extractHWM(d, dflt) {
    if (d.hwm === undefined) return dflt;
    if (NumberIsNaN(d.hwm) || d.hwm < 0) throw new RangeError('The highWaterMark must be a non-negative number');
    return d.hwm;
  }
  const sizeOne = () => 1;
  const extractSize = (d) => {
    const size = d.size;
    return size === undefined ? sizeOne : (chunk) => +apply(size, undefined, [chunk]);
  };

  // Queue-with-sizes (default controllers and WritableStream controllers): entries { v, s }.
  function enqueueValueWithSize(c, v, size) {
    if (!(size >= 0) || size === Infinity) throw new RangeError('The size of a chunk must be a finite, non-negative number');
    c.queue.push({ v, s: size });
    c.total += size;
  }
  function dequeueValue(c) {
    const e = c.queue.shift();
    c.total -= e.s;
    if (c.total < 0) c.total = 0;
    return e.v;
  }
  function resetQueue(c) {
    c.queue = new Queue();
    c.total = 0;
  }

  const { defineTag } = internal.webidl;
  // WebIDL: operations and attributes are enumerable.
  const finishClass = (C, tag) => {
    for (const [obj, skip] of [[C.prototype, ['constructor']], [C, ['length', 'name', 'prototype']]]) {
      for (const name of Object.getOwnPropertyNames(obj)) {
        if (skip.includes(name)) continue;
        const d = Object.getOwnPropertyDescriptor(obj, name);
        d.enumerable = true;
        Object.defineProperty(obj, name, d);
      }
    }
    defineTag(C, tag);
  };

  // ---------------------------------------------------------------------------------------------------------------
  // Records

  class RStream {
    constructor() {
      this.state = 'readable'; // readable | closed | errored
      this.reader = undefined; // a Reader
      this.storedError = undefined;
      this.disturbed = false;
      this.ctrl = undefined; // an RSDC or RBSC
      this.pub = undefined;
      this.knownLength = null; // bytes this stream will produce, when known (internal.streamExpectedLength)
    }
  }
  class Reader {
    constructor(byob) {
      this.byob = byob;
      this.stream = undefined;
      this.closed = undefined; // Deferred
      this.reqs = []; // read requests / read-into requests: { chunk(v), close(v), error(e) }
      this.pub = undefined;
    }
  }
  class RSDC {
    constructor() {
      this.byte = false;
      this.stream = undefined;
      this.queue = new Queue();
      this.total = 0;
      this.started = false;
      this.closeRequested = false;
      this.pullAgain = false;
      this.pulling = false;
      this.size = undefined;
      this.hwm = 1;
      this.pull = undefined;
      this.cancel = undefined;
      this.pub = undefined;
    }
  }
  class RBSC {
    constructor() {
      this.byte = true;
      this.stream = undefined;
      this.queue = new Queue(); // { buffer, byteOffset, byteLength }
      this.total = 0;
      this.started = false;
      this.closeRequested = false;
      this.pullAgain = false;
      this.pulling = false;
      this.hwm = 0;
      this.pull = undefined;
      this.cancel = undefined;
      this.autoAllocate = undefined;
      this.byobRequest = null; // a ReadableStreamBYOBRequest
      this.pending = []; // pull-into descriptors
      this.pub = undefined;
    }
  }
  class WStream {
    constructor() {
      this.state = 'writable'; // writable | erroring | errored | closed
      this.storedError = undefined;
      this.writer = undefined;
      this.ctrl = undefined;
      this.inFlightWrite = undefined; // Deferred
      this.closeReq = undefined; // Deferred
      this.inFlightClose = undefined; // Deferred
      this.pendingAbort = undefined; // { d, reason, wasAlreadyErroring }
      this.writeReqs = new Queue(); // Deferreds
      this.backpressure = false;
      this.pub = undefined;
    }
  }
  class Writer {
    constructor() {
      this.stream = undefined;
      this.ready = undefined;
      this.closed = undefined;
      this.pub = undefined;
    }
  }
  class WSDC {
    constructor() {
      this.stream = undefined;
      this.queue = new Queue();
      this.total = 0;
      this.started = false;
      this.size = undefined;
      this.hwm = 1;
      this.write = undefined;
      this.close = undefined;
      this.abort = undefined;
      this.signal = undefined; // made on first access of controller.signal
      this.aborted = false;
      this.abortReason = undefined;
      this.pub = undefined;
    }
  }
  class TStream {
    constructor() {
      this.readable = undefined;
      this.writable = undefined;
      this.backpressure = undefined;
      this.bpChange = undefined;
      this.ctrl = undefined;
      this.pub = undefined;
    }
  }
  class TSDC {
    constructor() {
      this.stream = undefined;
      this.transform = undefined;
      this.flush = undefined;
      this.cancel = undefined;
      this.finish = undefined;
      this.pub = undefined;
    }
  }
  const CLOSE_SENTINEL = {};

  // Brand accessors, set in the classes' static blocks.
  let rsOf, readerOf, rsdcOf, rbscOf, byobRequestOf, newBYOBRequest, invalidateBYOBRequest, wsOf, writerOf, wsdcOf,
    tsOf, tsdcOf;
  const rsPub = (r) => r.pub;
  const rsdcPub = (c) => c.pub || (c.pub = new ReadableStreamDefaultController(INTERNAL, c));
  const rbscPub = (c) => c.pub || (c.pub = new ReadableByteStreamController(INTERNAL, c));
  const wsdcPub = (c) => c.pub || (c.pub = new WritableStreamDefaultController(INTERNAL, c));
  const tsdcPub = (c) => c.pub || (c.pub = new TransformStreamDefaultController(INTERNAL, c));

  // ---------------------------------------------------------------------------------------------------------------
  // ReadableStream abstract operations

  function rsCancel(s, reason) {
    s.disturbed = true;
    if (s.state === 'closed') return resolvedUndefined();
    if (s.state === 'errored') return rejectedP(s.storedError);
    rsClose(s);
    const reader = s.reader;
    if (reader !== undefined && reader.byob) {
      const reqs = reader.reqs;
      reader.reqs = [];
      for (const r of reqs) r.close(undefined);
    }
    const p = s.ctrl.byte ? rbscCancelSteps(s.ctrl, reason) : rsdcCancelSteps(s.ctrl, reason);
    return promiseThen(p, noop);
  }
  function rsClose(s) {
    s.state = 'closed';
    const reader = s.reader;
    if (reader === undefined) return;
    reader.closed.resolve(undefined);
    if (!reader.byob) {
      const reqs = reader.reqs;
      reader.reqs = [];
      for (const r of reqs) r.close(undefined);
    }
  }
  function rsError(s, e) {
    s.state = 'errored';
    s.storedError = e;
    const reader = s.reader;
    if (reader === undefined) return;
    reader.closed.reject(e);
    markHandled(reader.closed.p);
    const reqs = reader.reqs;
    reader.reqs = [];
    for (const r of reqs) r.error(e);
  }
  // ReadableStreamFulfillReadRequest / ReadableStreamFulfillReadIntoRequest
  function rsFulfillRequest(s, chunk, done) {
    const r = s.reader.reqs.shift();
    if (done) r.close(chunk); else r.chunk(chunk);
  }
  const hasDefaultReader = (s) => s.reader !== undefined && !s.reader.byob;
  const hasBYOBReader = (s) => s.reader !== undefined && s.reader.byob;

  function readerInit(reader, s) {
    reader.stream = s;
    s.reader = reader;
    if (s.state === 'readable') reader.closed = new Deferred();
    else if (s.state === 'closed') reader.closed = Deferred.resolved(undefined);
    else reader.closed = Deferred.rejected(s.storedError);
  }
  function acquireReader(s, byob) {
    if (s.reader !== undefined) throw new TypeError('This ReadableStream is locked to a reader');
    if (byob && !s.ctrl.byte) {
      throw new TypeError('Cannot get a BYOB reader for a stream that was not constructed with a byte source');
    }
    const reader = new Reader(byob);
    readerInit(reader, s);
    return reader;
  }
  // ReadableStreamDefaultReaderRelease / ReadableStreamBYOBReaderRelease
  function readerRelease(reader) {
    const s = reader.stream;
    const e = new TypeError('The reader was released');
    if (s.state === 'readable') reader.closed.reject(e); else reader.closed = Deferred.rejected(e);
    markHandled(reader.closed.p);
    if (s.ctrl.byte) rbscReleaseSteps(s.ctrl);
    s.reader = undefined;
    reader.stream = undefined;
    const reqs = reader.reqs;
    reader.reqs = [];
    for (const r of reqs) r.error(e);
  }
  function readerRead(reader, req) {
    const s = reader.stream;
    s.disturbed = true;
    if (s.state === 'closed') req.close(undefined);
    else if (s.state === 'errored') req.error(s.storedError);
    else if (s.ctrl.byte) rbscPullSteps(s.ctrl, req);
    else rsdcPullSteps(s.ctrl, req);
  }
  function byobReaderRead(reader, view, min, req) {
    const s = reader.stream;
    s.disturbed = true;
    if (s.state === 'errored') req.error(s.storedError);
    else rbscPullInto(s.ctrl, view, min, req);
  }
  class PromiseReadRequest {
    constructor() { this.d = new Deferred(); }
    chunk(value) { this.d.resolve({ value, done: false }); }
    close(value) { this.d.resolve({ value, done: true }); }
    error(e) { this.d.reject(e); }
  }

  // CreateReadableStream / CreateReadableByteStream: records with their public ReadableStream.
  function createRS(start, pull, cancel, hwm = 1, size = sizeOne) {
    const s = new RStream();
    new ReadableStream(INTERNAL, s); // eslint-disable-line no-new
    setUpRSDC(s, new RSDC(), start, pull, cancel, hwm, size);
    return s;
  }
  function createByteRS(start, pull, cancel, hwm = 0, autoAllocate = undefined) {
    const s = new RStream();
    new ReadableStream(INTERNAL, s); // eslint-disable-line no-new
    setUpRBSC(s, new RBSC(), start, pull, cancel, hwm, autoAllocate);
    return s;
  }

  // ---- ReadableStreamDefaultController

  function setUpRSDC(s, c, start, pull, cancel, hwm, size) {
    c.stream = s;
    c.pull = pull;
    c.cancel = cancel;
    c.hwm = hwm;
    c.size = size;
    s.ctrl = c;
    const startResult = start();
    promiseThen(resolvedP(startResult), () => {
      c.started = true;
      rsdcCallPullIfNeeded(c);
    }, (r) => rsdcError(c, r));
  }
  function rsdcCallPullIfNeeded(c) {
    if (!rsdcShouldCallPull(c)) return;
    if (c.pulling) {
      c.pullAgain = true;
      return;
    }
    c.pulling = true;
    promiseThen(c.pull(), () => {
      c.pulling = false;
      if (c.pullAgain) {
        c.pullAgain = false;
        rsdcCallPullIfNeeded(c);
      }
    }, (e) => rsdcError(c, e));
  }
  function rsdcShouldCallPull(c) {
    if (c.closeRequested || !c.started) return false;
    const s = c.stream;
    if (s.state !== 'readable') return false;
    if (s.reader !== undefined && s.reader.reqs.length > 0) return true;
    return c.hwm - c.total > 0;
  }
  const rsdcCanCloseOrEnqueue = (c) => !c.closeRequested && c.stream.state === 'readable';
  function rsdcClearAlgorithms(c) {
    c.pull = undefined;
    c.cancel = undefined;
    c.size = undefined;
  }
  function rsdcClose(c) {
    if (!rsdcCanCloseOrEnqueue(c)) return;
    c.closeRequested = true;
    if (c.queue.length === 0) {
      rsdcClearAlgorithms(c);
      rsClose(c.stream);
    }
  }
  function rsdcEnqueue(c, chunk) {
    if (!rsdcCanCloseOrEnqueue(c)) return;
    const s = c.stream;
    if (s.reader !== undefined && s.reader.reqs.length > 0) {
      rsFulfillRequest(s, chunk, false);
    } else {
      try {
        enqueueValueWithSize(c, chunk, c.size(chunk));
      } catch (e) {
        rsdcError(c, e);
        throw e;
      }
    }
    rsdcCallPullIfNeeded(c);
  }
  function rsdcError(c, e) {
    const s = c.stream;
    if (s.state !== 'readable') return;
    resetQueue(c);
    rsdcClearAlgorithms(c);
    rsError(s, e);
  }
  function rsdcDesiredSize(c) {
    const st = c.stream.state;
    return st === 'errored' ? null : st === 'closed' ? 0 : c.hwm - c.total;
  }
  function rsdcCancelSteps(c, reason) {
    resetQueue(c);
    const p = c.cancel !== undefined ? c.cancel(reason) : resolvedUndefined();
    rsdcClearAlgorithms(c);
    return p;
  }
  function rsdcPullSteps(c, req) {
    const s = c.stream;
    if (c.queue.length > 0) {
      const chunk = dequeueValue(c);
      if (c.closeRequested && c.queue.length === 0) {
        rsdcClearAlgorithms(c);
        rsClose(s);
      } else {
        rsdcCallPullIfNeeded(c);
      }
      req.chunk(chunk);
    } else {
      s.reader.reqs.push(req);
      rsdcCallPullIfNeeded(c);
    }
  }

  // ---- ReadableByteStreamController

  function setUpRBSC(s, c, start, pull, cancel, hwm, autoAllocate) {
    c.stream = s;
    c.pull = pull;
    c.cancel = cancel;
    c.hwm = hwm;
    c.autoAllocate = autoAllocate;
    s.ctrl = c;
    const startResult = start();
    promiseThen(resolvedP(startResult), () => {
      c.started = true;
      rbscCallPullIfNeeded(c);
    }, (r) => rbscError(c, r));
  }
  function rbscCallPullIfNeeded(c) {
    if (!rbscShouldCallPull(c)) return;
    if (c.pulling) {
      c.pullAgain = true;
      return;
    }
    c.pulling = true;
    promiseThen(c.pull(), () => {
      c.pulling = false;
      if (c.pullAgain) {
        c.pullAgain = false;
        rbscCallPullIfNeeded(c);
      }
    }, (e) => rbscError(c, e));
  }
  function rbscShouldCallPull(c) {
    const s = c.stream;
    if (s.state !== 'readable' || c.closeRequested || !c.started) return false;
    if (s.reader !== undefined && s.reader.reqs.length > 0) return true;
    return c.hwm - c.total > 0;
  }
  function rbscClearAlgorithms(c) {
    c.pull = undefined;
    c.cancel = undefined;
  }
  function rbscClearPendingPullIntos(c) {
    rbscInvalidateBYOBRequest(c);
    c.pending = [];
  }
  function rbscClose(c) {
    const s = c.stream;
    if (c.closeRequested || s.state !== 'readable') return;
    if (c.total > 0) {
      c.closeRequested = true;
      return;
    }
    if (c.pending.length > 0) {
      const first = c.pending[0];
      if (first.bytesFilled % first.elementSize !== 0) {
        const e = new TypeError('Insufficient bytes to fill elements in the given buffer');
        rbscError(c, e);
        throw e;
      }
    }
    rbscClearAlgorithms(c);
    rsClose(s);
  }
  // Closes and, as an underlying byte source must, answers a pending BYOB request with 0 bytes.
  function rbscCloseAndRespond(c) {
    rbscClose(c);
    if (c.pending.length > 0 && c.stream.state === 'closed') rbscRespond(c, 0);
  }
  // ReadableByteStreamControllerEnqueue after TransferArrayBuffer: `buffer` now belongs to the stream.
  function rbscEnqueueBuffer(c, buffer, byteOffset, byteLength) {
    const s = c.stream;
    if (c.closeRequested || s.state !== 'readable') return;
    if (c.pending.length > 0) {
      const first = c.pending[0];
      if (isDetached(first.buffer)) throw new TypeError("The BYOB request's buffer has been detached");
      rbscInvalidateBYOBRequest(c);
      first.buffer = transferAB(first.buffer);
      if (first.readerType === 'none') rbscEnqueueDetachedPullIntoToQueue(c, first);
    }
    if (hasDefaultReader(s)) {
      rbscProcessReadRequestsUsingQueue(c);
      if (s.reader.reqs.length === 0) {
        rbscEnqueueChunk(c, buffer, byteOffset, byteLength);
      } else {
        if (c.pending.length > 0) c.pending.shift();
        rsFulfillRequest(s, new Uint8ArrayCtor(buffer, byteOffset, byteLength), false);
      }
    } else if (hasBYOBReader(s)) {
      rbscEnqueueChunk(c, buffer, byteOffset, byteLength);
      const filled = rbscProcessPullIntosUsingQueue(c);
      for (const d of filled) rbscCommitPullInto(s, d);
    } else {
      rbscEnqueueChunk(c, buffer, byteOffset, byteLength);
    }
    rbscCallPullIfNeeded(c);
  }
  function rbscEnqueue(c, chunk) {
    const s = c.stream;
    if (c.closeRequested || s.state !== 'readable') return;
    const buffer = viewBuffer(chunk);
    if (isDetached(buffer)) throw new TypeError("The chunk's buffer is detached");
    const off = viewByteOffset(chunk), len = viewByteLength(chunk);
    rbscEnqueueBuffer(c, transferAB(buffer), off, len);
  }
  function rbscEnqueueChunk(c, buffer, byteOffset, byteLength) {
    c.queue.push({ buffer, byteOffset, byteLength });
    c.total += byteLength;
  }
  function rbscEnqueueClonedChunk(c, buffer, off, len) {
    let clone;
    try {
      clone = abSlice(buffer, off, off + len);
    } catch (e) {
      rbscError(c, e);
      throw e;
    }
    rbscEnqueueChunk(c, clone, 0, len);
  }
  function rbscEnqueueDetachedPullIntoToQueue(c, d) {
    if (d.bytesFilled > 0) rbscEnqueueClonedChunk(c, d.buffer, d.byteOffset, d.bytesFilled);
    c.pending.shift();
  }
  function rbscProcessReadRequestsUsingQueue(c) {
    const reader = c.stream.reader;
    while (reader.reqs.length > 0) {
      if (c.total === 0) return;
      rbscFillReadRequestFromQueue(c, reader.reqs.shift());
    }
  }
  function rbscFillReadRequestFromQueue(c, req) {
    const e = c.queue.shift();
    c.total -= e.byteLength;
    rbscHandleQueueDrain(c);
    req.chunk(new Uint8ArrayCtor(e.buffer, e.byteOffset, e.byteLength));
  }
  function rbscHandleQueueDrain(c) {
    if (c.total === 0 && c.closeRequested) {
      rbscClearAlgorithms(c);
      rsClose(c.stream);
    } else {
      rbscCallPullIfNeeded(c);
    }
  }
  function rbscProcessPullIntosUsingQueue(c) {
    const filled = [];
    while (c.pending.length > 0 && c.total !== 0) {
      const d = c.pending[0];
      if (!rbscFillPullIntoFromQueue(c, d)) break;
      c.pending.shift();
      filled.push(d);
    }
    return filled;
  }
  function rbscFillPullIntoFromQueue(c, d) {
    const maxBytesToCopy = MathMin(c.total, d.byteLength - d.bytesFilled);
    const maxBytesFilled = d.bytesFilled + maxBytesToCopy;
    let remaining = maxBytesToCopy;
    let ready = false;
    const maxAlignedBytes = maxBytesFilled - (maxBytesFilled % d.elementSize);
    if (maxAlignedBytes >= d.minimumFill) {
      remaining = maxAlignedBytes - d.bytesFilled;
      ready = true;
    }
    if (remaining === 0) return ready;
    const dest = new Uint8ArrayCtor(d.buffer);
    while (remaining > 0) {
      const head = c.queue.peek();
      const n = MathMin(remaining, head.byteLength);
      u8Set(dest, new Uint8ArrayCtor(head.buffer, head.byteOffset, n), d.byteOffset + d.bytesFilled);
      if (head.byteLength === n) {
        c.queue.shift();
      } else {
        head.byteOffset += n;
        head.byteLength -= n;
      }
      c.total -= n;
      d.bytesFilled += n;
      remaining -= n;
    }
    return ready;
  }
  function rbscCommitPullInto(s, d) {
    const done = s.state === 'closed';
    const view = new d.ctor(transferAB(d.buffer), d.byteOffset, d.bytesFilled / d.elementSize);
    rsFulfillRequest(s, done && d.readerType === 'default' ? undefined : view, done);
  }
  function rbscPullInto(c, view, min, req) {
    const s = c.stream;
    let elementSize = 1, ctor = DataViewCtor;
    const tag = taTag(view);
    if (tag !== undefined) {
      ctor = TYPED_ARRAYS[tag];
      elementSize = ctor.BYTES_PER_ELEMENT;
    }
    const byteOffset = viewByteOffset(view), byteLength = viewByteLength(view);
    let buffer;
    try {
      buffer = transferAB(viewBuffer(view));
    } catch (e) {
      req.error(e);
      return;
    }
    const d = {
      buffer, bufferByteLength: abByteLength(buffer), byteOffset, byteLength, bytesFilled: 0,
      minimumFill: min * elementSize, elementSize, ctor, readerType: 'byob',
    };
    if (c.pending.length > 0) {
      c.pending.push(d);
      s.reader.reqs.push(req);
      return;
    }
    if (s.state === 'closed') {
      req.close(new ctor(d.buffer, d.byteOffset, 0));
      return;
    }
    if (c.total > 0) {
      if (rbscFillPullIntoFromQueue(c, d)) {
        const filled = new ctor(transferAB(d.buffer), d.byteOffset, d.bytesFilled / elementSize);
        rbscHandleQueueDrain(c);
        req.chunk(filled);
        return;
      }
      if (c.closeRequested) {
        const e = new TypeError('Insufficient bytes to fill elements in the given buffer');
        rbscError(c, e);
        req.error(e);
        return;
      }
    }
    c.pending.push(d);
    s.reader.reqs.push(req);
    rbscCallPullIfNeeded(c);
  }
  function rbscRespond(c, bytesWritten) {
    const first = c.pending[0];
    if (c.stream.state === 'closed') {
      if (bytesWritten !== 0) throw new TypeError('bytesWritten must be 0 when calling respond() on a closed stream');
    } else {
      if (bytesWritten === 0) {
        throw new TypeError('bytesWritten must be greater than 0 when calling respond() on a readable stream');
      }
      if (first.bytesFilled + bytesWritten > first.byteLength) throw new RangeError('bytesWritten out of range');
    }
    first.buffer = transferAB(first.buffer);
    rbscRespondInternal(c, bytesWritten);
  }
  function rbscRespondInternal(c, bytesWritten) {
    const first = c.pending[0];
    rbscInvalidateBYOBRequest(c);
    if (c.stream.state === 'closed') rbscRespondInClosedState(c, first);
    else rbscRespondInReadableState(c, bytesWritten, first);
    rbscCallPullIfNeeded(c);
  }
  function rbscRespondInClosedState(c, first) {
    if (first.readerType === 'none') c.pending.shift();
    const s = c.stream;
    if (hasBYOBReader(s)) {
      const filled = [];
      while (filled.length < s.reader.reqs.length && c.pending.length > 0) filled.push(c.pending.shift());
      for (const d of filled) rbscCommitPullInto(s, d);
    }
  }
  function rbscRespondInReadableState(c, bytesWritten, d) {
    d.bytesFilled += bytesWritten;
    const s = c.stream;
    if (d.readerType === 'none') {
      rbscEnqueueDetachedPullIntoToQueue(c, d);
      for (const f of rbscProcessPullIntosUsingQueue(c)) rbscCommitPullInto(s, f);
      return;
    }
    if (d.bytesFilled < d.minimumFill) return;
    c.pending.shift();
    const rem = d.bytesFilled % d.elementSize;
    if (rem > 0) {
      const end = d.byteOffset + d.bytesFilled;
      rbscEnqueueClonedChunk(c, d.buffer, end - rem, rem);
    }
    d.bytesFilled -= rem;
    const filled = rbscProcessPullIntosUsingQueue(c);
    rbscCommitPullInto(s, d);
    for (const f of filled) rbscCommitPullInto(s, f);
  }
  function rbscRespondWithNewView(c, view) {
    const first = c.pending[0];
    const len = viewByteLength(view), off = viewByteOffset(view), buffer = viewBuffer(view);
    if (c.stream.state === 'closed') {
      if (len !== 0) throw new TypeError("The view's length must be 0 when calling respondWithNewView() on a closed stream");
    } else if (len === 0) {
      throw new TypeError("The view's length must be greater than 0 when calling respondWithNewView() on a readable stream");
    }
    if (first.byteOffset + first.bytesFilled !== off) throw new RangeError('The region specified by view does not match byobRequest');
    if (first.bufferByteLength !== abByteLength(buffer)) throw new RangeError('The buffer of view has different capacity than byobRequest');
    if (first.bytesFilled + len > first.byteLength) throw new RangeError('The region specified by view is larger than byobRequest');
    first.buffer = transferAB(buffer);
    rbscRespondInternal(c, len);
  }
  function rbscInvalidateBYOBRequest(c) {
    if (c.byobRequest === null) return;
    invalidateBYOBRequest(c.byobRequest);
    c.byobRequest = null;
  }
  function rbscGetBYOBRequest(c) {
    if (c.byobRequest === null && c.pending.length > 0) {
      const d = c.pending[0];
      const view = new Uint8ArrayCtor(d.buffer, d.byteOffset + d.bytesFilled, d.byteLength - d.bytesFilled);
      c.byobRequest = newBYOBRequest(c, view);
    }
    return c.byobRequest;
  }
  function rbscError(c, e) {
    const s = c.stream;
    if (s.state !== 'readable') return;
    rbscClearPendingPullIntos(c);
    resetQueue(c);
    rbscClearAlgorithms(c);
    rsError(s, e);
  }
  function rbscCancelSteps(c, reason) {
    rbscClearPendingPullIntos(c);
    resetQueue(c);
    const p = c.cancel !== undefined ? c.cancel(reason) : resolvedUndefined();
    rbscClearAlgorithms(c);
    return p;
  }
  function rbscPullSteps(c, req) {
    const s = c.stream;
    if (c.total > 0) {
      rbscFillReadRequestFromQueue(c, req);
      return;
    }
    const size = c.autoAllocate;
    if (size !== undefined) {
      let buffer;
      try {
        buffer = new ArrayBufferCtor(size);
      } catch (e) {
        req.error(e);
        return;
      }
      c.pending.push({
        buffer, bufferByteLength: size, byteOffset: 0, byteLength: size, bytesFilled: 0, minimumFill: 1,
        elementSize: 1, ctor: Uint8ArrayCtor, readerType: 'default',
      });
    }
    s.reader.reqs.push(req);
    rbscCallPullIfNeeded(c);
  }
  function rbscReleaseSteps(c) {
    if (c.pending.length > 0) {
      const first = c.pending[0];
      first.readerType = 'none';
      c.pending = [first];
    }
  }

  // Either kind of readable controller, for TransformStream (whose readable side may be a byte stream here).
  const rcCanCloseOrEnqueue = (c) => !c.closeRequested && c.stream.state === 'readable';
  const rcHasBackpressure = (c) => (c.byte ? !rbscShouldCallPull(c) : !rsdcShouldCallPull(c));
  const rcDesiredSize = (c) => {
    const st = c.stream.state;
    return st === 'errored' ? null : st === 'closed' ? 0 : c.hwm - c.total;
  };
  function rcClose(c) { if (c.byte) rbscCloseAndRespond(c); else rsdcClose(c); }
  function rcError(c, e) { if (c.byte) rbscError(c, e); else rsdcError(c, e); }

  // ---- Tee

  function rsTee(s) {
    return s.ctrl.byte ? rsByteTee(s) : rsDefaultTee(s);
  }
  function rsDefaultTee(s) {
    const reader = acquireReader(s, false);
    let reading = false, readAgain = false, canceled1 = false, canceled2 = false, reason1, reason2;
    const cancelD = new Deferred();
    const readRequest = {
      chunk(chunk) {
        queueMicrotask(() => {
          readAgain = false;
          if (!canceled1) rsdcEnqueue(branch1.ctrl, chunk);
          if (!canceled2) rsdcEnqueue(branch2.ctrl, chunk);
          reading = false;
          if (readAgain) pull();
        });
      },
      close() {
        reading = false;
        if (!canceled1) rsdcClose(branch1.ctrl);
        if (!canceled2) rsdcClose(branch2.ctrl);
        if (!canceled1 || !canceled2) cancelD.resolve(undefined);
      },
      error() { reading = false; },
    };
    const pull = () => {
      if (reading) {
        readAgain = true;
        return resolvedUndefined();
      }
      reading = true;
      readerRead(reader, readRequest);
      return resolvedUndefined();
    };
    const cancel1 = (reason) => {
      canceled1 = true;
      reason1 = reason;
      if (canceled2) cancelD.resolve(rsCancel(s, [reason1, reason2]));
      return cancelD.p;
    };
    const cancel2 = (reason) => {
      canceled2 = true;
      reason2 = reason;
      if (canceled1) cancelD.resolve(rsCancel(s, [reason1, reason2]));
      return cancelD.p;
    };
    const branch1 = createRS(noop, pull, cancel1);
    const branch2 = createRS(noop, pull, cancel2);
    promiseThen(reader.closed.p, undefined, (r) => {
      rsdcError(branch1.ctrl, r);
      rsdcError(branch2.ctrl, r);
      if (!canceled1 || !canceled2) cancelD.resolve(undefined);
    });
    return [branch1, branch2];
  }
  function cloneAsUint8Array(view) {
    const buffer = viewBuffer(view), off = viewByteOffset(view), len = viewByteLength(view);
    return new Uint8ArrayCtor(abSlice(buffer, off, off + len));
  }
  function rsByteTee(s) {
    let reader = acquireReader(s, false);
    let reading = false, readAgainForBranch1 = false, readAgainForBranch2 = false;
    let canceled1 = false, canceled2 = false, reason1, reason2;
    const cancelD = new Deferred();
    const forwardReaderError = (thisReader) => {
      promiseThen(thisReader.closed.p, undefined, (r) => {
        if (thisReader !== reader) return;
        rbscError(branch1.ctrl, r);
        rbscError(branch2.ctrl, r);
        if (!canceled1 || !canceled2) cancelD.resolve(undefined);
      });
    };
    const afterChunk = () => {
      reading = false;
      if (readAgainForBranch1) pull1(); else if (readAgainForBranch2) pull2();
    };
    const cloneFailed = (e) => {
      rbscError(branch1.ctrl, e);
      rbscError(branch2.ctrl, e);
      cancelD.resolve(rsCancel(s, e));
    };
    const pullWithDefaultReader = () => {
      if (reader.byob) {
        readerRelease(reader);
        reader = acquireReader(s, false);
        forwardReaderError(reader);
      }
      readerRead(reader, {
        chunk(chunk) {
          queueMicrotask(() => {
            readAgainForBranch1 = false;
            readAgainForBranch2 = false;
            let chunk2 = chunk;
            if (!canceled1 && !canceled2) {
              try {
                chunk2 = cloneAsUint8Array(chunk);
              } catch (e) {
                cloneFailed(e);
                return;
              }
            }
            if (!canceled1) rbscEnqueueOwned(branch1.ctrl, chunk);
            if (!canceled2) rbscEnqueueOwned(branch2.ctrl, chunk2);
            afterChunk();
          });
        },
        close() {
          reading = false;
          if (!canceled1) rbscClose(branch1.ctrl);
          if (!canceled2) rbscClose(branch2.ctrl);
          if (branch1.ctrl.pending.length > 0) rbscRespond(branch1.ctrl, 0);
          if (branch2.ctrl.pending.length > 0) rbscRespond(branch2.ctrl, 0);
          if (!canceled1 || !canceled2) cancelD.resolve(undefined);
        },
        error() { reading = false; },
      });
    };
    const pullWithBYOBReader = (view, forBranch2) => {
      if (!reader.byob) {
        readerRelease(reader);
        reader = acquireReader(s, true);
        forwardReaderError(reader);
      }
      const byobBranch = forBranch2 ? branch2 : branch1;
      const otherBranch = forBranch2 ? branch1 : branch2;
      byobReaderRead(reader, view, 1, {
        chunk(chunk) {
          queueMicrotask(() => {
            readAgainForBranch1 = false;
            readAgainForBranch2 = false;
            const byobCanceled = forBranch2 ? canceled2 : canceled1;
            const otherCanceled = forBranch2 ? canceled1 : canceled2;
            if (!otherCanceled) {
              let cloned;
              try {
                cloned = cloneAsUint8Array(chunk);
              } catch (e) {
                cloneFailed(e);
                return;
              }
              if (!byobCanceled) rbscRespondWithNewView(byobBranch.ctrl, chunk);
              rbscEnqueueOwned(otherBranch.ctrl, cloned);
            } else if (!byobCanceled) {
              rbscRespondWithNewView(byobBranch.ctrl, chunk);
            }
            afterChunk();
          });
        },
        close(chunk) {
          reading = false;
          const byobCanceled = forBranch2 ? canceled2 : canceled1;
          const otherCanceled = forBranch2 ? canceled1 : canceled2;
          if (!byobCanceled) rbscClose(byobBranch.ctrl);
          if (!otherCanceled) rbscClose(otherBranch.ctrl);
          if (chunk !== undefined) {
            if (!byobCanceled) rbscRespondWithNewView(byobBranch.ctrl, chunk);
            if (!otherCanceled && otherBranch.ctrl.pending.length > 0) rbscRespond(otherBranch.ctrl, 0);
          }
          if (!byobCanceled || !otherCanceled) cancelD.resolve(undefined);
        },
        error() { reading = false; },
      });
    };
    const pull1 = () => {
      if (reading) {
        readAgainForBranch1 = true;
        return resolvedUndefined();
      }
      reading = true;
      const req = rbscGetBYOBRequest(branch1.ctrl);
      if (req === null) pullWithDefaultReader(); else pullWithBYOBReader(byobRequestOf(req).view, false);
      return resolvedUndefined();
    };
    const pull2 = () => {
      if (reading) {
        readAgainForBranch2 = true;
        return resolvedUndefined();
      }
      reading = true;
      const req = rbscGetBYOBRequest(branch2.ctrl);
      if (req === null) pullWithDefaultReader(); else pullWithBYOBReader(byobRequestOf(req).view, true);
      return resolvedUndefined();
    };
    const cancel1 = (reason) => {
      canceled1 = true;
      reason1 = reason;
      if (canceled2) cancelD.resolve(rsCancel(s, [reason1, reason2]));
      return cancelD.p;
    };
    const cancel2 = (reason) => {
      canceled2 = true;
      reason2 = reason;
      if (canceled1) cancelD.resolve(rsCancel(s, [reason1, reason2]));
      return cancelD.p;
    };
    const branch1 = createByteRS(noop, pull1, cancel1);
    const branch2 = createByteRS(noop, pull2, cancel2);
    forwardReaderError(reader);
    return [branch1, branch2];
  }
  // Enqueues a Uint8Array the stream may keep (no transfer).
  function rbscEnqueueOwned(c, u8) {
    rbscEnqueueBuffer(c, taBuffer(u8), taByteOffset(u8), taByteLength(u8));
  }

  // ---- pipeTo

  function rsPipeTo(source, dest, preventClose, preventAbort, preventCancel, signal) {
    const reader = acquireReader(source, false);
    const writer = acquireWriter(dest);
    source.disturbed = true;
    let shuttingDown = false;
    let currentWrite = resolvedUndefined();
    const done = new Deferred();
    let removeAbort = null;

    const waitForWritesToFinish = () => {
      const old = currentWrite;
      return promiseThen(currentWrite, () => (old !== currentWrite ? waitForWritesToFinish() : undefined));
    };
    const finalize = (isError, error) => {
      writerRelease(writer);
      readerRelease(reader);
      if (removeAbort !== null) removeAbort();
      if (isError) done.reject(error); else done.resolve(undefined);
    };
    const shutdownWithAction = (action, isError, error) => {
      if (shuttingDown) return;
      shuttingDown = true;
      const doTheRest = () => {
        let p;
        try { p = action(); } catch (e) { p = rejectedP(e); }
        promiseThen(p, () => finalize(isError, error), (e) => finalize(true, e));
      };
      if (dest.state === 'writable' && !wsCloseQueuedOrInFlight(dest)) {
        promiseThen(waitForWritesToFinish(), doTheRest, doTheRest);
      } else {
        doTheRest();
      }
    };
    const shutdown = (isError, error) => {
      if (shuttingDown) return;
      shuttingDown = true;
      if (dest.state === 'writable' && !wsCloseQueuedOrInFlight(dest)) {
        const f = () => finalize(isError, error);
        promiseThen(waitForWritesToFinish(), f, f);
      } else {
        finalize(isError, error);
      }
    };

    if (signal !== undefined) {
      const abortAlgorithm = () => {
        const error = signal.reason;
        const actions = [];
        if (!preventAbort) actions.push(() => (dest.state === 'writable' ? wsAbort(dest, error) : resolvedUndefined()));
        if (!preventCancel) actions.push(() => (source.state === 'readable' ? rsCancel(source, error) : resolvedUndefined()));
        shutdownWithAction(() => waitAll(actions.map((a) => a())), true, error);
      };
      if (signal.aborted) {
        abortAlgorithm();
        return done.p;
      }
      removeAbort = internal.addAbortAlgorithm(signal, abortAlgorithm);
    }

    // Errors and closes must be propagated forward and backward.
    const onSourceErrored = (e) => {
      if (!preventAbort) shutdownWithAction(() => wsAbort(dest, e), true, e); else shutdown(true, e);
    };
    const onDestErrored = (e) => {
      if (!preventCancel) shutdownWithAction(() => rsCancel(source, e), true, e); else shutdown(true, e);
    };
    const onSourceClosed = () => {
      if (!preventClose) shutdownWithAction(() => writerCloseWithErrorPropagation(writer), false); else shutdown(false);
    };
    if (source.state === 'errored') onSourceErrored(source.storedError);
    else promiseThen(reader.closed.p, () => { if (!shuttingDown) onSourceClosed(); }, (e) => { if (!shuttingDown) onSourceErrored(e); });
    if (dest.state === 'errored') onDestErrored(dest.storedError);
    else promiseThen(writer.closed.p, noop, (e) => { if (!shuttingDown) onDestErrored(e); });
    if (source.state === 'closed') onSourceClosed();
    if (wsCloseQueuedOrInFlight(dest) || dest.state === 'closed') {
      const destClosed = new TypeError('The destination writable stream closed before all data could be piped to it');
      if (!preventCancel) shutdownWithAction(() => rsCancel(source, destClosed), true, destClosed);
      else shutdown(true, destClosed);
    }

    // The loop: wait for the writer to be ready, read a chunk, write it.
    const readRequest = {
      chunk(chunk) {
        currentWrite = promiseThen(writerWrite(writer, chunk), undefined, noop);
        step();
      },
      close() {},
      error() {},
    };
    const step = () => {
      if (shuttingDown) return;
      if (writer.ready.pending) {
        promiseThen(writer.ready.p, () => { if (!shuttingDown) readerRead(reader, readRequest); }, noop);
      } else {
        queueMicrotask(() => { if (!shuttingDown) readerRead(reader, readRequest); });
      }
    };
    step();
    return done.p;
  }
  // A promise fulfilled when all of `ps` are, rejected with the first rejection.
  function waitAll(ps) {
    if (ps.length === 0) return resolvedUndefined();
    const d = new Deferred();
    let left = ps.length;
    for (const p of ps) promiseThen(p, () => { if (--left === 0) d.resolve(undefined); }, (e) => d.reject(e));
    return d.p;
  }

  // ---- ReadableStream.from

  function getAsyncIterator(obj) {
    let method = obj == null ? undefined : obj[SymbolAsyncIterator];
    if (method === undefined || method === null) {
      const syncMethod = obj == null ? undefined : obj[SymbolIterator];
      if (syncMethod === undefined || syncMethod === null) throw new TypeError('The value is not async iterable');
      if (typeof syncMethod !== 'function') throw new TypeError('Symbol.iterator is not a function');
      const it = apply(syncMethod, obj, []);
      if (!isObject(it)) throw new TypeError('The iterator is not an object');
      const next = it.next;
      return { iterator: asyncFromSyncIterator(it, next), next: asyncFromSyncNext };
    }
    if (typeof method !== 'function') throw new TypeError('Symbol.asyncIterator is not a function');
    const iterator = apply(method, obj, []);
    if (!isObject(iterator)) throw new TypeError('The async iterator is not an object');
    return { iterator, next: iterator.next };
  }
  // CreateAsyncFromSyncIterator, reduced to what ReadableStream.from uses (next and return).
  const unwrapSyncResult = (result) => {
    if (!isObject(result)) throw new TypeError('The iterator result is not an object');
    const done = !!result.done;
    return promiseThen(resolvedP(result.value), (value) => ({ value, done }));
  };
  function asyncFromSyncIterator(it, next) {
    return {
      sync: it,
      syncNext: next,
      return(v) {
        try {
          const ret = it.return;
          if (ret === undefined || ret === null) return resolvedP({ value: v, done: true });
          return unwrapSyncResult(apply(ret, it, [v]));
        } catch (e) {
          return rejectedP(e);
        }
      },
    };
  }
  function asyncFromSyncNext() {
    try {
      return unwrapSyncResult(apply(this.syncNext, this.sync, []));
    } catch (e) {
      return rejectedP(e);
    }
  }
  function rsFromIterable(iterable) {
    const record = getAsyncIterator(iterable);
    let s;
    const pull = () => {
      let result;
      try {
        result = apply(record.next, record.iterator, []);
      } catch (e) {
        return rejectedP(e);
      }
      return promiseThen(resolvedP(result), (r) => {
        if (!isObject(r)) throw new TypeError('The iterator result is not an object');
        if (r.done) rsdcClose(s.ctrl); else rsdcEnqueue(s.ctrl, r.value);
      });
    };
    const cancel = (reason) => {
      const it = record.iterator;
      let result;
      try {
        const ret = it.return;
        if (ret === undefined || ret === null) return resolvedUndefined();
        if (typeof ret !== 'function') throw new TypeError('iterator.return is not a function');
        result = apply(ret, it, [reason]);
      } catch (e) {
        return rejectedP(e);
      }
      return promiseThen(resolvedP(result), (r) => {
        if (!isObject(r)) throw new TypeError('The iterator result is not an object');
      });
    };
    s = createRS(noop, pull, cancel, 0);
    return s;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // ReadableStream and its readers and controllers

  function pipeOptions(options) {
    if (options === undefined || options === null) {
      return { preventAbort: false, preventCancel: false, preventClose: false, signal: undefined };
    }
    if (!isObject(options)) throw new TypeError('The pipe options are not an object');
    const preventAbort = !!options.preventAbort;
    const preventCancel = !!options.preventCancel;
    const preventClose = !!options.preventClose;
    const signal = options.signal;
    if (signal !== undefined && !internal.isAbortSignal(signal)) throw new TypeError("options.signal is not an 'AbortSignal'");
    return { preventAbort, preventCancel, preventClose, signal };
  }

  class ReadableStream {
    #r;
    constructor(underlyingSource = undefined, strategy = undefined) {
      if (underlyingSource === INTERNAL) {
        this.#r = strategy;
        strategy.pub = this;
        return;
      }
      if (underlyingSource !== undefined && !isObject(underlyingSource)) {
        throw new TypeError("Failed to construct 'ReadableStream': the underlying source is not an object");
      }
      const sd = strategyDict(strategy);
      const src = underlyingSource === undefined ? {} : underlyingSource;
      // UnderlyingSource members, in dictionary order.
      let autoAllocate = src.autoAllocateChunkSize;
      if (autoAllocate !== undefined) autoAllocate = enforceRangeULL(autoAllocate, 'autoAllocateChunkSize');
      const cancel = callbackMember(src, 'cancel', 'underlyingSource');
      const pull = callbackMember(src, 'pull', 'underlyingSource');
      const start = callbackMember(src, 'start', 'underlyingSource');
      let type = src.type;
      if (type !== undefined) {
        type = `${type}`;
        if (type !== 'bytes') throw new TypeError(`Failed to construct 'ReadableStream': invalid type '${type}'`);
      }
      const s = new RStream();
      this.#r = s;
      s.pub = this;
      if (type === 'bytes') {
        if (sd.size !== undefined) throw new RangeError('The strategy for a byte stream cannot have a size function');
        const hwm = extractHWM(sd, 0);
        if (autoAllocate === 0) throw new TypeError('autoAllocateChunkSize must be greater than 0');
        const c = new RBSC();
        setUpRBSC(s, c,
          start === undefined ? noop : () => apply(start, src, [rbscPub(c)]),
          pull === undefined ? resolvedUndefined : () => promiseCall(pull, src, [rbscPub(c)]),
          cancel === undefined ? resolvedUndefined : (reason) => promiseCall(cancel, src, [reason]),
          hwm, autoAllocate);
      } else {
        const size = extractSize(sd);
        const hwm = extractHWM(sd, 1);
        const c = new RSDC();
        setUpRSDC(s, c,
          start === undefined ? noop : () => apply(start, src, [rsdcPub(c)]),
          pull === undefined ? resolvedUndefined : () => promiseCall(pull, src, [rsdcPub(c)]),
          cancel === undefined ? resolvedUndefined : (reason) => promiseCall(cancel, src, [reason]),
          hwm, size);
      }
    }

    static {
      rsOf = (v) => (isObject(v) && #r in v ? v.#r : undefined);
    }

    static from(asyncIterable) {
      return rsFromIterable(asyncIterable).pub;
    }

    get locked() {
      const s = rsOf(this);
      if (s === undefined) throw illegal();
      return s.reader !== undefined;
    }

    cancel(reason = undefined) {
      const s = rsOf(this);
      if (s === undefined) return rejectedP(illegal());
      if (s.reader !== undefined) return rejectedP(new TypeError('Cannot cancel a stream that is locked to a reader'));
      return rsCancel(s, reason);
    }

    getReader(options = undefined) {
      const s = rsOf(this);
      if (s === undefined) throw illegal();
      let mode;
      if (options !== undefined && options !== null) {
        if (!isObject(options)) throw new TypeError("Failed to execute 'getReader': options is not an object");
        mode = options.mode;
        if (mode !== undefined) {
          mode = `${mode}`;
          if (mode !== 'byob') throw new TypeError(`Failed to execute 'getReader': invalid mode '${mode}'`);
        }
      }
      return mode === undefined ? new ReadableStreamDefaultReader(this) : new ReadableStreamBYOBReader(this);
    }

    pipeThrough(transform, options = undefined) {
      const s = rsOf(this);
      if (s === undefined) throw illegal();
      if (!isObject(transform)) throw new TypeError("Failed to execute 'pipeThrough': transform is not an object");
      const readable = transform.readable;
      if (rsOf(readable) === undefined) throw new TypeError("Failed to execute 'pipeThrough': transform.readable is not a ReadableStream");
      const writable = wsOf(transform.writable);
      if (writable === undefined) throw new TypeError("Failed to execute 'pipeThrough': transform.writable is not a WritableStream");
      const o = pipeOptions(options);
      if (s.reader !== undefined) throw new TypeError("Failed to execute 'pipeThrough': this stream is locked");
      if (writable.writer !== undefined) throw new TypeError("Failed to execute 'pipeThrough': transform.writable is locked");
      markHandled(rsPipeTo(s, writable, o.preventClose, o.preventAbort, o.preventCancel, o.signal));
      return readable;
    }

    pipeTo(destination, options = undefined) {
      const s = rsOf(this);
      if (s === undefined) return rejectedP(illegal());
      const dest = wsOf(destination);
      if (dest === undefined) return rejectedP(new TypeError("Failed to execute 'pipeTo': destination is not a WritableStream"));
      let o;
      try {
        o = pipeOptions(options);
      } catch (e) {
        return rejectedP(e);
      }
      if (s.reader !== undefined) return rejectedP(new TypeError("Failed to execute 'pipeTo': this stream is locked"));
      if (dest.writer !== undefined) return rejectedP(new TypeError("Failed to execute 'pipeTo': the destination is locked"));
      return rsPipeTo(s, dest, o.preventClose, o.preventAbort, o.preventCancel, o.signal);
    }

    tee() {
      const s = rsOf(this);
      if (s === undefined) throw illegal();
      const [a, b] = rsTee(s);
      return [a.pub, b.pub];
    }

    values(options = undefined) {
      const s = rsOf(this);
      if (s === undefined) throw illegal();
      let preventCancel = false;
      if (options !== undefined && options !== null) {
        if (!isObject(options)) throw new TypeError("Failed to execute 'values': options is not an object");
        preventCancel = !!options.preventCancel;
      }
      return new ReadableStreamAsyncIterator(INTERNAL, acquireReader(s, false), preventCancel);
    }
  }
  finishClass(ReadableStream, 'ReadableStream');
  Object.defineProperty(ReadableStream.prototype, SymbolAsyncIterator, {
    value: ReadableStream.prototype.values, writable: true, enumerable: false, configurable: true,
  });

  // The ReadableStream async iterator (WebIDL async iterable semantics: next() calls are chained).
  const END = {};
  class ReadableStreamAsyncIterator {
    #reader;
    #preventCancel;
    #ongoing = undefined;
    #finished = false;
    constructor(token, reader, preventCancel) {
      if (token !== INTERNAL) throw illegalConstructor();
      this.#reader = reader;
      this.#preventCancel = preventCancel;
    }

    next() {
      if (!isObject(this) || !(#reader in this)) return rejectedP(illegal());
      const nextSteps = () => {
        if (this.#finished) return resolvedP({ value: undefined, done: true });
        const reader = this.#reader;
        const d = new Deferred();
        readerRead(reader, {
          chunk: (v) => d.resolve(v),
          close: () => {
            readerRelease(reader);
            d.resolve(END);
          },
          error: (e) => {
            readerRelease(reader);
            d.reject(e);
          },
        });
        return promiseThen(d.p, (v) => {
          this.#ongoing = undefined;
          if (v === END) {
            this.#finished = true;
            return { value: undefined, done: true };
          }
          return { value: v, done: false };
        }, (e) => {
          this.#ongoing = undefined;
          this.#finished = true;
          throw e;
        });
      };
      const ongoing = this.#ongoing;
      const p = ongoing !== undefined ? promiseThen(ongoing, nextSteps, nextSteps) : nextSteps();
      this.#ongoing = p;
      return p;
    }

    return(value = undefined) {
      if (!isObject(this) || !(#reader in this)) return rejectedP(illegal());
      const returnSteps = () => {
        if (this.#finished) return resolvedP({ value, done: true });
        this.#finished = true;
        const reader = this.#reader;
        if (!this.#preventCancel) {
          const result = rsCancel(reader.stream, value);
          readerRelease(reader);
          return result;
        }
        readerRelease(reader);
        return resolvedUndefined();
      };
      const ongoing = this.#ongoing;
      const p = ongoing !== undefined ? promiseThen(ongoing, returnSteps, returnSteps) : returnSteps();
      this.#ongoing = p;
      return promiseThen(p, () => ({ value, done: true }));
    }
  }
  {
    const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype);
    Object.setPrototypeOf(ReadableStreamAsyncIterator.prototype, AsyncIteratorPrototype);
    delete ReadableStreamAsyncIterator.prototype.constructor;
    for (const name of ['next', 'return']) {
      const d = Object.getOwnPropertyDescriptor(ReadableStreamAsyncIterator.prototype, name);
      d.enumerable = true;
      Object.defineProperty(ReadableStreamAsyncIterator.prototype, name, d);
    }
    defineTag(ReadableStreamAsyncIterator, 'ReadableStream AsyncIterator');
  }

  class ReadableStreamDefaultReader {
    #r;
    constructor(stream) {
      const s = rsOf(stream);
      if (s === undefined) throw new TypeError("Failed to construct 'ReadableStreamDefaultReader': parameter 1 is not a ReadableStream");
      const r = acquireReader(s, false);
      this.#r = r;
      r.pub = this;
    }

    static {
      readerOf = (v) => (isObject(v) && #r in v ? v.#r : undefined);
    }

    get closed() {
      const r = readerOf(this);
      if (r === undefined || r.byob) return rejectedP(illegal());
      return r.closed.p;
    }

    cancel(reason = undefined) {
      const r = readerOf(this);
      if (r === undefined || r.byob) return rejectedP(illegal());
      if (r.stream === undefined) return rejectedP(new TypeError('This reader has been released'));
      return rsCancel(r.stream, reason);
    }

    read() {
      const r = readerOf(this);
      if (r === undefined || r.byob) return rejectedP(illegal());
      if (r.stream === undefined) return rejectedP(new TypeError('This reader has been released'));
      const req = new PromiseReadRequest();
      readerRead(r, req);
      return req.d.p;
    }

    releaseLock() {
      const r = readerOf(this);
      if (r === undefined || r.byob) throw illegal();
      if (r.stream !== undefined) readerRelease(r);
    }
  }
  finishClass(ReadableStreamDefaultReader, 'ReadableStreamDefaultReader');

  class ReadableStreamBYOBReader {
    #r;
    constructor(stream) {
      const s = rsOf(stream);
      if (s === undefined) throw new TypeError("Failed to construct 'ReadableStreamBYOBReader': parameter 1 is not a ReadableStream");
      const r = acquireReader(s, true);
      this.#r = r;
      r.pub = this;
    }

    static {
      const byobOf = (v) => (isObject(v) && #r in v ? v.#r : undefined);
      const prev = readerOf;
      readerOf = (v) => {
        const r = prev(v);
        return r !== undefined ? r : byobOf(v);
      };
    }

    get closed() {
      const r = readerOf(this);
      if (r === undefined || !r.byob) return rejectedP(illegal());
      return r.closed.p;
    }

    cancel(reason = undefined) {
      const r = readerOf(this);
      if (r === undefined || !r.byob) return rejectedP(illegal());
      if (r.stream === undefined) return rejectedP(new TypeError('This reader has been released'));
      return rsCancel(r.stream, reason);
    }

    read(view, options = undefined) {
      const r = readerOf(this);
      if (r === undefined || !r.byob) return rejectedP(illegal());
      if (!isView(view)) return rejectedP(new TypeError("Failed to execute 'read': parameter 1 is not an 'ArrayBufferView'"));
      let min = 1;
      try {
        if (options !== undefined && options !== null) {
          if (!isObject(options)) throw new TypeError("Failed to execute 'read': options is not an object");
          const m = options.min;
          if (m !== undefined) min = enforceRangeULL(m, 'min');
        }
        if (viewByteLength(view) === 0) throw new TypeError('The view must have non-zero byteLength');
        if (abByteLength(viewBuffer(view)) === 0) throw new TypeError("The view's buffer has been detached");
      } catch (e) {
        return rejectedP(e);
      }
      if (min === 0) return rejectedP(new TypeError('options.min must be greater than 0'));
      if (taTag(view) !== undefined) {
        if (min > taLength(view)) return rejectedP(new RangeError("options.min must be at most the view's length"));
      } else if (min > dvByteLength(view)) {
        return rejectedP(new RangeError("options.min must be at most the view's byteLength"));
      }
      if (r.stream === undefined) return rejectedP(new TypeError('This reader has been released'));
      const req = new PromiseReadRequest();
      byobReaderRead(r, view, min, req);
      return req.d.p;
    }

    releaseLock() {
      const r = readerOf(this);
      if (r === undefined || !r.byob) throw illegal();
      if (r.stream !== undefined) readerRelease(r);
    }
  }
  finishClass(ReadableStreamBYOBReader, 'ReadableStreamBYOBReader');

  class ReadableStreamDefaultController {
    #c;
    constructor(token = undefined, c = undefined) {
      if (token !== INTERNAL) throw illegalConstructor();
      this.#c = c;
    }

    static {
      rsdcOf = (v) => {
        if (!isObject(v) || !(#c in v)) throw illegal();
        return v.#c;
      };
    }

    get desiredSize() {
      return rsdcDesiredSize(rsdcOf(this));
    }

    close() {
      const c = rsdcOf(this);
      if (!rsdcCanCloseOrEnqueue(c)) throw new TypeError('The stream is not in a state that permits close');
      rsdcClose(c);
    }

    enqueue(chunk = undefined) {
      const c = rsdcOf(this);
      if (!rsdcCanCloseOrEnqueue(c)) throw new TypeError('The stream is not in a state that permits enqueue');
      rsdcEnqueue(c, chunk);
    }

    error(e = undefined) {
      rsdcError(rsdcOf(this), e);
    }
  }
  finishClass(ReadableStreamDefaultController, 'ReadableStreamDefaultController');

  class ReadableByteStreamController {
    #c;
    constructor(token = undefined, c = undefined) {
      if (token !== INTERNAL) throw illegalConstructor();
      this.#c = c;
    }

    static {
      rbscOf = (v) => {
        if (!isObject(v) || !(#c in v)) throw illegal();
        return v.#c;
      };
    }

    get byobRequest() {
      return rbscGetBYOBRequest(rbscOf(this));
    }

    get desiredSize() {
      return rcDesiredSize(rbscOf(this));
    }

    close() {
      const c = rbscOf(this);
      if (c.closeRequested) throw new TypeError('The stream has already been closed');
      if (c.stream.state !== 'readable') throw new TypeError('The stream is not in the readable state and cannot be closed');
      rbscClose(c);
    }

    enqueue(chunk) {
      const c = rbscOf(this);
      if (!isView(chunk)) throw new TypeError("Failed to execute 'enqueue': parameter 1 is not an 'ArrayBufferView'");
      if (viewByteLength(chunk) === 0) throw new TypeError('The chunk must have non-zero byteLength');
      if (abByteLength(viewBuffer(chunk)) === 0) throw new TypeError("The chunk's buffer must have non-zero byteLength");
      if (c.closeRequested) throw new TypeError('The stream is closed or draining');
      if (c.stream.state !== 'readable') throw new TypeError('The stream is not in the readable state and cannot be enqueued to');
      rbscEnqueue(c, chunk);
    }

    error(e = undefined) {
      rbscError(rbscOf(this), e);
    }
  }
  finishClass(ReadableByteStreamController, 'ReadableByteStreamController');

  class ReadableStreamBYOBRequest {
    #ctrl;
    #view;
    constructor(token = undefined, ctrl = undefined, view = null) {
      if (token !== INTERNAL) throw illegalConstructor();
      this.#ctrl = ctrl;
      this.#view = view;
    }

    static {
      newBYOBRequest = (c, view) => new ReadableStreamBYOBRequest(INTERNAL, c, view);
      invalidateBYOBRequest = (req) => {
        req.#ctrl = undefined;
        req.#view = null;
      };
      byobRequestOf = (v) => {
        if (!isObject(v) || !(#ctrl in v)) throw illegal();
        return { ctrl: v.#ctrl, view: v.#view };
      };
    }

    get view() {
      return byobRequestOf(this).view;
    }

    respond(bytesWritten) {
      const { ctrl, view } = byobRequestOf(this);
      bytesWritten = enforceRangeULL(bytesWritten, 'bytesWritten');
      if (ctrl === undefined) throw new TypeError('This BYOB request has been invalidated');
      if (isDetached(taBuffer(view))) throw new TypeError("The BYOB request's buffer has been detached");
      rbscRespond(ctrl, bytesWritten);
    }

    respondWithNewView(view) {
      const { ctrl } = byobRequestOf(this);
      if (!isView(view)) throw new TypeError("Failed to execute 'respondWithNewView': parameter 1 is not an 'ArrayBufferView'");
      if (ctrl === undefined) throw new TypeError('This BYOB request has been invalidated');
      if (isDetached(viewBuffer(view))) throw new TypeError("The view's buffer has been detached");
      rbscRespondWithNewView(ctrl, view);
    }
  }
  finishClass(ReadableStreamBYOBRequest, 'ReadableStreamBYOBRequest');

  // ---------------------------------------------------------------------------------------------------------------
  // WritableStream abstract operations

  function createWS(start, write, close, abort, hwm = 1, size = sizeOne) {
    const s = new WStream();
    new WritableStream(INTERNAL, s); // eslint-disable-line no-new
    setUpWSDC(s, new WSDC(), start, write, close, abort, hwm, size);
    return s;
  }
  function acquireWriter(s) {
    const w = new Writer();
    writerSetUp(w, s);
    return w;
  }
  function wsAbort(s, reason) {
    if (s.state === 'closed' || s.state === 'errored') return resolvedUndefined();
    wsdcSignalAbort(s.ctrl, reason);
    const state = s.state;
    if (state === 'closed' || state === 'errored') return resolvedUndefined();
    if (s.pendingAbort !== undefined) return s.pendingAbort.d.p;
    let wasAlreadyErroring = false;
    if (state === 'erroring') {
      wasAlreadyErroring = true;
      reason = undefined;
    }
    const d = new Deferred();
    s.pendingAbort = { d, reason, wasAlreadyErroring };
    if (!wasAlreadyErroring) wsStartErroring(s, reason);
    return d.p;
  }
  function wsClose(s) {
    const state = s.state;
    if (state === 'closed' || state === 'errored') return rejectedP(new TypeError('The stream is closed or errored'));
    const d = new Deferred();
    s.closeReq = d;
    const w = s.writer;
    if (w !== undefined && s.backpressure && state === 'writable') w.ready.resolve(undefined);
    wsdcClose(s.ctrl);
    return d.p;
  }
  function wsDealWithRejection(s, e) {
    if (s.state === 'writable') wsStartErroring(s, e); else wsFinishErroring(s);
  }
  function wsStartErroring(s, reason) {
    const c = s.ctrl;
    s.state = 'erroring';
    s.storedError = reason;
    if (s.writer !== undefined) writerEnsureReadyRejected(s.writer, reason);
    if (!wsHasOperationMarkedInFlight(s) && c.started) wsFinishErroring(s);
  }
  function wsFinishErroring(s) {
    s.state = 'errored';
    resetQueue(s.ctrl);
    const e = s.storedError;
    const reqs = s.writeReqs;
    s.writeReqs = new Queue();
    while (reqs.length > 0) reqs.shift().reject(e);
    const ar = s.pendingAbort;
    if (ar === undefined) {
      wsRejectCloseAndClosedIfNeeded(s);
      return;
    }
    s.pendingAbort = undefined;
    if (ar.wasAlreadyErroring) {
      ar.d.reject(e);
      wsRejectCloseAndClosedIfNeeded(s);
      return;
    }
    const c = s.ctrl;
    const p = c.abort !== undefined ? c.abort(ar.reason) : resolvedUndefined();
    wsdcClearAlgorithms(c);
    promiseThen(p, () => {
      ar.d.resolve(undefined);
      wsRejectCloseAndClosedIfNeeded(s);
    }, (r) => {
      ar.d.reject(r);
      wsRejectCloseAndClosedIfNeeded(s);
    });
  }
  function wsFinishInFlightWrite(s) {
    s.inFlightWrite.resolve(undefined);
    s.inFlightWrite = undefined;
  }
  function wsFinishInFlightWriteWithError(s, e) {
    s.inFlightWrite.reject(e);
    s.inFlightWrite = undefined;
    wsDealWithRejection(s, e);
  }
  function wsFinishInFlightClose(s) {
    s.inFlightClose.resolve(undefined);
    s.inFlightClose = undefined;
    if (s.state === 'erroring') {
      s.storedError = undefined;
      if (s.pendingAbort !== undefined) {
        s.pendingAbort.d.resolve(undefined);
        s.pendingAbort = undefined;
      }
    }
    s.state = 'closed';
    if (s.writer !== undefined) s.writer.closed.resolve(undefined);
  }
  function wsFinishInFlightCloseWithError(s, e) {
    s.inFlightClose.reject(e);
    s.inFlightClose = undefined;
    if (s.pendingAbort !== undefined) {
      s.pendingAbort.d.reject(e);
      s.pendingAbort = undefined;
    }
    wsDealWithRejection(s, e);
  }
  const wsCloseQueuedOrInFlight = (s) => s.closeReq !== undefined || s.inFlightClose !== undefined;
  const wsHasOperationMarkedInFlight = (s) => s.inFlightWrite !== undefined || s.inFlightClose !== undefined;
  function wsRejectCloseAndClosedIfNeeded(s) {
    if (s.closeReq !== undefined) {
      s.closeReq.reject(s.storedError);
      s.closeReq = undefined;
    }
    const w = s.writer;
    if (w !== undefined) {
      w.closed.reject(s.storedError);
      markHandled(w.closed.p);
    }
  }
  function wsUpdateBackpressure(s, bp) {
    const w = s.writer;
    if (w !== undefined && bp !== s.backpressure) {
      if (bp) w.ready = new Deferred(); else w.ready.resolve(undefined);
    }
    s.backpressure = bp;
  }

  function writerSetUp(w, s) {
    if (s.writer !== undefined) throw new TypeError('This WritableStream is locked to a writer');
    w.stream = s;
    s.writer = w;
    const st = s.state;
    if (st === 'writable') {
      w.ready = !wsCloseQueuedOrInFlight(s) && s.backpressure ? new Deferred() : Deferred.resolved(undefined);
      w.closed = new Deferred();
    } else if (st === 'erroring') {
      w.ready = Deferred.rejected(s.storedError);
      w.closed = new Deferred();
    } else if (st === 'closed') {
      w.ready = Deferred.resolved(undefined);
      w.closed = Deferred.resolved(undefined);
    } else {
      w.ready = Deferred.rejected(s.storedError);
      w.closed = Deferred.rejected(s.storedError);
    }
  }
  function writerCloseWithErrorPropagation(w) {
    const s = w.stream;
    const st = s.state;
    if (wsCloseQueuedOrInFlight(s) || st === 'closed') return resolvedUndefined();
    if (st === 'errored') return rejectedP(s.storedError);
    return wsClose(s);
  }
  function writerEnsureClosedRejected(w, e) {
    if (w.closed.pending) w.closed.reject(e); else w.closed = Deferred.rejected(e);
    markHandled(w.closed.p);
  }
  function writerEnsureReadyRejected(w, e) {
    if (w.ready.pending) w.ready.reject(e); else w.ready = Deferred.rejected(e);
    markHandled(w.ready.p);
  }
  function writerDesiredSize(w) {
    const s = w.stream;
    const st = s.state;
    if (st === 'errored' || st === 'erroring') return null;
    if (st === 'closed') return 0;
    return s.ctrl.hwm - s.ctrl.total;
  }
  function writerRelease(w) {
    const s = w.stream;
    const e = new TypeError('The writer was released');
    writerEnsureReadyRejected(w, e);
    writerEnsureClosedRejected(w, e);
    s.writer = undefined;
    w.stream = undefined;
  }
  function writerWrite(w, chunk) {
    const s = w.stream;
    const c = s.ctrl;
    const size = wsdcGetChunkSize(c, chunk);
    if (s !== w.stream) return rejectedP(new TypeError('The writer was released'));
    const st = s.state;
    if (st === 'errored') return rejectedP(s.storedError);
    if (wsCloseQueuedOrInFlight(s) || st === 'closed') return rejectedP(new TypeError('The stream is closing or closed'));
    if (st === 'erroring') return rejectedP(s.storedError);
    const d = new Deferred();
    s.writeReqs.push(d);
    wsdcWrite(c, chunk, size);
    return d.p;
  }

  function setUpWSDC(s, c, start, write, close, abort, hwm, size) {
    c.stream = s;
    s.ctrl = c;
    c.size = size;
    c.hwm = hwm;
    c.write = write;
    c.close = close;
    c.abort = abort;
    wsUpdateBackpressure(s, wsdcGetBackpressure(c));
    const startResult = start();
    promiseThen(resolvedP(startResult), () => {
      c.started = true;
      wsdcAdvanceQueueIfNeeded(c);
    }, (r) => {
      c.started = true;
      wsDealWithRejection(s, r);
    });
  }
  function wsdcSignalAbort(c, reason) {
    if (c.aborted) return;
    c.aborted = true;
    c.abortReason = reason;
    if (c.signal !== undefined) internal.signalAbort(c.signal, reason);
  }
  function wsdcAdvanceQueueIfNeeded(c) {
    const s = c.stream;
    if (!c.started || s.inFlightWrite !== undefined) return;
    if (s.state === 'erroring') {
      wsFinishErroring(s);
      return;
    }
    if (s.state !== 'writable' || c.queue.length === 0) return;
    const v = c.queue.peek().v;
    if (v === CLOSE_SENTINEL) wsdcProcessClose(c); else wsdcProcessWrite(c, v);
  }
  function wsdcClearAlgorithms(c) {
    c.write = undefined;
    c.close = undefined;
    c.abort = undefined;
    c.size = undefined;
  }
  function wsdcClose(c) {
    c.queue.push({ v: CLOSE_SENTINEL, s: 0 });
    wsdcAdvanceQueueIfNeeded(c);
  }
  function wsdcError(c, e) {
    wsdcClearAlgorithms(c);
    wsStartErroring(c.stream, e);
  }
  function wsdcErrorIfNeeded(c, e) {
    if (c.stream.state === 'writable') wsdcError(c, e);
  }
  const wsdcGetBackpressure = (c) => c.hwm - c.total <= 0;
  function wsdcGetChunkSize(c, chunk) {
    if (c.size === undefined) return 1;
    try {
      return c.size(chunk);
    } catch (e) {
      wsdcErrorIfNeeded(c, e);
      return 1;
    }
  }
  function wsdcProcessClose(c) {
    const s = c.stream;
    s.inFlightClose = s.closeReq;
    s.closeReq = undefined;
    dequeueValue(c);
    const p = c.close();
    wsdcClearAlgorithms(c);
    promiseThen(p, () => wsFinishInFlightClose(s), (r) => wsFinishInFlightCloseWithError(s, r));
  }
  function wsdcProcessWrite(c, chunk) {
    const s = c.stream;
    s.inFlightWrite = s.writeReqs.shift();
    promiseThen(c.write(chunk), () => {
      wsFinishInFlightWrite(s);
      dequeueValue(c);
      if (!wsCloseQueuedOrInFlight(s) && s.state === 'writable') wsUpdateBackpressure(s, wsdcGetBackpressure(c));
      wsdcAdvanceQueueIfNeeded(c);
    }, (r) => {
      if (s.state === 'writable') wsdcClearAlgorithms(c);
      wsFinishInFlightWriteWithError(s, r);
    });
  }
  function wsdcWrite(c, chunk, size) {
    try {
      enqueueValueWithSize(c, chunk, size);
    } catch (e) {
      wsdcErrorIfNeeded(c, e);
      return;
    }
    const s = c.stream;
    if (!wsCloseQueuedOrInFlight(s) && s.state === 'writable') wsUpdateBackpressure(s, wsdcGetBackpressure(c));
    wsdcAdvanceQueueIfNeeded(c);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // WritableStream and its writer and controller

  class WritableStream {
    #r;
    constructor(underlyingSink = undefined, strategy = undefined) {
      if (underlyingSink === INTERNAL) {
        this.#r = strategy;
        strategy.pub = this;
        return;
      }
      if (underlyingSink !== undefined && !isObject(underlyingSink)) {
        throw new TypeError("Failed to construct 'WritableStream': the underlying sink is not an object");
      }
      const sd = strategyDict(strategy);
      const sink = underlyingSink === undefined ? {} : underlyingSink;
      const abort = callbackMember(sink, 'abort', 'underlyingSink');
      const close = callbackMember(sink, 'close', 'underlyingSink');
      const start = callbackMember(sink, 'start', 'underlyingSink');
      const type = sink.type;
      const write = callbackMember(sink, 'write', 'underlyingSink');
      if (type !== undefined) throw new RangeError("Failed to construct 'WritableStream': invalid type is specified");
      const size = extractSize(sd);
      const hwm = extractHWM(sd, 1);
      const s = new WStream();
      this.#r = s;
      s.pub = this;
      const c = new WSDC();
      setUpWSDC(s, c,
        start === undefined ? noop : () => apply(start, sink, [wsdcPub(c)]),
        write === undefined ? resolvedUndefined : (chunk) => promiseCall(write, sink, [chunk, wsdcPub(c)]),
        close === undefined ? resolvedUndefined : () => promiseCall(close, sink, []),
        abort === undefined ? resolvedUndefined : (reason) => promiseCall(abort, sink, [reason]),
        hwm, size);
    }

    static {
      wsOf = (v) => (isObject(v) && #r in v ? v.#r : undefined);
    }

    get locked() {
      const s = wsOf(this);
      if (s === undefined) throw illegal();
      return s.writer !== undefined;
    }

    abort(reason = undefined) {
      const s = wsOf(this);
      if (s === undefined) return rejectedP(illegal());
      if (s.writer !== undefined) return rejectedP(new TypeError('Cannot abort a stream that is locked to a writer'));
      return wsAbort(s, reason);
    }

    close() {
      const s = wsOf(this);
      if (s === undefined) return rejectedP(illegal());
      if (s.writer !== undefined) return rejectedP(new TypeError('Cannot close a stream that is locked to a writer'));
      if (wsCloseQueuedOrInFlight(s)) return rejectedP(new TypeError('Cannot close a stream that is already closing'));
      return wsClose(s);
    }

    getWriter() {
      if (wsOf(this) === undefined) throw illegal();
      return new WritableStreamDefaultWriter(this);
    }
  }
  finishClass(WritableStream, 'WritableStream');

  class WritableStreamDefaultWriter {
    #w;
    constructor(stream) {
      const s = wsOf(stream);
      if (s === undefined) throw new TypeError("Failed to construct 'WritableStreamDefaultWriter': parameter 1 is not a WritableStream");
      const w = new Writer();
      writerSetUp(w, s);
      this.#w = w;
      w.pub = this;
    }

    static {
      writerOf = (v) => (isObject(v) && #w in v ? v.#w : undefined);
    }

    get closed() {
      const w = writerOf(this);
      if (w === undefined) return rejectedP(illegal());
      return w.closed.p;
    }

    get desiredSize() {
      const w = writerOf(this);
      if (w === undefined) throw illegal();
      if (w.stream === undefined) throw new TypeError('This writer has been released');
      return writerDesiredSize(w);
    }

    get ready() {
      const w = writerOf(this);
      if (w === undefined) return rejectedP(illegal());
      return w.ready.p;
    }

    abort(reason = undefined) {
      const w = writerOf(this);
      if (w === undefined) return rejectedP(illegal());
      if (w.stream === undefined) return rejectedP(new TypeError('This writer has been released'));
      return wsAbort(w.stream, reason);
    }

    close() {
      const w = writerOf(this);
      if (w === undefined) return rejectedP(illegal());
      const s = w.stream;
      if (s === undefined) return rejectedP(new TypeError('This writer has been released'));
      if (wsCloseQueuedOrInFlight(s)) return rejectedP(new TypeError('Cannot close a stream that is already closing'));
      return wsClose(s);
    }

    releaseLock() {
      const w = writerOf(this);
      if (w === undefined) throw illegal();
      if (w.stream !== undefined) writerRelease(w);
    }

    write(chunk = undefined) {
      const w = writerOf(this);
      if (w === undefined) return rejectedP(illegal());
      if (w.stream === undefined) return rejectedP(new TypeError('This writer has been released'));
      return writerWrite(w, chunk);
    }
  }
  finishClass(WritableStreamDefaultWriter, 'WritableStreamDefaultWriter');

  class WritableStreamDefaultController {
    #c;
    constructor(token = undefined, c = undefined) {
      if (token !== INTERNAL) throw illegalConstructor();
      this.#c = c;
    }

    static {
      wsdcOf = (v) => {
        if (!isObject(v) || !(#c in v)) throw illegal();
        return v.#c;
      };
    }

    get signal() {
      const c = wsdcOf(this);
      if (c.signal === undefined) {
        c.signal = internal.newAbortSignal();
        if (c.aborted) internal.signalAbort(c.signal, c.abortReason);
      }
      return c.signal;
    }

    error(e = undefined) {
      const c = wsdcOf(this);
      if (c.stream.state !== 'writable') return;
      wsdcError(c, e);
    }
  }
  finishClass(WritableStreamDefaultController, 'WritableStreamDefaultController');

  // ---------------------------------------------------------------------------------------------------------------
  // TransformStream

  // InitializeTransformStream; `bytes` makes the readable side a byte stream (IdentityTransformStream).
  function initTS(t, startPromise, wHWM, wSize, rHWM, rSize, bytes) {
    const start = () => startPromise;
    t.writable = createWS(start, (chunk) => tsSinkWrite(t, chunk), () => tsSinkClose(t), (r) => tsSinkAbort(t, r),
      wHWM, wSize);
    const pull = () => tsSourcePull(t);
    const cancel = (r) => tsSourceCancel(t, r);
    t.readable = bytes ? createByteRS(start, pull, cancel, rHWM) : createRS(start, pull, cancel, rHWM, rSize);
    t.backpressure = undefined;
    t.bpChange = undefined;
    tsSetBackpressure(t, true);
    t.ctrl = undefined;
  }
  function setUpTSDC(t, c, transform, flush, cancel) {
    c.stream = t;
    t.ctrl = c;
    c.transform = transform;
    c.flush = flush;
    c.cancel = cancel;
  }
  // A TransformStream record (with no public TransformStream) over the given algorithms, started at once.
  function createTS(transform, flush, bytes = false) {
    const t = new TStream();
    initTS(t, resolvedUndefined(), 1, sizeOne, 0, sizeOne, bytes);
    setUpTSDC(t, new TSDC(), transform, flush, resolvedUndefined);
    return t;
  }
  function tsError(t, e) {
    rcError(t.readable.ctrl, e);
    tsErrorWritableAndUnblockWrite(t, e);
  }
  function tsErrorWritableAndUnblockWrite(t, e) {
    tsdcClearAlgorithms(t.ctrl);
    wsdcErrorIfNeeded(t.writable.ctrl, e);
    tsUnblockWrite(t);
  }
  function tsUnblockWrite(t) {
    if (t.backpressure) tsSetBackpressure(t, false);
  }
  function tsSetBackpressure(t, bp) {
    if (t.bpChange !== undefined) t.bpChange.resolve(undefined);
    t.bpChange = new Deferred();
    t.backpressure = bp;
  }
  function tsdcClearAlgorithms(c) {
    c.transform = undefined;
    c.flush = undefined;
    c.cancel = undefined;
  }
  function tsdcEnqueue(c, chunk) {
    const t = c.stream;
    const rc = t.readable.ctrl;
    if (!rcCanCloseOrEnqueue(rc)) throw new TypeError('The readable side is not in a state that permits enqueue');
    try {
      if (rc.byte) rbscEnqueueOwned(rc, chunk); else rsdcEnqueue(rc, chunk);
    } catch (e) {
      tsErrorWritableAndUnblockWrite(t, e);
      throw t.readable.storedError;
    }
    if (rcHasBackpressure(rc) !== t.backpressure) tsSetBackpressure(t, true);
  }
  function tsdcError(c, e) {
    tsError(c.stream, e);
  }
  function tsdcTerminate(c) {
    const t = c.stream;
    rcClose(t.readable.ctrl);
    tsErrorWritableAndUnblockWrite(t, new TypeError('The TransformStream has been terminated'));
  }
  function tsdcPerformTransform(c, chunk) {
    const p = c.transform !== undefined ? c.transform(chunk) : resolvedUndefined();
    return promiseThen(p, undefined, (r) => {
      tsError(c.stream, r);
      throw r;
    });
  }
  function tsSinkWrite(t, chunk) {
    const c = t.ctrl;
    if (t.backpressure) {
      return promiseThen(t.bpChange.p, () => {
        const w = t.writable;
        if (w.state === 'erroring') throw w.storedError;
        return tsdcPerformTransform(c, chunk);
      });
    }
    return tsdcPerformTransform(c, chunk);
  }
  function tsSinkAbort(t, reason) {
    const c = t.ctrl;
    if (c.finish !== undefined) return c.finish.p;
    const readable = t.readable;
    const finish = c.finish = new Deferred();
    const p = c.cancel !== undefined ? c.cancel(reason) : resolvedUndefined();
    tsdcClearAlgorithms(c);
    promiseThen(p, () => {
      if (readable.state === 'errored') {
        finish.reject(readable.storedError);
      } else {
        rcError(readable.ctrl, reason);
        finish.resolve(undefined);
      }
    }, (r) => {
      rcError(readable.ctrl, r);
      finish.reject(r);
    });
    return finish.p;
  }
  function tsSinkClose(t) {
    const c = t.ctrl;
    if (c.finish !== undefined) return c.finish.p;
    const readable = t.readable;
    const finish = c.finish = new Deferred();
    const p = c.flush !== undefined ? c.flush() : resolvedUndefined();
    tsdcClearAlgorithms(c);
    promiseThen(p, () => {
      if (readable.state === 'errored') {
        finish.reject(readable.storedError);
        return;
      }
      try {
        rcClose(readable.ctrl);
      } catch (e) {
        finish.reject(e);
        return;
      }
      finish.resolve(undefined);
    }, (r) => {
      rcError(readable.ctrl, r);
      finish.reject(r);
    });
    return finish.p;
  }
  function tsSourcePull(t) {
    tsSetBackpressure(t, false);
    return t.bpChange.p;
  }
  function tsSourceCancel(t, reason) {
    const c = t.ctrl;
    if (c.finish !== undefined) return c.finish.p;
    const writable = t.writable;
    const finish = c.finish = new Deferred();
    const p = c.cancel !== undefined ? c.cancel(reason) : resolvedUndefined();
    tsdcClearAlgorithms(c);
    promiseThen(p, () => {
      if (writable.state === 'errored') {
        finish.reject(writable.storedError);
      } else {
        wsdcErrorIfNeeded(writable.ctrl, reason);
        tsUnblockWrite(t);
        finish.resolve(undefined);
      }
    }, (r) => {
      wsdcErrorIfNeeded(writable.ctrl, r);
      tsUnblockWrite(t);
      finish.reject(r);
    });
    return finish.p;
  }

  // The Workers byte transform: chunks must be BufferSources, are copied, and pass through unchanged; with
  // `expected` >= 0, the total must be exactly that many bytes.
  function byteIdentityAlgorithms(getCtrl, expected) {
    let seen = 0;
    const transform = (chunk) => {
      let u8;
      if (isView(chunk)) {
        u8 = new Uint8ArrayCtor(viewBuffer(chunk), viewByteOffset(chunk), viewByteLength(chunk));
      } else if (isArrayBuffer(chunk)) {
        u8 = new Uint8ArrayCtor(chunk);
      } else {
        return rejectedP(new TypeError('This TransformStream is being used as a byte stream, but received an object of '
          + 'non-ArrayBuffer/ArrayBufferView type on its writable side.'));
      }
      seen += u8.byteLength;
      if (expected >= 0 && seen > expected) {
        return rejectedP(new TypeError('Attempt to write too many bytes through a FixedLengthStream.'));
      }
      if (u8.byteLength === 0) return resolvedUndefined();
      try {
        tsdcEnqueue(getCtrl(), u8Slice(u8));
      } catch (e) {
        return rejectedP(e);
      }
      return resolvedUndefined();
    };
    const flush = () => {
      if (expected >= 0 && seen < expected) {
        return rejectedP(new TypeError('FixedLengthStream did not see all expected bytes before close().'));
      }
      return resolvedUndefined();
    };
    return { transform, flush };
  }

  class TransformStream {
    #t;
    constructor(transformer = undefined, writableStrategy = undefined, readableStrategy = undefined) {
      if (transformer === INTERNAL) {
        // IdentityTransformStream / FixedLengthStream: writableStrategy is the expected length (-1: any).
        const t = new TStream();
        this.#t = t;
        t.pub = this;
        initTS(t, resolvedUndefined(), 1, sizeOne, 0, sizeOne, true);
        const c = new TSDC();
        const { transform, flush } = byteIdentityAlgorithms(() => c, writableStrategy);
        setUpTSDC(t, c, transform, flush, resolvedUndefined);
        if (writableStrategy >= 0) t.readable.knownLength = writableStrategy;
        return;
      }
      if (transformer !== undefined && !isObject(transformer)) {
        throw new TypeError("Failed to construct 'TransformStream': the transformer is not an object");
      }
      const wsd = strategyDict(writableStrategy);
      const rsd = strategyDict(readableStrategy);
      const tr = transformer === undefined ? {} : transformer;
      const cancel = callbackMember(tr, 'cancel', 'transformer');
      const flush = callbackMember(tr, 'flush', 'transformer');
      const readableType = tr.readableType;
      const start = callbackMember(tr, 'start', 'transformer');
      const transform = callbackMember(tr, 'transform', 'transformer');
      const writableType = tr.writableType;
      if (readableType !== undefined) throw new RangeError("Failed to construct 'TransformStream': invalid readableType");
      if (writableType !== undefined) throw new RangeError("Failed to construct 'TransformStream': invalid writableType");
      const rHWM = extractHWM(rsd, 0);
      const rSize = extractSize(rsd);
      const wHWM = extractHWM(wsd, 1);
      const wSize = extractSize(wsd);
      const startD = new Deferred();
      const t = new TStream();
      this.#t = t;
      t.pub = this;
      initTS(t, startD.p, wHWM, wSize, rHWM, rSize, false);
      const c = new TSDC();
      setUpTSDC(t, c,
        transform !== undefined ? (chunk) => promiseCall(transform, tr, [chunk, tsdcPub(c)]) : (chunk) => {
          try {
            tsdcEnqueue(c, chunk);
            return resolvedUndefined();
          } catch (e) {
            return rejectedP(e);
          }
        },
        flush !== undefined ? () => promiseCall(flush, tr, [tsdcPub(c)]) : resolvedUndefined,
        cancel !== undefined ? (reason) => promiseCall(cancel, tr, [reason]) : resolvedUndefined);
      startD.resolve(start !== undefined ? apply(start, tr, [tsdcPub(c)]) : undefined);
    }

    static {
      tsOf = (v) => {
        if (!isObject(v) || !(#t in v)) throw illegal();
        return v.#t;
      };
    }

    get readable() {
      return tsOf(this).readable.pub;
    }

    get writable() {
      return tsOf(this).writable.pub;
    }
  }
  finishClass(TransformStream, 'TransformStream');

  class TransformStreamDefaultController {
    #c;
    constructor(token = undefined, c = undefined) {
      if (token !== INTERNAL) throw illegalConstructor();
      this.#c = c;
    }

    static {
      tsdcOf = (v) => {
        if (!isObject(v) || !(#c in v)) throw illegal();
        return v.#c;
      };
    }

    get desiredSize() {
      return rcDesiredSize(tsdcOf(this).stream.readable.ctrl);
    }

    enqueue(chunk = undefined) {
      tsdcEnqueue(tsdcOf(this), chunk);
    }

    error(reason = undefined) {
      tsdcError(tsdcOf(this), reason);
    }

    terminate() {
      tsdcTerminate(tsdcOf(this));
    }
  }
  finishClass(TransformStreamDefaultController, 'TransformStreamDefaultController');

  // ---------------------------------------------------------------------------------------------------------------
  // Queuing strategies

  const byteLengthSize = ({ size(chunk) { return chunk.byteLength; } }).size;
  const countSize = ({ size() { return 1; } }).size;
  function strategyInit(init, what) {
    if (!isObject(init)) throw new TypeError(`Failed to construct '${what}': the init argument is not an object`);
    const hwm = init.highWaterMark;
    if (hwm === undefined) throw new TypeError(`Failed to construct '${what}': highWaterMark is required`);
    return +hwm;
  }

  class ByteLengthQueuingStrategy {
    #hwm;
    constructor(init) {
      this.#hwm = strategyInit(init, 'ByteLengthQueuingStrategy');
    }

    get highWaterMark() {
      if (!isObject(this) || !(#hwm in this)) throw illegal();
      return this.#hwm;
    }

    get size() {
      if (!isObject(this) || !(#hwm in this)) throw illegal();
      return byteLengthSize;
    }
  }
  finishClass(ByteLengthQueuingStrategy, 'ByteLengthQueuingStrategy');

  class CountQueuingStrategy {
    #hwm;
    constructor(init) {
      this.#hwm = strategyInit(init, 'CountQueuingStrategy');
    }

    get highWaterMark() {
      if (!isObject(this) || !(#hwm in this)) throw illegal();
      return this.#hwm;
    }

    get size() {
      if (!isObject(this) || !(#hwm in this)) throw illegal();
      return countSize;
    }
  }
  finishClass(CountQueuingStrategy, 'CountQueuingStrategy');

  // ---------------------------------------------------------------------------------------------------------------
  // TextEncoderStream / TextDecoderStream (Encoding Standard)

  const REPLACEMENT_UTF8 = [0xef, 0xbf, 0xbd];

  class TextEncoderStream {
    #t;
    constructor() {
      let pending = ''; // a trailing high surrogate held back for the next chunk
      let c;
      const t = createTS((chunk) => {
        try {
          let s = `${chunk}`;
          if (pending !== '') {
            s = pending + s;
            pending = '';
          }
          const last = s.length === 0 ? 0 : s.charCodeAt(s.length - 1);
          if (last >= 0xd800 && last <= 0xdbff) {
            pending = s[s.length - 1];
            s = s.slice(0, -1);
          }
          if (s !== '') tsdcEnqueue(c, native.utf8Encode(s));
          return resolvedUndefined();
        } catch (e) {
          return rejectedP(e);
        }
      }, () => {
        try {
          if (pending !== '') tsdcEnqueue(c, new Uint8ArrayCtor(REPLACEMENT_UTF8));
          return resolvedUndefined();
        } catch (e) {
          return rejectedP(e);
        }
      });
      c = t.ctrl;
      this.#t = t;
    }

    get encoding() {
      if (!isObject(this) || !(#t in this)) throw illegal();
      return 'utf-8';
    }

    get readable() {
      if (!isObject(this) || !(#t in this)) throw illegal();
      return this.#t.readable.pub;
    }

    get writable() {
      if (!isObject(this) || !(#t in this)) throw illegal();
      return this.#t.writable.pub;
    }
  }
  finishClass(TextEncoderStream, 'TextEncoderStream');

  class TextDecoderStream {
    #t;
    #decoder;
    constructor(label = 'utf-8', options = undefined) {
      const decoder = new internal.TextDecoder(label, options);
      const streamOpt = { stream: true };
      let c;
      const t = createTS((chunk) => {
        try {
          const s = decoder.decode(chunk, streamOpt);
          if (s !== '') tsdcEnqueue(c, s);
          return resolvedUndefined();
        } catch (e) {
          return rejectedP(e);
        }
      }, () => {
        try {
          const s = decoder.decode();
          if (s !== '') tsdcEnqueue(c, s);
          return resolvedUndefined();
        } catch (e) {
          return rejectedP(e);
        }
      });
      c = t.ctrl;
      this.#t = t;
      this.#decoder = decoder;
    }

    get encoding() {
      if (!isObject(this) || !(#t in this)) throw illegal();
      return this.#decoder.encoding;
    }

    get fatal() {
      if (!isObject(this) || !(#t in this)) throw illegal();
      return this.#decoder.fatal;
    }

    get ignoreBOM() {
      if (!isObject(this) || !(#t in this)) throw illegal();
      return this.#decoder.ignoreBOM;
    }

    get readable() {
      if (!isObject(this) || !(#t in this)) throw illegal();
      return this.#t.readable.pub;
    }

    get writable() {
      if (!isObject(this) || !(#t in this)) throw illegal();
      return this.#t.writable.pub;
    }
  }
  finishClass(TextDecoderStream, 'TextDecoderStream');

  // ---------------------------------------------------------------------------------------------------------------
  // Workers extras: IdentityTransformStream, FixedLengthStream

  class IdentityTransformStream extends TransformStream {
    constructor(options = undefined) {
      // FixedLengthStream passes (INTERNAL, length).
      super(INTERNAL, options === INTERNAL ? arguments[1] : -1); // eslint-disable-line prefer-rest-params
    }
  }
  defineTag(IdentityTransformStream, 'IdentityTransformStream');

  class FixedLengthStream extends IdentityTransformStream {
    constructor(expectedLength, options = undefined) { // eslint-disable-line no-unused-vars
      if (arguments.length === 0) {
        throw new TypeError("Failed to construct 'FixedLengthStream': 1 argument required, but only 0 present.");
      }
      let n = typeof expectedLength === 'bigint' ? Number(expectedLength) : +expectedLength;
      if (NumberIsNaN(n) || n < 0 || n > Number.MAX_SAFE_INTEGER) {
        throw new RangeError("Failed to construct 'FixedLengthStream': expectedLength must be a non-negative safe integer");
      }
      n = Math.trunc(n);
      super(INTERNAL, n);
    }
  }
  defineTag(FixedLengthStream, 'FixedLengthStream');

  // ---------------------------------------------------------------------------------------------------------------
  // Helpers for the other families and the runtime

  const notBytes = () => new TypeError('This ReadableStream did not return bytes.');

  // All the bytes of `stream` as one Uint8Array (the stream is left locked and disturbed, as the Fetch Standard's
  // "fully read" does). Chunks must be Uint8Arrays: anything else rejects with a TypeError and cancels the stream.
  function readAllBytes(stream) {
    const s = rsOf(stream);
    if (s === undefined) return rejectedP(new TypeError('Not a ReadableStream'));
    if (s.reader !== undefined) return rejectedP(new TypeError('This ReadableStream is locked to a reader'));
    const reader = acquireReader(s, false);
    const owned = s.ctrl.byte; // byte stream chunks were transferred into the stream: nobody else holds them
    return new PromiseCtor((resolve, reject) => {
      const chunks = [];
      let total = 0, looping = false, again = false;
      const loop = () => {
        looping = true;
        do {
          again = false;
          readerRead(reader, req);
        } while (again);
        looping = false;
      };
      const req = {
        chunk(v) {
          if (!isUint8Array(v)) {
            const e = notBytes();
            queueMicrotask(() => markHandled(rsCancel(s, e)));
            reject(e);
            return;
          }
          if (taByteLength(v) !== 0) {
            chunks.push(v);
            total += taByteLength(v);
          }
          if (looping) again = true; else queueMicrotask(loop);
        },
        close() {
          if (chunks.length === 1 && owned) {
            resolve(chunks[0]);
            return;
          }
          resolve(internal.concatBytes(chunks, total));
        },
        error: reject,
      };
      loop();
    });
  }

  // A byte ReadableStream that yields `u8` (adopted, not copied) as one chunk and closes.
  function readableStreamFromBytes(u8) {
    const s = createByteRS(noop, resolvedUndefined, resolvedUndefined);
    const len = taByteLength(u8);
    if (len !== 0) rbscEnqueueBuffer(s.ctrl, taBuffer(u8), taByteOffset(u8), len);
    rbscClose(s.ctrl);
    s.knownLength = len;
    return s.pub;
  }

  // A byte ReadableStream fed by `pull()`: a function returning (a Promise of) a Uint8Array chunk (adopted, not
  // copied; empty chunks are skipped) or null at the end. It is called only when a reader wants data (or the queue
  // is below options.highWaterMark bytes), never twice at once. A throw or rejection errors the stream. `cancel(reason)`
  // (optional) is called once if the consumer cancels. options.length: the total, if known.
  function newPullStream(pull, cancel = undefined, options = undefined) {
    let s;
    const pullAlg = () => {
      let p;
      try { p = pull(); } catch (e) { return rejectedP(e); }
      return promiseThen(resolvedP(p), (chunk) => {
        const c = s.ctrl;
        if (s.state !== 'readable' || c.closeRequested) return undefined;
        if (chunk === null || chunk === undefined) {
          rbscCloseAndRespond(c);
          return undefined;
        }
        if (!isUint8Array(chunk)) throw new TypeError('The pull function did not return a Uint8Array');
        if (taByteLength(chunk) === 0) return pullAlg();
        rbscEnqueueOwned(c, chunk);
        return undefined;
      });
    };
    const cancelAlg = cancel === undefined ? resolvedUndefined : (reason) => promiseCall(cancel, undefined, [reason]);
    const hwm = options && options.highWaterMark !== undefined ? +options.highWaterMark : 0;
    s = createByteRS(noop, pullAlg, cancelAlg, hwm >= 0 ? hwm : 0);
    if (options && typeof options.length === 'number') s.knownLength = options.length;
    return s.pub;
  }

  // A chunk-by-chunk reader for the runtime: read() -> Promise<Uint8Array|null> (null at the end; TypeError, and the
  // stream cancelled, for a non-Uint8Array chunk); cancel(reason) -> Promise; release() unlocks the stream.
  function byteReader(stream) {
    const s = rsOf(stream);
    if (s === undefined) throw new TypeError('Not a ReadableStream');
    const reader = acquireReader(s, false);
    return {
      read() {
        if (reader.stream === undefined) return rejectedP(new TypeError('The reader was released'));
        const d = new Deferred();
        readerRead(reader, {
          chunk(v) {
            if (isUint8Array(v)) {
              d.resolve(v);
              return;
            }
            const e = notBytes();
            queueMicrotask(() => markHandled(rsCancel(s, e)));
            d.reject(e);
          },
          close() { d.resolve(null); },
          error(e) { d.reject(e); },
        });
        return d.p;
      },
      cancel(reason) {
        if (reader.stream === undefined) return rejectedP(new TypeError('The reader was released'));
        return rsCancel(s, reason);
      },
      release() {
        if (reader.stream !== undefined) readerRelease(reader);
      },
    };
  }

  internal.ReadableStream = ReadableStream;
  internal.WritableStream = WritableStream;
  internal.TransformStream = TransformStream;
  internal.TransformStreamDefaultController = TransformStreamDefaultController;
  internal.isReadableStream = (v) => rsOf(v) !== undefined;
  internal.isWritableStream = (v) => wsOf(v) !== undefined;
  internal.isReadableStreamDisturbed = (v) => rsOf(v).disturbed;
  internal.isReadableStreamLocked = (v) => rsOf(v).reader !== undefined;
  internal.streamExpectedLength = (v) => {
    const s = rsOf(v);
    return s === undefined ? null : s.knownLength;
  };
  internal.readAllBytes = readAllBytes;
  internal.readableStreamFromBytes = readableStreamFromBytes;
  internal.newPullStream = newPullStream;
  internal.byteReader = byteReader;

  for (const C of [
    ReadableStream, ReadableStreamDefaultReader, ReadableStreamBYOBReader, ReadableStreamDefaultController,
    ReadableByteStreamController, ReadableStreamBYOBRequest, WritableStream, WritableStreamDefaultWriter,
    WritableStreamDefaultController, TransformStream, TransformStreamDefaultController, ByteLengthQueuingStrategy,
    CountQueuingStrategy, TextEncoderStream, TextDecoderStream, IdentityTransformStream, FixedLengthStream,
  ]) {
    internal.defineGlobal(g, C.name, C);
  }
})
