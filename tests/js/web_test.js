// DOMException, Event, EventTarget, AbortController/AbortSignal, structuredClone, crypto, performance, navigator.
'use strict';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- DOMException

test('DOMException defaults and fields', () => {
  const e = new DOMException();
  assert.equal(e.name, 'Error');
  assert.equal(e.message, '');
  assert.equal(e.code, 0);
  const a = new DOMException('stopped', 'AbortError');
  assert.equal(a.name, 'AbortError');
  assert.equal(a.message, 'stopped');
  assert.equal(a.code, 20);
  assert.equal(new DOMException('m', 'NotFoundError').code, 8);
  assert.equal(new DOMException('m', 'DataCloneError').code, 25);
  assert.equal(new DOMException('m', 'EncodingError').code, 0, 'names without a legacy code');
  assert.equal(new DOMException('m', 'DOMStringSizeError').code, 0, 'not in the names table');
  assert.equal(new DOMException(undefined, undefined).name, 'Error');
  assert.equal(new DOMException(null, null).message, 'null');
  assert.equal(new DOMException(null, null).name, 'null');
  assert.throws(() => new DOMException(Symbol('x')), TypeError);
  assert.throws(() => DOMException('x'), TypeError, 'not callable without new');
});

test('DOMException is Error-like', () => {
  const e = new DOMException('boom', 'SyntaxError');
  assert.ok(e instanceof DOMException);
  assert.ok(e instanceof Error);
  assert.equal(Object.getPrototypeOf(DOMException.prototype), Error.prototype);
  assert.equal(Object.prototype.toString.call(e), '[object DOMException]');
  assert.equal(String(e), 'SyntaxError: boom');
  assert.equal(typeof e.stack, 'string');
  assert.ok(e.stack.startsWith('SyntaxError: boom'), e.stack);
  assert.ok(!Object.prototype.hasOwnProperty.call(e, 'message'), 'message is a prototype getter');
  assert.ok(!Object.prototype.hasOwnProperty.call(e, 'name'));
  class MyErr extends DOMException {
    constructor() { super('mine', 'InvalidStateError'); }
  }
  const m = new MyErr();
  assert.equal(m.name, 'InvalidStateError');
  assert.equal(m.code, 11);
  assert.ok(m instanceof MyErr && m instanceof DOMException);
});

test('DOMException constants and brand checks', () => {
  const table = {
    INDEX_SIZE_ERR: 1, DOMSTRING_SIZE_ERR: 2, HIERARCHY_REQUEST_ERR: 3, WRONG_DOCUMENT_ERR: 4,
    INVALID_CHARACTER_ERR: 5, NO_DATA_ALLOWED_ERR: 6, NO_MODIFICATION_ALLOWED_ERR: 7, NOT_FOUND_ERR: 8,
    NOT_SUPPORTED_ERR: 9, INUSE_ATTRIBUTE_ERR: 10, INVALID_STATE_ERR: 11, SYNTAX_ERR: 12,
    INVALID_MODIFICATION_ERR: 13, NAMESPACE_ERR: 14, INVALID_ACCESS_ERR: 15, VALIDATION_ERR: 16,
    TYPE_MISMATCH_ERR: 17, SECURITY_ERR: 18, NETWORK_ERR: 19, ABORT_ERR: 20, URL_MISMATCH_ERR: 21,
    QUOTA_EXCEEDED_ERR: 22, TIMEOUT_ERR: 23, INVALID_NODE_TYPE_ERR: 24, DATA_CLONE_ERR: 25,
  };
  for (const [k, v] of Object.entries(table)) {
    assert.equal(DOMException[k], v, k);
    assert.equal(DOMException.prototype[k], v, `prototype ${k}`);
    const d = Object.getOwnPropertyDescriptor(DOMException, k);
    assert.ok(!d.writable && !d.configurable && d.enumerable, `${k} is a constant`);
  }
  assert.equal(new DOMException().INDEX_SIZE_ERR, 1);
  for (const name of ['name', 'message', 'code']) {
    const getter = Object.getOwnPropertyDescriptor(DOMException.prototype, name).get;
    assert.throws(() => getter.call({}), TypeError, name);
    assert.throws(() => getter.call(Object.create(DOMException.prototype)), TypeError, name);
  }
  const d = Object.getOwnPropertyDescriptor(globalThis, 'DOMException');
  assert.ok(d.writable && d.configurable && !d.enumerable);
});

// ---- Event

