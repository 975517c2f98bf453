// URLPattern: the WPT urlpattern/ data files, run the way WPT's urlpatterntests.js and
// urlpattern-compare-tests.tentative.js run them, plus behavioural tests. Known failures are listed in
// urlpattern_expectations.json: a listed test that fails counts as passing, a listed test that passes is a failure
// ("unexpected pass"). urlpattern-generate-test-data.json is not run: generate() is not implemented.
'use strict';

const wptTest = withExpectations('urlpattern_expectations.json');
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const show = (s) => JSON.stringify(s);

const COMPONENTS = ['protocol', 'username', 'password', 'hostname', 'port', 'pathname', 'search', 'hash'];

// Which components, when given in a pattern init, make a component a wildcard rather than inherited from baseURL.
const EARLIER_COMPONENTS = {
  protocol: [],
  hostname: ['protocol'],
  port: ['protocol', 'hostname'],
  username: [],
  password: [],
  pathname: ['protocol', 'hostname', 'port'],
  search: ['protocol', 'hostname', 'port', 'pathname'],
  hash: ['protocol', 'hostname', 'port', 'pathname', 'search'],
};

// ---- urlpatterntestdata.json (urlpattern.any.js) ----

// The pattern string WPT expects for `component` when the entry does not list one.
function expectedPatternString(entry, component) {
  const explicit = entry.expected_obj && entry.expected_obj[component];
  if (explicit !== undefined && explicit !== null) return explicit;
  const first = entry.pattern[0];
  let baseURL = null;
  if (entry.pattern.length > 0 && first && first.baseURL) baseURL = new URL(first.baseURL);
  else if (entry.pattern.length > 1 && typeof entry.pattern[1] === 'string') baseURL = new URL(entry.pattern[1]);
  if (entry.exactly_empty_components && entry.exactly_empty_components.includes(component)) return '';
  if (typeof first === 'object' && first[component]) return first[component];
  if (typeof first === 'object' && EARLIER_COMPONENTS[component].some((c) => c in first)) return '*';
  if (baseURL && component !== 'username' && component !== 'password') {
    const v = baseURL[component];
    if (component === 'protocol') return v.slice(0, -1);
    if (component === 'search' || component === 'hash') return v.slice(1);
    return v;
  }
  return '*';
}

{
  const data = loadTestData('conformance/wpt/urlpattern/urlpatterntestdata.json');
  data.forEach((entry, i) => {
    const name = `urlpatterntestdata[${i}] Pattern: ${show(entry.pattern)} Inputs: ${show(entry.inputs)}`;
    wptTest(name, () => {
      if (entry.expected_obj === 'error') {
        assert.throws(() => new URLPattern(...entry.pattern), TypeError, 'URLPattern() constructor');
        return;
      }
      const pattern = new URLPattern(...entry.pattern);
      for (const component of COMPONENTS) {
        assert.equal(pattern[component], expectedPatternString(entry, component),
          `compiled pattern property '${component}'`);
      }
      const inputs = entry.inputs || [];
      if (entry.expected_match === 'error') {
        assert.throws(() => pattern.test(...inputs), TypeError, 'test() result');
        assert.throws(() => pattern.exec(...inputs), TypeError, 'exec() result');
        return;
      }
      assert.equal(pattern.test(...inputs), !!entry.expected_match, 'test() result');
      const result = pattern.exec(...inputs);
      if (!entry.expected_match || typeof entry.expected_match !== 'object') {
        assert.equal(result, entry.expected_match, 'exec() failed match result');
        return;
      }
      const expectedInputs = entry.expected_match.inputs || inputs;
      assert.equal(result.inputs.length, expectedInputs.length, 'exec() result.inputs.length');
      result.inputs.forEach((input, k) => {
        if (typeof input === 'string') {
          assert.equal(input, expectedInputs[k], `exec() result.inputs[${k}]`);
          return;
        }
        for (const component of COMPONENTS) {
          assert.equal(input[component], expectedInputs[k][component], `exec() result.inputs[${k}][${component}]`);
        }
      });
      for (const component of COMPONENTS) {
        let expected = entry.expected_match[component];
        if (!expected) {
          // A default wildcard captures group "0"; an empty pattern captures nothing.
          expected = { input: '', groups: {} };
          if (!entry.exactly_empty_components || !entry.exactly_empty_components.includes(component)) {
            expected.groups['0'] = '';
          }
        }
        const groups = {};
        // JSON has no undefined: null stands for it.
        for (const key of Object.keys(expected.groups)) {
          groups[key] = expected.groups[key] === null ? undefined : expected.groups[key];
        }
        assert.deepEqual(result[component], { input: expected.input, groups }, `exec() result for ${component}`);
      }
    });
  });
}

