// URL and URLSearchParams: the WPT url/ data files (run the way WPT's own *.any.js / *.window.js tests run them),
// plus behavioural tests. Known failures are listed in url_expectations.json: a listed test that fails counts as
// passing, a listed test that passes is a failure ("unexpected pass").
'use strict';

const wptTest = withExpectations('url_expectations.json');
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

const show = (s) => JSON.stringify(s);
const ATTRS = ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'];

// ---- urltestdata.json, urltestdata-javascript-only.json (url-constructor, url-origin, url-statics-*) ----

function runURLTests(file) {
  const data = loadTestData(`conformance/wpt/url/${file}.json`);
  data.forEach((t, i) => {
    if (typeof t === 'string') return;
    const base = t.base !== null && t.base !== undefined ? t.base : undefined;
    const name = `${file}[${i}] ${show(t.input)} ${base === undefined ? 'without base' : 'against ' + show(base)}`;
    wptTest(name, () => {
      if (t.failure) {
        assert.throws(() => new URL(t.input, base), TypeError, 'constructor');
        assert.equal(URL.canParse(t.input, base), false, 'URL.canParse');
        assert.equal(URL.parse(t.input, base), null, 'URL.parse');
        if (base === undefined) assert.throws(() => new URL('about:blank', t.input), TypeError, 'as a base');
        return;
      }
      const url = new URL(t.input, base);
      for (const attr of ATTRS) assert.equal(url[attr], t[attr], attr);
      if ('origin' in t) assert.equal(url.origin, t.origin, 'origin');
      if ('searchParams' in t) assert.equal(url.searchParams.toString(), t.searchParams, 'searchParams');
      assert.equal(URL.canParse(t.input, base), true, 'URL.canParse');
      const parsed = URL.parse(t.input, base);
      assert.ok(parsed instanceof URL, 'URL.parse returns a URL');
      assert.equal(parsed.href, t.href, 'URL.parse href');
      // The href round-trips.
      assert.equal(new URL(url.href).href, t.href, 'href reparsed');
    });
  });
}
runURLTests('urltestdata');
runURLTests('urltestdata-javascript-only');

// ---- setters_tests.json (url-setters.any.js) ----

{
  const data = loadTestData('conformance/wpt/url/setters_tests.json');
  for (const attr of Object.keys(data)) {
    if (attr === 'comment') continue;
    data[attr].forEach((t, i) => {
      const name = `setters.${attr}[${i}] <${t.href}>.${attr} = ${show(t.new_value)}`;
      wptTest(name, () => {
        const url = new URL(t.href);
        url[attr] = t.new_value;
        for (const key of Object.keys(t.expected)) assert.equal(url[key], t.expected[key], key);
      });
    });
  }
}

// ---- toascii.json (toascii.window.js, the URL parts) ----

{
  const data = loadTestData('conformance/wpt/url/toascii.json');
  data.forEach((t, i) => {
    if (typeof t === 'string') return;
    const base = `toascii[${i}] ${show(t.input)}`;
    wptTest(`${base} (new URL)`, () => {
      if (t.output !== null) {
        const url = new URL(`https://${t.input}/x`);
        assert.equal(url.host, t.output, 'host');
        assert.equal(url.hostname, t.output, 'hostname');
        assert.equal(url.pathname, '/x', 'pathname');
        assert.equal(url.href, `https://${t.output}/x`, 'href');
      } else {
        assert.throws(() => new URL(`https://${t.input}/x`), TypeError);
      }
    });
    wptTest(`${base} (host setter)`, () => {
      const url = new URL('https://x/x');
      url.host = t.input;
      assert.equal(url.host, t.output !== null ? t.output : 'x');
    });
    wptTest(`${base} (hostname setter)`, () => {
      const url = new URL('https://x/x');
      url.hostname = t.input;
      assert.equal(url.hostname, t.output !== null ? t.output : 'x');
    });
  });
}

// ---- percent-encoding.json (percent-encoding.window.js, the URL part: utf-8 only) ----

