// UTS #46 ToASCII through the URL parser: WPT's IdnaTestV2.window.js over IdnaTestV2.json and
// IdnaTestV2-removed.json. Each case parses `https://<input>/x`. Known failures are in idna_expectations.json
// (same rules as url_test.js: a listed test must fail; if it passes, that is reported as an unexpected pass).
'use strict';

function loadExpectations(file) {
  if (typeof globalThis.loadTestExpectations === 'function') return { data: globalThis.loadTestExpectations(file) };
  const tried = [];
  for (const rel of [`../main/tests/js/${file}`, `../tests/js/${file}`]) {
    try {
      return { data: loadTestData(rel) };
    } catch (e) {
      tried.push(`${rel}: ${e && e.message}`);
    }
  }
  return { data: {}, error: `could not load ${file} (${tried.join('; ')})` };
}

const expectationsFile = loadExpectations('idna_expectations.json');
const expectations = expectationsFile.data;
const usedExpectations = new Set();
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

function wptTest(name, fn) {
  if (!hasOwn(expectations, name)) return test(name, fn);
  usedExpectations.add(name);
  test(name, () => {
    let failed = false;
    try {
      fn();
    } catch {
      failed = true;
    }
    if (!failed) {
      throw new Error(`unexpected pass: remove it from the expectations (listed as: ${expectations[name]})`);
    }
  });
}

for (const file of ['IdnaTestV2', 'IdnaTestV2-removed']) {
  const data = loadTestData(`conformance/wpt/url/${file}.json`);
  data.forEach((t, i) => {
    if (typeof t === 'string') return;
    if (t.input === '') return;   // cannot be tested through new URL()
    wptTest(`${file}[${i}] ToASCII(${JSON.stringify(t.input)})${t.comment ? ' ' + t.comment : ''}`, () => {
      if (t.output === null) {
        assert.throws(() => new URL(`https://${t.input}/x`), TypeError);
      } else {
        const url = new URL(`https://${t.input}/x`);
        assert.equal(url.host, t.output, 'host');
        assert.equal(url.hostname, t.output, 'hostname');
        assert.equal(url.pathname, '/x', 'pathname');
        assert.equal(url.href, `https://${t.output}/x`, 'href');
      }
    });
  });
}

test('idna_expectations.json is loaded and lists only existing tests', () => {
  if (expectationsFile.error) throw new Error(expectationsFile.error);
  const stale = Object.keys(expectations).filter((k) => !usedExpectations.has(k));
  if (stale.length) throw new Error(`stale expectations (no such test): ${stale.map((s) => JSON.stringify(s)).join(', ')}`);
});
