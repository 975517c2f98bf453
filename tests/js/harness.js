// The JS test harness: defines test(), assert, and run(). Runs inside islet (`islet test FILE`) and, for
// developing an API family without a build, under tests/js/node_runner.js. Pure ECMAScript only.
(function (g) {
  'use strict';
  const tests = [];
  g.test = (name, fn) => tests.push({ name, fn });

  class AssertionError extends Error {}
  const show = (v) => {
    try { return typeof v === 'string' ? JSON.stringify(v) : String(v); } catch { return '<unprintable>'; }
  };
  const same = (a, b) => Object.is(a, b);
  const deepEqual = (a, b) => {
    if (same(a, b)) return true;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    const ka = Object.keys(a), kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual(a[k], b[k]));
  };
  const fail = (msg, extra) => { throw new AssertionError(extra ? `${extra}: ${msg}` : msg); };
  const assert = (cond, msg) => { if (!cond) fail('expected a truthy value', msg); };
  assert.ok = assert;
  assert.equal = (actual, expected, msg) => {
    if (!same(actual, expected)) fail(`got ${show(actual)}, expected ${show(expected)}`, msg);
  };
  assert.notEqual = (actual, expected, msg) => {
    if (same(actual, expected)) fail(`got ${show(actual)}, expected something else`, msg);
  };
  assert.deepEqual = (actual, expected, msg) => {
    if (!deepEqual(actual, expected)) {
      fail(`got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`, msg);
    }
  };
  const checkError = (e, type, msg) => {
    if (type === undefined) return;
    if (typeof type === 'string') {
      if (!e || e.name !== type) fail(`threw ${e && e.name}: ${e && e.message}, expected ${type}`, msg);
    } else if (!(e instanceof type)) {
      fail(`threw ${e && e.name}: ${e && e.message}, expected ${type.name}`, msg);
    }
  };
  // type: an Error constructor, or an error name such as 'DataCloneError'.
  assert.throws = (fn, type, msg) => {
    try { fn(); } catch (e) { checkError(e, type, msg); return e; }
    fail('did not throw', msg);
  };
  assert.rejects = async (promiseOrFn, type, msg) => {
    try { await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn); } catch (e) {
      checkError(e, type, msg);
      return e;
    }
    fail('did not reject', msg);
  };
  g.assert = assert;

  // Known failures: `file`, beside the test, maps test names to the reason they fail. Returns a test() for
  // which a listed test must fail (passing is an "unexpected pass" failure), and registers a check that the
  // file loaded and lists only tests that exist.
  g.withExpectations = (file) => {
    let expectations = {};
    let error = null;
    try {
      expectations = g.loadTestExpectations(file);
    } catch (e) {
      error = `could not load ${file}: ${e && e.message}`;
    }
    const used = new Set();
    const listed = (name) => Object.prototype.hasOwnProperty.call(expectations, name);
    g.test(`${file} is loaded and lists only existing tests`, () => {
      if (error) throw new AssertionError(error);
      const stale = Object.keys(expectations).filter((k) => !used.has(k));
      if (stale.length) {
        throw new AssertionError(`stale expectations (no such test): ${stale.map((k) => JSON.stringify(k)).join(', ')}`);
      }
    });
    return (name, fn) => {
      if (!listed(name)) return g.test(name, fn);
      used.add(name);
      g.test(name, async () => {
        let failed = false;
        try {
          await fn();
        } catch {
          failed = true;
        }
        if (!failed) throw new AssertionError(`unexpected pass: remove it from ${file} (listed as: ${expectations[name]})`);
      });
    };
  };

  // Runs every registered test in order; `print` writes one line. Resolves to the number failed.
  g.__runTests = async (print) => {
    let passed = 0, failed = 0;
    for (const t of tests) {
      try {
        await t.fn();
        passed++;
      } catch (e) {
        failed++;
        print(`FAIL ${t.name}: ${e && e.stack ? e.stack : e}`);
      }
    }
    print(`${passed} passed, ${failed} failed`);
    return failed;
  };
})(globalThis);