{
  const data = loadTestData('conformance/wpt/url/percent-encoding.json');
  data.forEach((t, i) => {
    if (typeof t === 'string') return;
    wptTest(`percent-encoding[${i}] ${show(t.input)} utf-8`, () => {
      const url = new URL(`https://doesnotmatter.invalid/?${t.input}#${t.input}`);
      assert.equal(url.search, `?${t.output['utf-8']}`, 'search');
      assert.equal(url.hash, `#${t.output['utf-8']}`, 'hash');
    });
  });
}

// ---- urlencoded-parser-data.json (urlencoded-parser.any.js, the URLSearchParams part) ----

{
  const data = loadTestData('conformance/wpt/url/urlencoded-parser-data.json');
  data.forEach((t, i) => {
    if (typeof t === 'string') return;
    wptTest(`urlencoded-parser[${i}] ${show(t.input)}`, () => {
      const sp = new URLSearchParams(t.input);
      assert.deepEqual([...sp], JSON.parse(JSON.stringify(t.output)));
    });
  });
}

// ---- behaviour ----

test('URL basics and toString/toJSON', () => {
  const u = new URL('HTTPS://User:Pa ss@Example.COM:443/a/./b/../c?x=1 2#frag ment');
  assert.equal(u.href, 'https://User:Pa%20ss@example.com/a/c?x=1%202#frag%20ment');
  assert.equal(String(u), u.href);
  assert.equal(u.toJSON(), u.href);
  assert.equal(JSON.stringify({ u }), `{"u":"${u.href}"}`);
  assert.equal(u.origin, 'https://example.com');
  assert.equal(Object.prototype.toString.call(u), '[object URL]');
  assert.equal(new URL('/p?q', 'http://h:8080/x/y').href, 'http://h:8080/p?q');
  assert.equal(new URL(new URL('http://a/b'), 'http://ignored/').href, 'http://a/b');
});

test('URL errors: invalid input, invalid base, missing arguments, no new', () => {
  const e = assert.throws(() => new URL('foo'), TypeError);
  assert.equal(e.message, 'Invalid URL: "foo"');
  assert.throws(() => new URL('/x', 'nope'), TypeError);
  assert.throws(() => new URL('http://[::1/'), TypeError);
  assert.throws(() => new URL('http://a:99999/'), TypeError);
  assert.throws(() => new URL(), TypeError);
  assert.throws(() => URL('http://a/'), TypeError);
  assert.throws(() => new URLSearchParams().append('a'), TypeError);
  assert.throws(() => new URLSearchParams().get(), TypeError);
  assert.throws(() => new URL(Symbol('x')), TypeError);
  const u = new URL('http://a/');
  assert.throws(() => { u.href = 'not a url'; }, TypeError);
  assert.equal(u.href, 'http://a/');
});

test('URL.canParse and URL.parse', () => {
  assert.equal(URL.canParse('http://a/'), true);
  assert.equal(URL.canParse('a'), false);
  assert.equal(URL.canParse('a', 'http://b/'), true);
  assert.equal(URL.canParse('a', 'b'), false);
  assert.equal(URL.canParse('http://a/', undefined), true);
  assert.throws(() => URL.canParse(), TypeError);
  assert.equal(URL.parse('x'), null);
  assert.equal(URL.parse('x', 'nope'), null);
  const u = URL.parse('x', 'http://b/c/d');
  assert.ok(u instanceof URL);
  assert.equal(u.href, 'http://b/c/x');
  assert.notEqual(URL.parse('http://a/'), URL.parse('http://a/'));
  u.pathname = '/z';
  assert.equal(u.href, 'http://b/z');
  assert.equal(URL.canParse.length, 1);
  assert.equal(URL.parse.length, 1);
});

test('USVString conversion: lone surrogates become U+FFFD', () => {
  assert.equal(new URL('http://a/\uD800').pathname, '/%EF%BF%BD');
  assert.equal(new URL('http://a/?\uDC00x').search, '?%EF%BF%BDx');
  assert.equal(new URL('http://a/\uD83D\uDE00').pathname, '/%F0%9F%98%80');
  const sp = new URLSearchParams();
  sp.append('\uD800', '\uDFFFx');
  assert.deepEqual([...sp], [['\uFFFD', '\uFFFDx']]);
  assert.equal(sp.toString(), '%EF%BF%BD=%EF%BF%BDx');
});