// ---- urlpattern-compare-test-data.json (urlpattern-compare.tentative.any.js) ----

{
  const data = loadTestData('conformance/wpt/urlpattern/urlpattern-compare-test-data.json');
  data.forEach((entry, i) => {
    const name = `urlpattern-compare-test-data[${i}] Component: ${entry.component} Left: ${show(entry.left)} ` +
      `Right: ${show(entry.right)}`;
    wptTest(name, () => {
      const left = new URLPattern(entry.left);
      const right = new URLPattern(entry.right);
      assert.equal(URLPattern.compareComponent(entry.component, left, right), entry.expected);
      assert.equal(URLPattern.compareComponent(entry.component, right, left), ~~(entry.expected * -1), 'reverse order');
      assert.equal(URLPattern.compareComponent(entry.component, left, left), 0, 'left equality');
      assert.equal(URLPattern.compareComponent(entry.component, right, right), 0, 'right equality');
    });
  });
}

// ---- behaviour ----

test('hasRegExpGroups: true only with a regexp group, in any component', () => {
  assert.equal(new URLPattern({}).hasRegExpGroups, false, 'match everything');
  for (const c of COMPONENTS) {
    assert.equal(new URLPattern({ [c]: '*' }).hasRegExpGroups, false, `${c}: *`);
    assert.equal(new URLPattern({ [c]: ':foo' }).hasRegExpGroups, false, `${c}: :foo`);
    assert.equal(new URLPattern({ [c]: ':foo?' }).hasRegExpGroups, false, `${c}: :foo?`);
    assert.equal(new URLPattern({ [c]: ':foo(hi)' }).hasRegExpGroups, true, `${c}: :foo(hi)`);
    assert.equal(new URLPattern({ [c]: '(hi)' }).hasRegExpGroups, true, `${c}: (hi)`);
    if (c !== 'protocol' && c !== 'port') {
      assert.equal(new URLPattern({ [c]: 'a-{:hello}-z-*-a' }).hasRegExpGroups, false, `${c}: mixed wildcards`);
      assert.equal(new URLPattern({ [c]: 'a-(hi)-z-(lo)-a' }).hasRegExpGroups, true, `${c}: mixed regexps`);
    }
  }
  assert.equal(new URLPattern({ pathname: '/a/:foo/:baz?/b/*' }).hasRegExpGroups, false);
  assert.equal(new URLPattern({ pathname: '/a/:foo/:baz([a-z]+)?/b/*' }).hasRegExpGroups, true);
  // ".*" and the segment wildcard's own regexp are wildcards, not regexp groups.
  assert.equal(new URLPattern({ pathname: '/(.*)' }).hasRegExpGroups, false);
  assert.equal(new URLPattern({ pathname: '/([^\\/]+?)' }).hasRegExpGroups, false);
});

test('the spec examples: a shorthand string and what it matches', () => {
  const p = new URLPattern('https://example.com/:category/*');
  assert.deepEqual(COMPONENTS.map((c) => p[c]), ['https', '*', '*', 'example.com', '', '/:category/*', '*', '*']);
  assert.ok(p.test('https://example.com/products/'));
  assert.ok(p.test('https://example.com/blog/our-greatest-product-ever'));
  assert.ok(!p.test('https://example.com/'));
  assert.ok(!p.test('http://example.com/products/'));
  assert.ok(!p.test('https://example.com:8443/blog/our-greatest-product-ever'));
  const q = new URLPattern('http{s}?://{:subdomain.}?shop.example/products/:id([0-9]+)#reviews');
  assert.equal(q.hostname, '{:subdomain.}?shop.example');
  assert.equal(q.search, '');
  const m = q.exec('https://kathryn@voyager.shop.example/products/74656#reviews');
  assert.equal(m.hostname.groups.subdomain, 'voyager');
  assert.equal(m.pathname.groups.id, '74656');
  assert.ok(!q.test('https://nx.shop.example/products/01?speed=5#reviews'));
  assert.ok(!q.test('https://shop.example/products/chair#reviews'));
  const r = new URLPattern('../admin/*', 'https://discussion.example/forum/?page=2');
  assert.equal(r.pathname, '/admin/*');
  assert.ok(r.test('https://edd:librarian@discussion.example/admin/update?id=1'));
  assert.ok(!r.test('https://discussion.example/forum/admin/'));
});