test('Event construction', () => {
  const e = new Event('foo');
  assert.equal(e.type, 'foo');
  assert.equal(e.bubbles, false);
  assert.equal(e.cancelable, false);
  assert.equal(e.composed, false);
  assert.equal(e.defaultPrevented, false);
  assert.equal(e.isTrusted, false);
  assert.equal(e.target, null);
  assert.equal(e.currentTarget, null);
  assert.equal(e.eventPhase, Event.NONE);
  assert.equal(typeof e.timeStamp, 'number');
  assert.deepEqual(e.composedPath(), []);
  const c = new Event('bar', { bubbles: true, cancelable: true, composed: 1 });
  assert.equal(c.bubbles, true);
  assert.equal(c.cancelable, true);
  assert.equal(c.composed, true);
  assert.equal(Event.AT_TARGET, 2);
  assert.equal(Event.prototype.BUBBLING_PHASE, 3);
  assert.throws(() => new Event(), TypeError);
  assert.throws(() => Event('x'), TypeError);
  assert.equal(Object.prototype.toString.call(e), '[object Event]');
  assert.throws(() => Object.getOwnPropertyDescriptor(Event.prototype, 'type').get.call({}), TypeError);
});

test('preventDefault needs cancelable', () => {
  const e = new Event('x');
  e.preventDefault();
  assert.equal(e.defaultPrevented, false);
  const c = new Event('x', { cancelable: true });
  c.preventDefault();
  assert.equal(c.defaultPrevented, true);
  assert.equal(c.returnValue, false);
  const r = new Event('x', { cancelable: true });
  r.returnValue = false;
  assert.equal(r.defaultPrevented, true);
});

test('CustomEvent detail', () => {
  const e = new CustomEvent('c', { detail: { a: 1 } });
  assert.deepEqual(e.detail, { a: 1 });
  assert.ok(e instanceof Event);
  assert.equal(new CustomEvent('c').detail, null);
});

// ---- EventTarget

test('EventTarget dispatch basics', () => {
  const t = new EventTarget();
  const seen = [];
  const f = function (ev) {
    seen.push(['f', ev.type, this === t, ev.target === t, ev.currentTarget === t, ev.eventPhase]);
  };
  t.addEventListener('ping', f);
  t.addEventListener('ping', f); // duplicate: ignored
  t.addEventListener('pong', () => seen.push(['pong']));
  const ev = new Event('ping');
  assert.equal(t.dispatchEvent(ev), true);
  assert.deepEqual(seen, [['f', 'ping', true, true, true, 2]]);
  assert.equal(ev.eventPhase, 0, 'phase reset after dispatch');
  assert.equal(ev.currentTarget, null);
  assert.equal(ev.target, t, 'target stays');
  t.removeEventListener('ping', f);
  t.dispatchEvent(new Event('ping'));
  assert.equal(seen.length, 1);
  t.addEventListener('x', null); // ignored
  assert.throws(() => t.addEventListener('x', 5), TypeError);
  assert.throws(() => t.addEventListener('x'), TypeError);
  assert.throws(() => t.dispatchEvent({ type: 'x' }), TypeError);
  assert.throws(() => EventTarget.prototype.addEventListener.call({}, 'x', f), TypeError);
});

test('capture is part of a listener identity', () => {
  const t = new EventTarget();
  const calls = [];
  const f = (e) => calls.push(e.type);
  t.addEventListener('a', f);
  t.addEventListener('a', f, true);
  t.addEventListener('a', f, { capture: true }); // same as the previous one
  t.dispatchEvent(new Event('a'));
  assert.equal(calls.length, 2);
  t.removeEventListener('a', f, { capture: true });
  t.dispatchEvent(new Event('a'));
  assert.equal(calls.length, 3);
  t.removeEventListener('a', f);
  t.dispatchEvent(new Event('a'));
  assert.equal(calls.length, 3);
});

test('once, handleEvent, stopImmediatePropagation, ordering', () => {
  const t = new EventTarget();
  const order = [];
  t.addEventListener('e', () => order.push(1), { once: true });
  const handler = { handleEvent(ev) { order.push(this === handler ? 2 : 'bad'); } };
  t.addEventListener('e', handler);
  t.addEventListener('e', (ev) => { order.push(3); ev.stopImmediatePropagation(); });
  t.addEventListener('e', () => order.push(4));
  t.dispatchEvent(new Event('e'));
  t.dispatchEvent(new Event('e'));
  assert.deepEqual(order, [1, 2, 3, 2, 3]);
});