test('searchParams stay in sync with the URL, both ways', () => {
  const u = new URL('https://example.com/?a=1&b=2#h');
  const sp = u.searchParams;
  assert.equal(u.searchParams, sp, 'same object every time');
  assert.equal(sp.get('a'), '1');
  sp.append('c', 'x y');
  assert.equal(u.search, '?a=1&b=2&c=x+y');
  assert.equal(u.href, 'https://example.com/?a=1&b=2&c=x+y#h');
  sp.delete('a');
  assert.equal(u.search, '?b=2&c=x+y');
  u.search = '?z=9';
  assert.deepEqual([...sp], [['z', '9']]);
  u.href = 'http://other/?k=v';
  assert.deepEqual([...sp], [['k', 'v']]);
  sp.delete('k');
  assert.equal(u.href, 'http://other/', 'an empty list removes the query');
  u.search = '';
  assert.equal(sp.size, 0);
  u.search = 'q=1';
  assert.equal(sp.get('q'), '1');
  sp.set('q', '~!');
  assert.equal(u.search, '?q=%7E%21');
  // searchParams created after a search setter reflects the setter's input
  const v = new URL('http://h/');
  v.search = 'a=b';
  assert.equal(v.searchParams.get('a'), 'b');
  // opaque paths keep their spaces before a query
  const d = new URL('data:space ?x=1');
  d.searchParams.delete('x');
  assert.equal(d.href, 'data:space%20');
});

test('URLSearchParams constructors', () => {
  assert.deepEqual([...new URLSearchParams('?a=1&b=2')], [['a', '1'], ['b', '2']]);
  assert.deepEqual([...new URLSearchParams('??a=1')], [['?a', '1']]);
  assert.deepEqual([...new URLSearchParams([['a', 1], ['b', null]])], [['a', '1'], ['b', 'null']]);
  assert.deepEqual([...new URLSearchParams({ x: 'y', z: 2 })], [['x', 'y'], ['z', '2']]);
  assert.deepEqual([...new URLSearchParams(new URLSearchParams('q=1'))], [['q', '1']]);
  assert.deepEqual([...new URLSearchParams(new Map([['m', 'n']]))], [['m', 'n']]);
  assert.deepEqual([...new URLSearchParams({ 'a\uD835x': '1', xx: '2', 'a\uD83Dx': '3' })],
    [['a\uFFFDx', '3'], ['xx', '2']]);
  assert.deepEqual([...new URLSearchParams(undefined)], []);
  assert.deepEqual([...new URLSearchParams(null)], [['null', '']]);
  assert.throws(() => new URLSearchParams([['a']]), TypeError);
  assert.throws(() => new URLSearchParams([['a', 'b', 'c']]), TypeError);
  assert.throws(() => new URLSearchParams(['ab']), TypeError);
  assert.throws(() => new URLSearchParams({ [Symbol.iterator]: 1 }), TypeError);
  assert.equal(URLSearchParams.length, 0);
});

test('URLSearchParams methods', () => {
  const sp = new URLSearchParams('a=1&b=2&a=3');
  assert.equal(sp.size, 3);
  assert.equal(sp.get('a'), '1');
  assert.equal(sp.get('zz'), null);
  assert.deepEqual(sp.getAll('a'), ['1', '3']);
  assert.equal(sp.has('a'), true);
  assert.equal(sp.has('a', '3'), true);
  assert.equal(sp.has('a', '4'), false);
  assert.equal(sp.has('a', undefined), true);
  sp.delete('a', '1');
  assert.equal(sp.toString(), 'b=2&a=3');
  sp.set('b', 'x');
  sp.append('b', 'y');
  sp.set('b', 'z');
  assert.equal(sp.toString(), 'b=z&a=3');
  sp.delete('b', undefined);
  assert.equal(sp.toString(), 'a=3');
  assert.equal(new URLSearchParams([['a b', 'c+d&=é*-._~!\'()']]).toString(), 'a+b=c%2Bd%26%3D%C3%A9*-._%7E%21%27%28%29');
  assert.equal(new URLSearchParams('a=%zz&b=%41%42+c&c=%E2%82&d=%').toString(), 'a=%25zz&b=AB+c&c=%EF%BF%BD&d=%25');
  assert.equal(Object.prototype.toString.call(sp), '[object URLSearchParams]');
  assert.equal(URLSearchParams.prototype.append.length, 2);
  assert.equal(URLSearchParams.prototype.delete.length, 1);
  assert.equal(URLSearchParams.prototype.has.length, 1);
});

