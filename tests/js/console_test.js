// console: the methods never throw, whatever they are given; the formatting (internal.inspect and
// internal.formatLog) is checked where the harness exposes `internal` as globalThis.__internal.
'use strict';

const internal = globalThis.__internal;
const formatting = (name, fn) => test(name, () => { if (internal && internal.inspect) fn(internal); });

const weird = () => {
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  const circular = { name: 'c' };
  circular.self = circular;
  return [
    undefined, null, 0, -0, NaN, 1n, 'str', Symbol('s'), true,
    { get boom() { throw new Error('getter'); } },
    { toString() { throw new Error('toString'); }, valueOf() { throw new Error('valueOf'); } },
    Object.create(null),
    new Proxy({}, {
      get() { throw new Error('get'); },
      ownKeys() { throw new Error('ownKeys'); },
      getOwnPropertyDescriptor() { throw new Error('gopd'); },
      getPrototypeOf() { throw new Error('getPrototypeOf'); },
      has() { throw new Error('has'); },
    }),
    new Proxy(function () {}, { get() { throw new Error('get'); } }),
    revocable.proxy,
    Object.defineProperty({}, Symbol.toStringTag, { get() { throw new Error('tag'); } }),
    Object.defineProperty(new Error('e'), 'stack', { get() { throw new Error('stack'); } }),
    Object.defineProperty({}, 'constructor', { get() { throw new Error('ctor'); } }),
    circular, [circular, [circular]], new Map([[circular, circular]]), new Set([circular]),
    new Uint8Array(30), new ArrayBuffer(8), new DataView(new ArrayBuffer(4)), new Date(NaN), /re/g,
    () => {}, class A {}, async function* ag() {}, Promise.resolve(1), new WeakMap(), new WeakSet(),
    new DOMException('d', 'AbortError'), new TypeError('t', { cause: 'c' }),
    Array(1e6), { length: -1 }, Object.assign([], { '-1': 1 }),
  ];
};

test('console is a namespace object', () => {
  assert.equal(typeof console, 'object');
  assert.equal(Object.prototype.toString.call(console), '[object console]');
  for (const name of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'assert', 'dir', 'dirxml', 'table', 'time',
    'timeEnd', 'timeLog', 'count', 'countReset', 'group', 'groupCollapsed', 'groupEnd', 'clear']) {
    assert.equal(typeof console[name], 'function', name);
  }
  const d = Object.getOwnPropertyDescriptor(globalThis, 'console');
  assert.ok(d && d.writable && d.configurable && !d.enumerable);
});

test('console methods never throw on weird values', () => {
  const values = weird();
  // Every method with a few of them (kept small: in islet this output goes to the log)...
  const few = [values[9], values[10], values[12], values[14], values[16], values[18]];
  for (const v of few) {
    console.log('%s %d %i %f %j %o %O %c', v, v, v, v, v, v, v, v);
    console.info(v);
    console.warn(v);
    console.error(v);
    console.debug(v);
    console.dir(v, { depth: null });
    console.dirxml(v);
    console.table(v);
    console.table([v]);
    console.assert(false, v);
  }
  // ...and all of them through one call.
  console.log(...values);
  console.table(values.slice(0, 20));
  if (internal && internal.formatLog) {
    for (const v of values) {
      for (const spec of ['%s', '%d', '%i', '%f', '%j', '%o', '%O', '%c']) {
        assert.equal(typeof internal.formatLog([spec, v]), 'string', spec);
      }
      assert.equal(typeof internal.inspect(v, { depth: null }), 'string');
    }
  }
});

test('console methods work unbound and tolerate odd labels', () => {
  const { log, count, countReset, time, timeLog, timeEnd, group, groupEnd, trace, assert: cassert } = console;
  log('unbound');
  count();
  count();
  count('x');
  countReset();
  countReset('never');
  count({ toString() { throw new Error('label'); } });
  time();
  time(); // already exists: a warning, not an exception
  timeLog(undefined, 'extra', { a: 1 });
  timeEnd();
  timeEnd(); // no such label: a warning
  timeLog('nothing');
  group('g', 1);
  group();
  log('nested');
  groupEnd();
  groupEnd();
  groupEnd(); // one too many
  trace('here', { a: 1 });
  cassert(true, 'not printed');
  cassert();
  console.clear();
  console.groupCollapsed('collapsed');
  console.groupEnd();
});

// ---- formatting (needs __internal)