test('listeners added or removed during dispatch', () => {
  const t = new EventTarget();
  const order = [];
  const b = () => order.push('b');
  t.addEventListener('e', () => {
    order.push('a');
    t.removeEventListener('e', b);
    t.addEventListener('e', () => order.push('late'));
  });
  t.addEventListener('e', b);
  t.dispatchEvent(new Event('e'));
  assert.deepEqual(order, ['a'], 'removed listener does not run; added one waits for the next dispatch');
  t.dispatchEvent(new Event('e'));
  assert.deepEqual(order, ['a', 'a', 'late']);
});

test('defaultPrevented and the dispatch result', () => {
  const t = new EventTarget();
  t.addEventListener('c', (e) => e.preventDefault());
  const c = new Event('c', { cancelable: true });
  assert.equal(t.dispatchEvent(c), false);
  assert.equal(c.defaultPrevented, true);
  const n = new Event('c');
  assert.equal(t.dispatchEvent(n), true);
  const p = new EventTarget();
  p.addEventListener('c', (e) => e.preventDefault(), { passive: true });
  assert.equal(p.dispatchEvent(new Event('c', { cancelable: true })), true, 'passive listeners cannot cancel');
});

test('re-dispatching an event being dispatched throws InvalidStateError', () => {
  const t = new EventTarget();
  let inner;
  t.addEventListener('r', (e) => {
    try { t.dispatchEvent(e); } catch (err) { inner = err; }
  });
  t.dispatchEvent(new Event('r'));
  assert.equal(inner && inner.name, 'InvalidStateError');
  assert.ok(inner instanceof DOMException);
});

test('a throwing listener does not stop the others (when a reporter is present)', () => {
  const internal = globalThis.__internal;
  if (!internal) return; // only in islet's test harness; elsewhere the error would be logged
  const reported = [];
  const saved = internal.reportError;
  internal.reportError = (e) => reported.push(e);
  try {
    const t = new EventTarget();
    const order = [];
    t.addEventListener('e', () => { throw new Error('first'); });
    t.addEventListener('e', () => order.push('second'));
    t.dispatchEvent(new Event('e'));
    assert.deepEqual(order, ['second']);
    assert.equal(reported.length, 1);
    assert.equal(reported[0].message, 'first');
  } finally {
    internal.reportError = saved;
  }
});

test('EventTarget subclass', () => {
  class Emitter extends EventTarget {
    fire() { return this.dispatchEvent(new Event('fire')); }
  }
  const e = new Emitter();
  let n = 0;
  e.addEventListener('fire', () => n++);
  e.fire();
  assert.equal(n, 1);
  assert.equal(Object.prototype.toString.call(new EventTarget()), '[object EventTarget]');
});

// ---- AbortController / AbortSignal

test('AbortController.abort with default reason', () => {
  const c = new AbortController();
  const s = c.signal;
  assert.equal(c.signal, s);
  assert.ok(s instanceof AbortSignal && s instanceof EventTarget);
  assert.equal(s.aborted, false);
  assert.equal(s.reason, undefined);
  s.throwIfAborted();
  const seen = [];
  s.onabort = (e) => seen.push(['onabort', e.type, s.aborted]);
  s.addEventListener('abort', (e) => seen.push(['listener', e.isTrusted]));
  c.abort();
  assert.equal(s.aborted, true);
  assert.ok(s.reason instanceof DOMException);
  assert.equal(s.reason.name, 'AbortError');
  assert.equal(s.reason.code, 20);
  assert.deepEqual(seen, [['onabort', 'abort', true], ['listener', true]], 'the abort event is trusted');
  const r = s.reason;
  c.abort(new Error('later'));
  assert.equal(s.reason, r, 'a second abort changes nothing');
  assert.equal(seen.length, 2, 'and fires no event');
  assert.equal(assert.throws(() => s.throwIfAborted()), r);
});

test('AbortController.abort with a reason', () => {
  const c = new AbortController();
  c.abort('why');
  assert.equal(c.signal.reason, 'why');
  assert.throws(() => c.signal.throwIfAborted());
  try { c.signal.throwIfAborted(); } catch (e) { assert.equal(e, 'why'); }
  const c2 = new AbortController();
  c2.abort(null);
  assert.equal(c2.signal.reason, null, 'null is a reason; only undefined is not');
});

test('AbortSignal is not constructible; brand checks', () => {
  assert.throws(() => new AbortSignal(), TypeError);
  assert.throws(() => Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get.call({}), TypeError);
  assert.throws(() => AbortController.prototype.abort.call({}), TypeError);
  assert.equal(Object.prototype.toString.call(new AbortController().signal), '[object AbortSignal]');
  assert.equal(Object.prototype.toString.call(new AbortController()), '[object AbortController]');
});