test('URLSearchParams sort is stable and by UTF-16 code units', () => {
  const sp = new URLSearchParams('z=1&a=2&z=0&a=1&\uFFFD=x&\uD83D\uDE00=y&=e');
  sp.sort();
  assert.deepEqual([...sp.keys()], ['', 'a', 'a', 'z', 'z', '\uD83D\uDE00', '\uFFFD']);
  assert.deepEqual([...sp.values()], ['e', '2', '1', '1', '0', 'y', 'x']);
  const u = new URL('http://h/?b=1&a=2');
  u.searchParams.sort();
  assert.equal(u.search, '?a=2&b=1');
});

test('URLSearchParams iteration', () => {
  const sp = new URLSearchParams('a=1&b=2&c=3');
  assert.equal(sp[Symbol.iterator], sp.entries);
  const it = sp.entries();
  assert.equal(Object.prototype.toString.call(it), '[object URLSearchParams Iterator]');
  const proto = Object.getPrototypeOf(it);
  assert.equal(Object.getPrototypeOf(proto), Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
  assert.equal(Object.getPrototypeOf(sp.keys()), proto);
  assert.ok(Object.getOwnPropertyDescriptor(proto, 'next').enumerable, 'next is enumerable');
  assert.equal(hasOwn(proto, 'constructor'), false);
  assert.deepEqual(it.next(), { value: ['a', '1'], done: false });
  sp.delete('a');   // live: the index moves over the changed list
  assert.deepEqual(it.next(), { value: ['c', '3'], done: false });
  assert.deepEqual(it.next(), { value: undefined, done: true });
  assert.throws(() => proto.next.call({}), TypeError);
  const seen = [];
  const sp2 = new URLSearchParams('x=1&y=2');
  sp2.forEach(function (value, key, obj) {
    seen.push([key, value, obj === sp2, this]);
    if (key === 'x') sp2.append('z', '3');
  }, 'T');
  assert.deepEqual(seen.map((s) => s.slice(0, 3)), [['x', '1', true], ['y', '2', true], ['z', '3', true]]);
  assert.equal(String(seen[0][3]), 'T');
  assert.throws(() => sp2.forEach(1), TypeError);
  assert.deepEqual([...new URLSearchParams('a=b').values()], ['b']);
});

test('WebIDL shape: enumerable members, toStringTag, brand checks', () => {
  const href = Object.getOwnPropertyDescriptor(URL.prototype, 'href');
  assert.ok(href.enumerable && href.configurable && typeof href.get === 'function' && typeof href.set === 'function');
  const origin = Object.getOwnPropertyDescriptor(URL.prototype, 'origin');
  assert.equal(origin.set, undefined);
  assert.ok(Object.getOwnPropertyDescriptor(URL.prototype, 'toJSON').enumerable);
  assert.ok(Object.getOwnPropertyDescriptor(URL, 'canParse').enumerable);
  const tag = Object.getOwnPropertyDescriptor(URL.prototype, Symbol.toStringTag);
  assert.deepEqual([tag.value, tag.writable, tag.enumerable, tag.configurable], ['URL', false, false, true]);
  assert.equal(URL.length, 1);
  assert.throws(() => href.get.call({}), TypeError);
  assert.throws(() => URLSearchParams.prototype.get.call(new URL('http://a/'), 'x'), TypeError);
  const d = Object.getOwnPropertyDescriptor(globalThis, 'URL');
  assert.deepEqual([d.writable, d.enumerable, d.configurable], [true, false, true]);
  // Subclassing works.
  class My extends URL {}
  assert.equal(new My('http://a/b').pathname, '/b');
});

test('setters: state overrides and no-ops', () => {
  const u = new URL('http://example.com/p');
  u.protocol = 'https';
  assert.equal(u.href, 'https://example.com/p');
  u.protocol = 'foo';   // special to non-special: ignored
  assert.equal(u.protocol, 'https:');
  u.port = '8443';
  assert.equal(u.host, 'example.com:8443');
  u.port = '443';
  assert.equal(u.port, '');
  u.port = '12ab';
  assert.equal(u.port, '12');
  u.username = 'a b';
  u.password = 'p@ss';
  assert.equal(u.href, 'https://a%20b:p%40ss@example.com:12/p');
  u.hostname = 'Bücher.example';
  assert.equal(u.hostname, 'xn--bcher-kva.example');
  u.host = '[::FFFF:1.2.3.4]:80';
  assert.equal(u.host, '[::ffff:102:304]:80');
  u.pathname = 'a/../b/%2e/c d';
  assert.equal(u.pathname, '/b/c%20d');
  u.hash = '#x y';
  assert.equal(u.hash, '#x%20y');
  u.hash = '';
  assert.equal(u.href, 'https://a%20b:p%40ss@[::ffff:102:304]:80/b/c%20d');
  const m = new URL('mailto:me@example.com');
  m.pathname = '/x';
  m.host = 'h';
  assert.equal(m.href, 'mailto:me@example.com');
  const f = new URL('file:///C:/x');
  f.port = '1';
  f.username = 'u';
  assert.equal(f.href, 'file:///C:/x');
});

test('hosts: IPv4 forms, IPv6 compression, opaque hosts, IDNA', () => {
  assert.equal(new URL('http://0x7f.1/').host, '127.0.0.1');
  assert.equal(new URL('http://0177.0.0.1/').host, '127.0.0.1');
  assert.equal(new URL('http://4294967295/').host, '255.255.255.255');
  assert.throws(() => new URL('http://4294967296/'), TypeError);
  assert.throws(() => new URL('http://1.2.3.4.5/'), TypeError);
  assert.throws(() => new URL('http://a.0x/'), TypeError, 'ends in a number');
  assert.equal(new URL('http://1.2.3.4.5.a/').host, '1.2.3.4.5.a');
  assert.equal(new URL('http://[1:0:0:2:0:0:0:3]/').host, '[1:0:0:2::3]');
  assert.equal(new URL('http://[0:0:1:0:0:1:0:0]/').host, '[::1:0:0:1:0:0]');
  assert.equal(new URL('http://[1:2:3:4:5:6:7:0]/').host, '[1:2:3:4:5:6:7:0]');
  assert.equal(new URL('sc://H%C3%A9/').host, 'H%C3%A9');
  assert.throws(() => new URL('sc://a b/'), TypeError);
  assert.equal(new URL('http://%41.com/').host, 'a.com');
  assert.equal(new URL('http://faß.de/').host, 'xn--fa-hia.de');
  assert.throws(() => new URL('http://a%2Fb/'), TypeError);
  assert.equal(new URL('http://EXAMPLE.com./').host, 'example.com.');
});

test('file URLs and Windows drive letters', () => {
  assert.equal(new URL('file:c:\\foo\\..\\..\\bar').href, 'file:///c:/bar');
  assert.equal(new URL('/d:', 'file:///C:/a/b').href, 'file:///d:');
  assert.equal(new URL('..', 'file:///C:/').href, 'file:///C:/');
  assert.equal(new URL('file://localhost/x').href, 'file:///x');
  assert.equal(new URL('file:', 'file:///a/b?q#f').href, 'file:///a/b?q');
});

test('internal-facing behaviour is not reachable by tampering', () => {
  const u = new URL('http://a/');
  assert.deepEqual(Object.keys(u), []);
  assert.deepEqual(Reflect.ownKeys(u), []);
  const saved = URLSearchParams.prototype.toString;
  URLSearchParams.prototype.toString = () => 'tampered';
  try {
    u.searchParams.append('a', 'b');
    assert.equal(u.href, 'http://a/?a=b');
  } finally {
    URLSearchParams.prototype.toString = saved;
  }
});

// ---- expectations bookkeeping ----