test('exec: groups, unmatched optional groups are undefined, inputs are reported', () => {
  const p = new URLPattern({ pathname: '/books/:id/:rest?' });
  const m = p.exec({ pathname: '/books/12' });
  assert.deepEqual(Object.keys(m.pathname.groups), ['id', 'rest']);
  assert.equal(m.pathname.groups.id, '12');
  assert.equal(m.pathname.groups.rest, undefined);
  assert.ok(hasOwn(m.pathname.groups, 'rest'));
  assert.deepEqual(m.inputs, [{ pathname: '/books/12' }]);
  const s = p.exec('/books/7', 'https://example.com');
  assert.deepEqual(s.inputs, ['/books/7', 'https://example.com']);
  assert.equal(p.exec('/nothing', 'https://example.com'), null);
  assert.equal(p.exec('not a url'), null, 'an unparsable string does not match');
  assert.equal(p.test({ pathname: '/books/1', baseURL: 'not a url' }), false, 'an unparsable base does not match');
  assert.throws(() => p.exec({ pathname: '/books/1' }, 'https://example.com'), TypeError);
});

test('group names cannot reach Object.prototype, and a replaced RegExp.prototype.exec is not used', () => {
  const p = new URLPattern({ pathname: '/:__proto__/:constructor' });
  const m = p.exec({ pathname: '/a/b' });
  assert.ok(hasOwn(m.pathname.groups, '__proto__'));
  assert.equal(Object.getOwnPropertyDescriptor(m.pathname.groups, '__proto__').value, 'a');
  assert.equal(Object.getPrototypeOf(m.pathname.groups), Object.prototype);
  const saved = RegExp.prototype.exec;
  RegExp.prototype.exec = () => null;
  try {
    assert.ok(p.test({ pathname: '/x/y' }));
  } finally {
    RegExp.prototype.exec = saved;
  }
  let seen = false;
  Object.defineProperty(Object.prototype, 'id', { set() { seen = true; }, configurable: true });
  try {
    assert.equal(new URLPattern({ pathname: '/:id' }).exec({ pathname: '/1' }).pathname.groups.id, '1');
  } finally {
    delete Object.prototype.id;
  }
  assert.equal(seen, false);
});

test('ignoreCase applies to pathname, search and hash', () => {
  const p = new URLPattern({ hostname: 'example.com', pathname: '/Foo', search: 'Q', hash: 'H' }, { ignoreCase: true });
  assert.ok(p.test('https://example.com/fOO?q#h'));
  assert.ok(!new URLPattern({ pathname: '/Foo' }).test({ pathname: '/foo' }));
  assert.ok(new URLPattern('https://example.com/Foo', { ignoreCase: true }).test('https://EXAMPLE.com/FOO'));
});