formatting('inspect primitives', ({ inspect }) => {
  assert.equal(inspect(undefined), 'undefined');
  assert.equal(inspect(null), 'null');
  assert.equal(inspect(-0), '-0');
  assert.equal(inspect(1.5), '1.5');
  assert.equal(inspect(10n), '10n');
  assert.equal(inspect(true), 'true');
  assert.equal(inspect('it'), "'it'");
  assert.equal(inspect("it's"), `"it's"`);
  assert.equal(inspect('a\nb\\'), "'a\\nb\\\\'");
  assert.equal(inspect(Symbol('s')), 'Symbol(s)');
});

formatting('inspect objects and arrays', ({ inspect }) => {
  assert.equal(inspect({}), '{}');
  assert.equal(inspect({ a: 1, 'b-c': 'x', [Symbol('k')]: 2 }), "{ a: 1, 'b-c': 'x', [Symbol(k)]: 2 }");
  assert.equal(inspect([]), '[]');
  assert.equal(inspect([1, 'a', [2]]), "[ 1, 'a', [ 2 ] ]");
  assert.equal(inspect([1, , 3]), '[ 1, <1 empty item>, 3 ]');
  assert.equal(inspect(Object.assign([1], { x: 2 })), '[ 1, x: 2 ]');
  assert.equal(inspect({ a: { b: { c: { d: 1 } } } }), '{ a: { b: { c: [Object] } } }', 'depth limit 2');
  assert.equal(inspect([[[[1]]]]), '[ [ [ [Array] ] ] ]');
  assert.equal(inspect({ a: { b: { c: { d: 1 } } } }, { depth: 5 }), '{\n  a: { b: { c: { d: 1 } } }\n}');
  assert.equal(inspect(Object.create(null)), '[Object: null prototype] {}');
  assert.equal(inspect({ get a() { return 1; }, set b(v) {} }), '{ a: [Getter], b: [Setter] }');
  const long = inspect(Array.from({ length: 150 }, (_, i) => i));
  assert.ok(long.includes('... 50 more items'), long);
  assert.ok(long.includes('99') && !long.includes('100'), 'cut at 100 items');
  assert.ok(long.split('\n').length < 20, 'short items are grouped in columns');
  const wide = inspect({ aaaaaaaaaaaaaaaa: 'x'.repeat(30), bbbbbbbbbbbbbbbbbbb: 'y'.repeat(30) });
  assert.equal(wide, `{\n  aaaaaaaaaaaaaaaa: '${'x'.repeat(30)}',\n  bbbbbbbbbbbbbbbbbbb: '${'y'.repeat(30)}'\n}`);
});

formatting('inspect circular structures', ({ inspect }) => {
  const o = { a: 1 };
  o.self = o;
  o.list = [o];
  assert.equal(inspect(o), '{ a: 1, self: [Circular], list: [ [Circular] ] }');
  const shared = { s: 1 };
  assert.equal(inspect([shared, shared]), '[ { s: 1 }, { s: 1 } ]', 'a repeated value is not circular');
});

formatting('inspect builtins', ({ inspect }) => {
  assert.equal(inspect(new Map([['a', 1], [{ x: 1 }, [2]]])), "Map(2) { 'a' => 1, { x: 1 } => [ 2 ] }");
  assert.equal(inspect(new Set([1, 'a'])), "Set(2) { 1, 'a' }");
  assert.equal(inspect(new Map()), 'Map(0) {}');
  assert.equal(inspect(new Uint8Array([1, 2, 3])), 'Uint8Array(3) [ 1, 2, 3 ]');
  assert.equal(inspect(new BigInt64Array(1)), 'BigInt64Array(1) [ 0n ]');
  assert.equal(inspect(new ArrayBuffer(2)), 'ArrayBuffer { [Uint8Contents]: <00 00>, byteLength: 2 }');
  assert.equal(inspect(new Date(0)), '1970-01-01T00:00:00.000Z');
  assert.equal(inspect(new Date(NaN)), 'Invalid Date');
  assert.equal(inspect(/a+b/gi), '/a+b/gi');
  assert.equal(inspect(new Number(3)), '[Number: 3]');
  assert.equal(inspect(new String('ab')), "[String: 'ab']");
  assert.equal(inspect(new WeakMap()), 'WeakMap { <items unknown> }');
});

