// UTS #46 ToASCII through the URL parser: WPT's IdnaTestV2.window.js over IdnaTestV2.json and
// IdnaTestV2-removed.json. Each case parses `https://<input>/x`. Known failures are in idna_expectations.json
// (same rules as url_test.js: a listed test must fail; if it passes, that is reported as an unexpected pass).
'use strict';

const wptTest = withExpectations('idna_expectations.json');

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

