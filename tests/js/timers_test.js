// setTimeout, setInterval, clearTimeout, clearInterval, queueMicrotask.
'use strict';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('timeouts fire in order of their delay', async () => {
  const order = [];
  setTimeout(() => order.push('c'), 30);
  setTimeout(() => order.push('a'), 0);
  setTimeout(() => order.push('b'), 10);
  await sleep(60);
  assert.deepEqual(order, ['a', 'b', 'c']);
});

test('equal delays fire in the order they were set', async () => {
  const order = [];
  for (let i = 0; i < 5; i++) setTimeout(() => order.push(i), 0);
  await sleep(20);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
});

test('ids are distinct positive integers', () => {
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(setTimeout(() => {}, 1000));
  ids.push(setInterval(() => {}, 1000));
  for (const id of ids) {
    assert.equal(typeof id, 'number');
    assert.ok(Number.isInteger(id) && id > 0, `${id}`);
    clearTimeout(id);
  }
  assert.equal(new Set(ids).size, ids.length);
});

test('clearTimeout cancels; junk ids are ignored', async () => {
  let fired = false;
  const id = setTimeout(() => { fired = true; }, 5);
  clearTimeout(id);
  clearTimeout(id); // twice is fine
  clearTimeout();
  clearTimeout(undefined);
  clearTimeout(null);
  clearTimeout('abc');
  clearTimeout({});
  clearTimeout(-1);
  clearTimeout(1.5);
  await sleep(20);
  assert.equal(fired, false);
});

test('clearTimeout and clearInterval are interchangeable', async () => {
  let n = 0;
  const t = setTimeout(() => n++, 5);
  clearInterval(t);
  const i = setInterval(() => n++, 5);
  clearTimeout(i);
  await sleep(25);
  assert.equal(n, 0);
});

test('extra arguments reach the callback; this is the global', async () => {
  let got;
  let self;
  setTimeout(function (...args) { got = args; self = this; }, 0, 1, 'two', { three: 3 });
  await sleep(10);
  assert.deepEqual(got, [1, 'two', { three: 3 }]);
  assert.equal(self, globalThis);
});

test('delay coercion', async () => {
  const order = [];
  setTimeout(() => order.push('nan'), NaN);
  setTimeout(() => order.push('neg'), -100);
  setTimeout(() => order.push('str'), '5');
  setTimeout(() => order.push('undef'));
  setTimeout(() => order.push('obj'), { valueOf: () => 1 });
  await sleep(40);
  assert.deepEqual(order.slice().sort(), ['nan', 'neg', 'obj', 'str', 'undef']);
  assert.throws(() => setTimeout(() => {}, Symbol('x')), TypeError);
});

test('setInterval repeats until cleared', async () => {
  let n = 0;
  const args = [];
  const id = setInterval((x) => {
    n++;
    args.push(x);
    if (n === 3) clearInterval(id);
  }, 2, 'arg');
  await sleep(80);
  assert.equal(n, 3);
  assert.deepEqual(args, ['arg', 'arg', 'arg']);
});

test('a timeout can set and clear other timers', async () => {
  const order = [];
  let second;
  setTimeout(() => {
    order.push('first');
    clearTimeout(second);
    setTimeout(() => order.push('nested'), 0);
  }, 0);
  second = setTimeout(() => order.push('second'), 5);
  await sleep(30);
  assert.deepEqual(order, ['first', 'nested']);
});

test('non-function handlers are a TypeError', () => {
  assert.throws(() => setTimeout('order.push(1)', 0), TypeError);
  assert.throws(() => setTimeout(), TypeError);
  assert.throws(() => setInterval({}, 0), TypeError);
  assert.throws(() => setInterval(null), TypeError);
});

test('queueMicrotask runs before timers, in FIFO order with promise jobs', async () => {
  const order = [];
  setTimeout(() => order.push('timeout'), 0);
  queueMicrotask(() => order.push('micro1'));
  Promise.resolve().then(() => order.push('promise'));
  queueMicrotask(() => {
    order.push('micro2');
    queueMicrotask(() => order.push('micro3'));
  });
  order.push('sync');
  await sleep(10);
  assert.deepEqual(order, ['sync', 'micro1', 'promise', 'micro2', 'micro3', 'timeout']);
});

test('queueMicrotask argument checks', () => {
  assert.throws(() => queueMicrotask(), TypeError);
  assert.throws(() => queueMicrotask('x'), TypeError);
  assert.throws(() => queueMicrotask({}), TypeError);
  assert.equal(queueMicrotask(() => {}), undefined);
});

test('queueMicrotask ignores a replaced Promise.prototype.then', async () => {
  const then = Promise.prototype.then;
  let hijacked = false;
  let ran = false;
  Promise.prototype.then = function (...a) { hijacked = true; return Reflect.apply(then, this, a); };
  try {
    queueMicrotask(() => { ran = true; });
  } finally {
    Promise.prototype.then = then;
  }
  await sleep(0);
  assert.equal(ran, true);
  assert.equal(hijacked, false);
});

test('errors in callbacks are reported (when a reporter is present)', async () => {
  const internal = globalThis.__internal;
  if (!internal) return; // only in islet's test harness
  const reported = [];
  const saved = internal.reportError;
  internal.reportError = (e) => reported.push(e && e.message);
  try {
    let after = false;
    queueMicrotask(() => { throw new Error('micro'); });
    setTimeout(() => { throw new Error('timer'); }, 0);
    setTimeout(() => { after = true; }, 0);
    await sleep(20);
    assert.deepEqual(reported, ['micro', 'timer']);
    assert.equal(after, true);
  } finally {
    internal.reportError = saved;
  }
});

test('timer globals are WebIDL-like', () => {
  for (const name of ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'queueMicrotask']) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    assert.ok(d && typeof d.value === 'function' && d.writable && d.configurable && !d.enumerable, name);
  }
});