formatting('inspect functions and classes', ({ inspect }) => {
  function named() {}
  assert.equal(inspect(named), '[Function: named]');
  assert.equal(inspect(() => {}), '[Function (anonymous)]');
  assert.equal(inspect(async function af() {}), '[AsyncFunction: af]');
  assert.equal(inspect(function* gf() {}), '[GeneratorFunction: gf]');
  class Base {}
  class Derived extends Base {}
  assert.equal(inspect(Base), '[class Base]');
  assert.equal(inspect(Derived), '[class Derived extends Base]');
  assert.equal(inspect(Object.assign(function f() {}, { a: 1 })), '[Function: f] { a: 1 }');
  class Point { constructor() { this.x = 1; this.y = 2; } }
  assert.equal(inspect(new Point()), 'Point { x: 1, y: 2 }');
  assert.equal(inspect(new (class Empty {})()), 'Empty {}');
  assert.equal(inspect(new EventTarget()), 'EventTarget {}');
  assert.equal(inspect({ [Symbol.toStringTag]: 'T' }), "{ [Symbol(Symbol.toStringTag)]: 'T' }");
  class Tagged { get [Symbol.toStringTag]() { return 'Tag'; } }
  assert.equal(inspect(new Tagged()), 'Tagged [Tag] {}');
});

formatting('inspect errors', ({ inspect }) => {
  const e = new Error('boom');
  const s = inspect(e);
  assert.ok(s.startsWith('Error: boom\n'), s);
  assert.ok(/\n {4}at /.test(s), 'has the stack');
  const nested = inspect({ e });
  assert.ok(nested.includes('\n      at '), 'nested stacks are indented');
  const noStack = new TypeError('plain');
  noStack.stack = undefined;
  assert.equal(inspect(noStack), '[TypeError: plain]');
  const withCause = inspect(new Error('outer', { cause: 'inner' }));
  assert.ok(withCause.includes("[cause]: 'inner'"), withCause);
  const d = inspect(new DOMException('gone', 'AbortError'));
  assert.ok(d.startsWith('AbortError: gone'), d);
  const extra = Object.assign(new Error('x'), { code: 'E_X' });
  assert.ok(inspect(extra).includes("code: 'E_X'"));
});

formatting('inspect never throws', ({ inspect }) => {
  for (const v of weird()) assert.equal(typeof inspect(v), 'string');
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  assert.ok(inspect(revocable.proxy).startsWith('['), 'a revoked proxy gets a fallback');
  assert.equal(inspect({ get boom() { throw new Error('no'); } }), '{ boom: [Getter] }', 'getters are not called');
});

formatting('formatLog substitutions', ({ formatLog }) => {
  assert.equal(formatLog([]), '');
  assert.equal(formatLog(['plain']), 'plain');
  assert.equal(formatLog(['%s', 'raw']), 'raw');
  assert.equal(formatLog(['a', 'b', 1]), 'a b 1', 'strings raw at top level');
  assert.equal(formatLog(['%s=%d', 'x', 42]), 'x=42');
  assert.equal(formatLog(['%d %i %f', '42.5', 42.9, '1.25x']), '42.5 42 1.25');
  assert.equal(formatLog(['%d', {}]), 'NaN');
  assert.equal(formatLog(['%d %i', 5n, 6n]), '5n 6n');
  assert.equal(formatLog(['%j', { a: [1] }]), '{"a":[1]}');
  const c = {};
  c.c = c;
  assert.equal(formatLog(['%j', c]), '[Circular]');
  assert.equal(formatLog(['%o', { a: 1 }]), '{ a: 1 }');
  assert.equal(formatLog(['%O', { a: { b: 1 } }]), '{ a: { b: 1 } }');
  assert.equal(formatLog(['%cstyled', 'color: red']), 'styled');
  assert.equal(formatLog(['100%% %s', 'done']), '100% done');
  assert.equal(formatLog(['%s %s', 'one']), 'one %s', 'missing arguments leave the specifier');
  assert.equal(formatLog(['%x %s', 'a']), '%x a', 'unknown specifiers stay');
  assert.equal(formatLog(['%s', 'a', 'extra', { b: 1 }]), "a extra { b: 1 }");
  assert.equal(formatLog([{ a: 1 }, '%s', 'x']), '{ a: 1 } %s x', 'only a leading string is a format');
  assert.equal(formatLog(['%s', { toString() { return 'custom'; } }]), 'custom');
  assert.equal(formatLog(['%s', { toString() { throw new Error('t'); } }]).length > 0, true);
  assert.equal(formatLog(['%s', Symbol('q')]), 'Symbol(q)');
  assert.equal(formatLog(['%s', -0]), '-0');
  assert.equal(formatLog([-0, null, undefined]), '-0 null undefined');
});