test('onabort handler attribute', () => {
  const c = new AbortController();
  assert.equal(c.signal.onabort, null);
  const calls = [];
  const h1 = () => calls.push(1);
  const h2 = () => calls.push(2);
  c.signal.onabort = h1;
  c.signal.addEventListener('abort', () => calls.push('l'));
  c.signal.onabort = h2; // keeps its first position
  assert.equal(c.signal.onabort, h2);
  c.abort();
  assert.deepEqual(calls, [2, 'l']);
  const c2 = new AbortController();
  c2.signal.onabort = h1;
  c2.signal.onabort = null;
  c2.abort();
  assert.deepEqual(calls, [2, 'l']);
});

test('AbortSignal.abort', () => {
  const s = AbortSignal.abort();
  assert.equal(s.aborted, true);
  assert.equal(s.reason.name, 'AbortError');
  const r = {};
  assert.equal(AbortSignal.abort(r).reason, r);
});

test('addEventListener with a signal', () => {
  const t = new EventTarget();
  const c = new AbortController();
  let n = 0;
  t.addEventListener('e', () => n++, { signal: c.signal });
  t.dispatchEvent(new Event('e'));
  c.abort();
  t.dispatchEvent(new Event('e'));
  assert.equal(n, 1);
  t.addEventListener('e', () => n++, { signal: AbortSignal.abort() });
  t.dispatchEvent(new Event('e'));
  assert.equal(n, 1, 'an aborted signal adds nothing');
  assert.throws(() => t.addEventListener('e', () => {}, { signal: {} }), TypeError);
});

test('AbortSignal.any', () => {
  const a = new AbortController();
  const b = new AbortController();
  const any = AbortSignal.any([a.signal, b.signal]);
  assert.equal(any.aborted, false);
  const nested = AbortSignal.any([any]);
  const events = [];
  any.addEventListener('abort', () => events.push('any'));
  nested.addEventListener('abort', () => events.push('nested'));
  b.abort('b-reason');
  assert.equal(any.aborted, true);
  assert.equal(any.reason, 'b-reason');
  assert.equal(nested.aborted, true);
  assert.equal(nested.reason, 'b-reason');
  assert.deepEqual(events, ['any', 'nested']);
  a.abort('a-reason');
  assert.equal(any.reason, 'b-reason');

  const pre = AbortSignal.any([new AbortController().signal, AbortSignal.abort('x')]);
  assert.equal(pre.aborted, true);
  assert.equal(pre.reason, 'x');
  assert.equal(AbortSignal.any([]).aborted, false);
  assert.throws(() => AbortSignal.any([{}]), TypeError);
  assert.throws(() => AbortSignal.any(), TypeError);
});

test('AbortSignal.timeout aborts with a TimeoutError', async () => {
  const s = AbortSignal.timeout(5);
  assert.equal(s.aborted, false);
  let fired = 0;
  s.addEventListener('abort', () => fired++);
  await sleep(30);
  assert.equal(s.aborted, true);
  assert.equal(fired, 1);
  assert.ok(s.reason instanceof DOMException);
  assert.equal(s.reason.name, 'TimeoutError');
  assert.equal(s.reason.code, 23);
  assert.throws(() => AbortSignal.timeout(-1), TypeError);
  assert.throws(() => AbortSignal.timeout(NaN), TypeError);
  assert.throws(() => AbortSignal.timeout(), TypeError);
});

test('AbortSignal.timeout cannot be cleared with clearTimeout', async () => {
  const s = AbortSignal.timeout(5);
  for (let id = 1; id < 10000; id++) clearTimeout(id);
  await sleep(30);
  assert.equal(s.aborted, true);
});

// ---- structuredClone

test('structuredClone', () => {
  const src = { a: 1, b: [1, 2, { c: 'x' }], d: new Date(0), m: new Map([[1, 2]]) };
  src.self = src;
  const out = structuredClone(src);
  assert.ok(out !== src);
  assert.equal(out.a, 1);
  assert.equal(out.b[2].c, 'x');
  assert.equal(out.self, out, 'cycles are kept');
  assert.equal(out.d.getTime(), 0);
  assert.equal(out.m.get(1), 2);
  assert.equal(structuredClone(undefined), undefined);
  assert.equal(structuredClone('s'), 's');
  assert.throws(() => structuredClone(), TypeError);
  assert.throws(() => structuredClone(() => {}), 'DataCloneError');
  assert.throws(() => structuredClone({ s: Symbol('x') }), 'DataCloneError');
  const de = structuredClone(new DOMException('gone', 'NotFoundError'));
  assert.ok(de instanceof DOMException);
  assert.equal(de.name, 'NotFoundError');
  assert.equal(de.message, 'gone');
  assert.equal(de.code, 8);
});