test('constructor errors are TypeErrors; argument conversion follows WebIDL', () => {
  assert.throws(() => new URLPattern('/relative'), TypeError, 'relative without base');
  assert.throws(() => new URLPattern({ pathname: '/x' }, 'https://example.com'), TypeError, 'init with base');
  assert.throws(() => new URLPattern({ pathname: '/:a/:a' }), TypeError, 'duplicate name');
  assert.throws(() => new URLPattern({ pathname: '/(' }), TypeError, 'unterminated regexp');
  assert.throws(() => new URLPattern({ pathname: '/((a))' }), TypeError, 'capturing group in regexp');
  assert.throws(() => new URLPattern({ pathname: '/(a' + 'b)(' }), TypeError);
  assert.throws(() => new URLPattern({ pathname: '/([)' }), TypeError, 'invalid regexp');
  assert.throws(() => new URLPattern({ pathname: '/{a' }), TypeError, 'unclosed group');
  assert.throws(() => new URLPattern({ pathname: '/:' }), TypeError, 'empty name');
  assert.throws(() => new URLPattern({ pathname: '/\\' }), TypeError, 'trailing backslash');
  assert.throws(() => new URLPattern({ pathname: 'x' }, 'y', 'not options'), TypeError);
  assert.throws(() => new URLPattern(Symbol('x')), TypeError);
  assert.throws(() => URLPattern({}), TypeError, 'needs new');
  assert.throws(() => new URLPattern({ hostname: 'a b' }), TypeError);
  // Two arguments: a string second argument is the base URL, an object the options.
  assert.equal(new URLPattern('/a', 'https://example.com').hostname, 'example.com');
  assert.equal(new URLPattern({ pathname: '/a' }, undefined).pathname, '/a');
  assert.equal(new URLPattern({ pathname: '/a' }, null).pathname, '/a');
  assert.equal(new URLPattern(undefined).pathname, '*');
  assert.equal(new URLPattern().protocol, '*');
  const getters = [];
  new URLPattern({ get pathname() { getters.push('pathname'); return '/p'; }, get hash() { getters.push('hash'); } });
  assert.deepEqual(getters, ['hash', 'pathname'], 'dictionary members are read in lexicographic order');
});

test('WebIDL shape: lengths, enumerable members, toStringTag, brand checks', () => {
  assert.equal(URLPattern.length, 0);
  assert.equal(URLPattern.prototype.test.length, 0);
  assert.equal(URLPattern.prototype.exec.length, 0);
  assert.equal(URLPattern.compareComponent.length, 3);
  const d = Object.getOwnPropertyDescriptor(URLPattern.prototype, 'pathname');
  assert.ok(d.enumerable && d.configurable && typeof d.get === 'function' && d.set === undefined);
  assert.ok(Object.getOwnPropertyDescriptor(URLPattern.prototype, 'exec').enumerable);
  assert.ok(Object.getOwnPropertyDescriptor(URLPattern, 'compareComponent').enumerable);
  assert.equal(Object.prototype.toString.call(new URLPattern({})), '[object URLPattern]');
  assert.throws(() => d.get.call({}), TypeError);
  assert.throws(() => URLPattern.prototype.test.call({}, {}), TypeError);
  assert.throws(() => URLPattern.compareComponent('pathname', {}, new URLPattern({})), TypeError);
  assert.throws(() => URLPattern.compareComponent('nope', new URLPattern({}), new URLPattern({})), TypeError);
  const g = Object.getOwnPropertyDescriptor(globalThis, 'URLPattern');
  assert.deepEqual([g.writable, g.enumerable, g.configurable], [true, false, true]);
  class My extends URLPattern {}
  assert.ok(new My({ pathname: '/a' }).test({ pathname: '/a' }));
  assert.deepEqual(Reflect.ownKeys(new URLPattern({})), []);
});

test('canonicalization: pattern text goes through the URL parser', () => {
  assert.equal(new URLPattern({ pathname: '/caf\u00e9/:x' }).pathname, '/caf%C3%A9/:x');
  assert.equal(new URLPattern({ pathname: '/a/../b' }).pathname, '/b');
  assert.equal(new URLPattern({ hostname: 'B\u00fccher.example' }).hostname, 'xn--bcher-kva.example');
  assert.equal(new URLPattern({ protocol: 'HTTP' }).protocol, 'http');
  assert.equal(new URLPattern({ protocol: 'https', port: '443' }).port, '');
  assert.equal(new URLPattern({ username: 'a b' }).username, 'a%20b');
  assert.equal(new URLPattern({ search: 'q=a b' }).search, 'q=a%20b');
  assert.equal(new URLPattern({ hash: 'a`b' }).hash, 'a%60b');
  assert.equal(new URLPattern('data\\:text/plain,:x').pathname, 'text/plain,:x');
  // A regexp group's own named groups are not reported, and do not shift the groups after them.
  const m = new URLPattern({ pathname: '/:a((?<inner>x)y)/:b' }).exec({ pathname: '/xy/z' });
  assert.deepEqual(m.pathname.groups, { a: 'xy', b: 'z' });
  assert.ok(new URLPattern({ pathname: '/caf\u00e9' }).test('https://a/caf\u00e9'));
});

// ---- expectations bookkeeping ----