test('structuredClone transfer', () => {
  const buf = new Uint8Array([1, 2, 3]).buffer;
  const out = structuredClone({ buf }, { transfer: [buf] });
  assert.equal(out.buf.byteLength, 3);
  assert.equal(new Uint8Array(out.buf)[2], 3);
  // Detaching needs ArrayBuffer.prototype.transfer (V8 >= 11.4) or a native structuredClone that takes the list.
  if (typeof ArrayBuffer.prototype.transfer === 'function') assert.equal(buf.byteLength, 0, 'source detached');
  if (buf.byteLength === 0) {
    assert.throws(() => structuredClone(1, { transfer: [buf] }), 'DataCloneError', 'already detached');
  }
  const b2 = new ArrayBuffer(2);
  assert.throws(() => structuredClone(1, { transfer: [b2, b2] }), 'DataCloneError');
  assert.equal(b2.byteLength, 2, 'nothing detached on failure');
  assert.throws(() => structuredClone(1, { transfer: [{}] }), 'DataCloneError');
  assert.throws(() => structuredClone(1, { transfer: [new Uint8Array(2)] }), 'DataCloneError', 'views are not');
  assert.throws(() => structuredClone(1, { transfer: 5 }), TypeError);
  assert.equal(structuredClone(7, { transfer: [] }), 7);
  assert.equal(structuredClone(7, {}), 7);
});

// ---- crypto

test('crypto.getRandomValues', () => {
  const a = new Uint8Array(32);
  assert.equal(crypto.getRandomValues(a), a, 'returns its argument');
  assert.ok(a.some((x) => x !== 0), 'filled (32 zero bytes is 2^-256 unlikely)');
  for (const T of [Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    BigInt64Array, BigUint64Array]) {
    const v = new T(4);
    assert.equal(crypto.getRandomValues(v), v, T.name);
  }
  assert.equal(crypto.getRandomValues(new Uint8Array(65536)).length, 65536);
  assert.equal(crypto.getRandomValues(new Uint8Array(0)).length, 0);
  const q = assert.throws(() => crypto.getRandomValues(new Uint8Array(65537)), 'QuotaExceededError');
  assert.ok(q instanceof DOMException);
  assert.throws(() => crypto.getRandomValues(new Float32Array(2)), 'TypeMismatchError');
  assert.throws(() => crypto.getRandomValues(new Float64Array(2)), 'TypeMismatchError');
  assert.throws(() => crypto.getRandomValues(new DataView(new ArrayBuffer(2))), 'TypeMismatchError');
  assert.throws(() => crypto.getRandomValues([1, 2]), TypeError);
  assert.throws(() => crypto.getRandomValues(), TypeError);
  const gv = crypto.getRandomValues;
  assert.throws(() => gv(new Uint8Array(2)), TypeError, 'Illegal invocation');
});

test('crypto.randomUUID and Crypto', () => {
  const re = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const seen = new Set();
  for (let i = 0; i < 50; i++) {
    const u = crypto.randomUUID();
    assert.ok(re.test(u), u);
    seen.add(u);
  }
  assert.equal(seen.size, 50);
  assert.ok(crypto instanceof Crypto);
  assert.throws(() => new Crypto(), TypeError);
  assert.equal(Object.prototype.toString.call(crypto), '[object Crypto]');
  assert.ok('subtle' in crypto);
});

// ---- performance, navigator, reportError

test('performance', () => {
  const t = performance.now();
  assert.equal(typeof t, 'number');
  assert.ok(t >= 0, `${t}`);
  assert.equal(typeof performance.timeOrigin, 'number');
  assert.ok(Math.abs(performance.timeOrigin + performance.now() - Date.now()) < 1000);
  assert.deepEqual(Object.keys(performance.toJSON()), ['timeOrigin']);
  assert.throws(() => new Performance(), TypeError);
  assert.throws(() => Performance.prototype.now.call({}), TypeError);
  assert.equal(Object.prototype.toString.call(performance), '[object Performance]');
});

test('navigator', () => {
  assert.equal(navigator.userAgent, 'islet');
  assert.equal(typeof navigator.hardwareConcurrency, 'number');
  assert.throws(() => new Navigator(), TypeError);
  assert.equal(Object.prototype.toString.call(navigator), '[object Navigator]');
});

test('reportError exists', () => {
  assert.equal(typeof reportError, 'function');
  assert.throws(() => reportError(), TypeError);
});

test('structuredClone/AbortSignal work across ticks', async () => {
  await tick();
  const c = new AbortController();
  queueMicrotask(() => c.abort());
  await tick();
  assert.equal(c.signal.aborted, true);
});
