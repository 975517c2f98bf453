// Headers, Request, Response and the Body mixin (src/api/fetch/). The runtime contract
// (internal.makeIncomingRequest / responseParts) is tested when the harness exposes `globalThis.__internal`.
'use strict';

const entriesOf = (h) => [...h];
const hasStreams = typeof ReadableStream === 'function';
const streamOf = (chunks) => new ReadableStream({
  start(c) {
    for (const x of chunks) c.enqueue(x);
    c.close();
  },
});
const bytes = (...a) => new Uint8Array(a);
const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// -------------------------------------------------------------------------------------------------------------------
// Headers

test('Headers: globals, toStringTag, methods on the prototype', () => {
  const h = new Headers();
  assert.equal(Object.prototype.toString.call(h), '[object Headers]');
  assert.equal(Object.getOwnPropertyNames(h).length, 0);
  assert.equal(typeof Headers.prototype.append, 'function');
  assert.equal(Headers.prototype[Symbol.iterator], Headers.prototype.entries);
  assert.equal(Headers.length, 0);
  assert.equal(Headers.prototype.append.length, 2);
  assert(Object.getOwnPropertyDescriptor(Headers.prototype, 'get').enumerable);
  assert(!Object.getOwnPropertyDescriptor(globalThis, 'Headers').enumerable);
});

test('Headers: get is case-insensitive and names are lower-cased on iteration', () => {
  const h = new Headers({ 'Content-Type': 'text/html', 'X-Foo': 'bar' });
  assert.equal(h.get('content-type'), 'text/html');
  assert.equal(h.get('CONTENT-TYPE'), 'text/html');
  assert.deepEqual([...h.keys()], ['content-type', 'x-foo']);
  assert.equal(h.get('missing'), null);
});

test('Headers: values are stripped of leading and trailing HTTP whitespace', () => {
  const h = new Headers();
  h.append('a', ' \t x y \t ');
  h.set('b', '\r\n z \n');
  assert.equal(h.get('a'), 'x y');
  assert.equal(h.get('b'), 'z');
  h.append('c', '   ');
  assert.equal(h.get('c'), '');
});

test('Headers: invalid names throw TypeError', () => {
  const h = new Headers();
  for (const name of ['', 'a b', 'a:b', 'é', '(x)', 'a\n', '"q"']) {
    assert.throws(() => h.append(name, 'v'), TypeError, JSON.stringify(name));
    assert.throws(() => h.get(name), TypeError, JSON.stringify(name));
    assert.throws(() => h.has(name), TypeError);
    assert.throws(() => h.delete(name), TypeError);
    assert.throws(() => h.set(name, 'v'), TypeError);
  }
  h.append("!#$%&'*+-.^_`|~09azAZ", 'ok');
  assert.equal(h.get("!#$%&'*+-.^_`|~09azAZ"), 'ok');
});

test('Headers: invalid values throw TypeError', () => {
  const h = new Headers();
  for (const value of ['a\0b', 'a\nb', 'a\rb', '\u0100', 'caf\u20ac']) {
    assert.throws(() => h.append('x', value), TypeError, JSON.stringify(value));
    assert.throws(() => h.set('x', value), TypeError);
  }
  h.append('x', 'caf\u00e9\t"quoted"');
  assert.equal(h.get('x'), 'caf\u00e9\t"quoted"');
});

test('Headers: values are converted with ToString; symbols throw', () => {
  const h = new Headers();
  h.set('n', 42);
  h.set('o', { toString: () => 'obj' });
  assert.equal(h.get('n'), '42');
  assert.equal(h.get('o'), 'obj');
  assert.throws(() => h.set('s', Symbol('x')), TypeError);
});

test('Headers: get combines repeated values with ", "', () => {
  const h = new Headers([['a', '1'], ['b', 'x'], ['A', '2']]);
  assert.equal(h.get('a'), '1, 2');
  h.append('a', '3');
  assert.equal(h.get('a'), '1, 2, 3');
});

test('Headers: set replaces every value with one', () => {
  const h = new Headers([['a', '1'], ['b', 'x'], ['a', '2'], ['a', '3']]);
  h.set('A', 'z');
  assert.equal(h.get('a'), 'z');
  assert.deepEqual(entriesOf(h), [['a', 'z'], ['b', 'x']]);
  h.set('c', 'new');
  assert.equal(h.get('c'), 'new');
});

test('Headers: has and delete', () => {
  const h = new Headers([['a', '1'], ['b', '2'], ['a', '3']]);
  assert(h.has('A'));
  h.delete('a');
  assert(!h.has('a'));
  assert.deepEqual(entriesOf(h), [['b', '2']]);
  h.delete('nothing');
  assert.deepEqual(entriesOf(h), [['b', '2']]);
});

test('Headers: iteration is sorted by name and combined', () => {
  const h = new Headers();
  h.append('zeta', 'z');
  h.append('Alpha', 'a1');
  h.append('mid', 'm');
  h.append('alpha', 'a2');
  assert.deepEqual(entriesOf(h), [['alpha', 'a1, a2'], ['mid', 'm'], ['zeta', 'z']]);
  assert.deepEqual([...h.values()], ['a1, a2', 'm', 'z']);
  assert.deepEqual([...h.entries()], entriesOf(h));
});

test('Headers: set-cookie is never combined when iterating', () => {
  const h = new Headers();
  h.append('Set-Cookie', 'a=1');
  h.append('X', 'x');
  h.append('set-cookie', 'b=2; Path=/');
  h.append('Accept', '*/*');
  assert.deepEqual(entriesOf(h), [['accept', '*/*'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2; Path=/'], ['x', 'x']]);
  assert.equal(h.get('set-cookie'), 'a=1, b=2; Path=/');
});

test('Headers: getSetCookie', () => {
  const h = new Headers([['Set-Cookie', 'a=1, expires=Wed, 21 Oct 2015 07:28:00 GMT'], ['x', 'y'], ['set-cookie', 'b=2']]);
  assert.deepEqual(h.getSetCookie(), ['a=1, expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2']);
  assert.deepEqual(new Headers().getSetCookie(), []);
  assert.deepEqual(h.getAll('Set-Cookie'), h.getSetCookie());
  assert.throws(() => h.getAll('x'), TypeError);
});

test('Headers: the iterator sees changes made while iterating', () => {
  const h = new Headers([['a', '1'], ['c', '3']]);
  const it = h.keys();
  assert.equal(it.next().value, 'a');
  h.append('b', '2');
  assert.equal(it.next().value, 'b');
  assert.equal(it.next().value, 'c');
  assert.deepEqual(it.next(), { value: undefined, done: true });
});

test('Headers: iterator prototype', () => {
  const it = new Headers().entries();
  const proto = Object.getPrototypeOf(it);
  assert.equal(Object.prototype.toString.call(it), '[object Headers Iterator]');
  assert.equal(Object.getPrototypeOf(proto), Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
  assert.equal(it[Symbol.iterator](), it);
  assert.throws(() => proto.next.call({}), TypeError);
});

test('Headers: forEach passes (value, name, headers) in sorted order with thisArg', () => {
  const h = new Headers([['b', '2'], ['a', '1'], ['b', '3']]);
  const seen = [];
  const self = {};
  h.forEach(function (value, name, headers) {
    assert.equal(this, self);
    assert.equal(headers, h);
    seen.push([name, value]);
  }, self);
  assert.deepEqual(seen, [['a', '1'], ['b', '2, 3']]);
  assert.throws(() => h.forEach(null), TypeError);
});

test('Headers: constructed from Headers, pairs, records and iterables', () => {
  const a = new Headers([['x', '1'], ['set-cookie', 'c=1'], ['set-cookie', 'd=2']]);
  const b = new Headers(a);
  assert.deepEqual(entriesOf(b), entriesOf(a));
  b.set('x', '2');
  assert.equal(a.get('x'), '1');
  const m = new Map([['k', 'v']]);
  assert.equal(new Headers(m).get('k'), 'v');
  const gen = function* () { yield ['g', '1']; yield new Set(['h', '2']); };
  const c = new Headers(gen());
  assert.equal(c.get('g'), '1');
  assert.equal(c.get('h'), '2');
  const rec = Object.create({ inherited: 'no' });
  rec.own = 'yes';
  Object.defineProperty(rec, 'hidden', { value: 'no', enumerable: false });
  assert.deepEqual(entriesOf(new Headers(rec)), [['own', 'yes']]);
});

test('Headers: bad init throws TypeError', () => {
  assert.throws(() => new Headers(null), TypeError);
  assert.throws(() => new Headers('a'), TypeError);
  assert.throws(() => new Headers(5), TypeError);
  assert.throws(() => new Headers([['a']]), TypeError);
  assert.throws(() => new Headers([['a', 'b', 'c']]), TypeError);
  assert.throws(() => new Headers(['ab']), TypeError);
  assert.throws(() => new Headers({ 'bad name': 'x' }), TypeError);
  assert.throws(() => new Headers({ [Symbol.iterator]: 5 }), TypeError);
  assert.equal([...new Headers(undefined)].length, 0);
});

test('Headers: methods check their receiver and argument count', () => {
  assert.throws(() => Headers.prototype.get.call({}, 'a'), TypeError);
  assert.throws(() => Headers.prototype.append.call(new Map(), 'a', 'b'), TypeError);
  assert.throws(() => new Headers().append('a'), TypeError);
  assert.throws(() => new Headers().get(), TypeError);
  assert.throws(() => Headers(), TypeError);
});

test('Headers: Response.error() and Response.redirect() headers are immutable', () => {
  for (const h of [Response.error().headers, Response.redirect('http://example.com/').headers]) {
    assert.throws(() => h.set('x', 'y'), TypeError);
    assert.throws(() => h.append('x', 'y'), TypeError);
    assert.throws(() => h.delete('location'), TypeError);
  }
  assert.equal(Response.redirect('http://example.com/').headers.get('location'), 'http://example.com/');
});

test('Headers: cached sorted view is refreshed after every kind of mutation', () => {
  const h = new Headers([['b', '1']]);
  assert.deepEqual(entriesOf(h), [['b', '1']]);
  h.append('a', '0');
  assert.deepEqual(entriesOf(h), [['a', '0'], ['b', '1']]);
  h.set('b', '2');
  assert.deepEqual(entriesOf(h), [['a', '0'], ['b', '2']]);
  h.delete('a');
  assert.deepEqual(entriesOf(h), [['b', '2']]);
});

// -------------------------------------------------------------------------------------------------------------------
// Request

test('Request: basic properties and defaults', () => {
  const r = new Request('https://example.com/a?b#c');
  assert.equal(r.method, 'GET');
  assert.equal(r.url, 'https://example.com/a?b#c');
  assert.equal(r.redirect, 'follow');
  assert.equal(r.mode, 'cors');
  assert.equal(r.credentials, 'same-origin');
  assert.equal(r.cache, 'default');
  assert.equal(r.body, null);
  assert.equal(r.bodyUsed, false);
  assert.equal(r.cf, undefined);
  assert.equal(Object.prototype.toString.call(r), '[object Request]');
  assert.equal(Object.getOwnPropertyNames(r).length, 0);
  assert.equal(Request.length, 1);
  assert(r.headers instanceof Headers);
  assert.equal(r.headers, r.headers);
});

test('Request: the URL is parsed and serialized', () => {
  assert.equal(new Request('HTTP://EXAMPLE.com:80/a b').url, 'http://example.com/a%20b');
  assert.equal(new Request('https://example.com').url, 'https://example.com/');
});

test('Request: relative and invalid URLs are a TypeError', () => {
  assert.throws(() => new Request('/relative'), TypeError);
  assert.throws(() => new Request('nope'), TypeError);
  assert.throws(() => new Request('http://'), TypeError);
  assert.throws(() => new Request(), TypeError);
});

test('Request: URLs with credentials are a TypeError', () => {
  assert.throws(() => new Request('https://user:pass@example.com/'), TypeError);
});

test('Request: method normalisation', () => {
  const m = (method) => new Request('http://x/', { method }).method;
  assert.equal(m('get'), 'GET');
  assert.equal(m('post'), 'POST');
  assert.equal(m('Delete'), 'DELETE');
  assert.equal(m('head'), 'HEAD');
  assert.equal(m('options'), 'OPTIONS');
  assert.equal(m('put'), 'PUT');
  assert.equal(m('patch'), 'patch');
  assert.equal(m('PATCH'), 'PATCH');
  assert.equal(m('CUSTOM'), 'CUSTOM');
  assert.equal(m('custom'), 'custom');
});

test('Request: forbidden and invalid methods are a TypeError', () => {
  for (const method of ['CONNECT', 'trace', 'Track', '', 'GET POST', 'g\u00e9t', 'a,b']) {
    assert.throws(() => new Request('http://x/', { method }), TypeError, method);
  }
});

test('Request: GET and HEAD cannot have a body', () => {
  assert.throws(() => new Request('http://x/', { body: 'a' }), TypeError);
  assert.throws(() => new Request('http://x/', { method: 'HEAD', body: 'a' }), TypeError);
  assert.equal(new Request('http://x/', { body: null }).body, null);
  assert.equal(new Request('http://x/', { method: 'HEAD', body: undefined }).method, 'HEAD');
});

test('Request: redirect values', () => {
  assert.equal(new Request('http://x/', { redirect: 'manual' }).redirect, 'manual');
  assert.equal(new Request('http://x/', { redirect: 'error' }).redirect, 'error');
  assert.throws(() => new Request('http://x/', { redirect: 'nope' }), TypeError);
});

test('Request: headers from init, and content-type from a string body', async () => {
  const r = new Request('http://x/', { method: 'POST', headers: { 'X-A': '1' }, body: 'hi' });
  assert.equal(r.headers.get('x-a'), '1');
  assert.equal(r.headers.get('content-type'), 'text/plain;charset=UTF-8');
  const r2 = new Request('http://x/', { method: 'POST', headers: [['Content-Type', 'application/x-custom']], body: 'hi' });
  assert.equal(r2.headers.get('content-type'), 'application/x-custom');
  assert.equal(await r2.text(), 'hi');
});

test('Request: constructed headers are mutable; init.headers errors are TypeErrors', () => {
  const r = new Request('http://x/', { headers: { a: '1' } });
  r.headers.set('b', '2');
  assert.equal(r.headers.get('b'), '2');
  assert.throws(() => new Request('http://x/', { headers: { 'a b': '1' } }), TypeError);
  assert.throws(() => new Request('http://x/', { headers: 5 }), TypeError);
});

test('Request: unknown init members are ignored, cf is kept', () => {
  const cf = { cacheTtl: 5 };
  const r = new Request('http://x/', { whatever: 1, mode: 'no-cors', cf });
  assert.equal(r.cf, cf);
  assert.equal(r.method, 'GET');
  assert.throws(() => new Request('http://x/', 5), TypeError);
});

test('Request: from another Request copies everything and takes its body', async () => {
  const a = new Request('http://x/a', { method: 'POST', body: 'data', headers: { k: 'v' }, redirect: 'manual', cf: { c: 1 } });
  const b = new Request(a);
  assert.equal(b.url, 'http://x/a');
  assert.equal(b.method, 'POST');
  assert.equal(b.redirect, 'manual');
  assert.equal(b.headers.get('k'), 'v');
  assert.equal(b.cf.c, 1);
  assert.equal(a.bodyUsed, true);
  assert.equal(await b.text(), 'data');
  await assert.rejects(a.text(), TypeError);
  b.headers.set('k', 'changed');
  assert.equal(a.headers.get('k'), 'v');
});

test('Request: from a Request with init overrides', async () => {
  const a = new Request('http://x/a', { method: 'POST', body: 'data', headers: { k: 'v' } });
  const b = new Request(a, { method: 'PUT', headers: { other: '1' } });
  assert.equal(b.method, 'PUT');
  assert.equal(b.headers.get('k'), null);
  assert.equal(b.headers.get('other'), '1');
  assert.equal(await b.text(), 'data');
  const c = new Request(new Request('http://x/', { method: 'POST', body: 'x' }), { body: 'y' });
  assert.equal(await c.text(), 'y');
});

test('Request: a used Request cannot be the input', async () => {
  const a = new Request('http://x/', { method: 'POST', body: 'data' });
  await a.text();
  assert.throws(() => new Request(a), TypeError);
  assert.equal(new Request(a, { body: 'fresh' }).method, 'POST');
});

test('Request: a Request as the init (Workers) supplies everything but the URL', async () => {
  const a = new Request('http://x/old', { method: 'POST', body: 'data', headers: { k: 'v' } });
  const b = new Request('http://y/new', a);
  assert.equal(b.url, 'http://y/new');
  assert.equal(b.method, 'POST');
  assert.equal(b.headers.get('k'), 'v');
  assert.equal(await b.text(), 'data');
});

test('Request: clone', async () => {
  const a = new Request('http://x/', { method: 'POST', body: 'data', headers: { k: 'v' } });
  const b = a.clone();
  assert.notEqual(a, b);
  assert.equal(b.method, 'POST');
  assert.equal(b.headers.get('k'), 'v');
  b.headers.set('k', 'w');
  assert.equal(a.headers.get('k'), 'v');
  assert.equal(await a.text(), 'data');
  assert.equal(await b.text(), 'data');
  assert.throws(() => a.clone(), TypeError);
});

test('Request: getters and methods check their receiver', async () => {
  const desc = Object.getOwnPropertyDescriptor(Request.prototype, 'method');
  assert.throws(() => desc.get.call({}), TypeError);
  assert.throws(() => Request.prototype.clone.call({}), TypeError);
  await assert.rejects(Request.prototype.text.call({}), TypeError);
  assert.throws(() => Object.getOwnPropertyDescriptor(Request.prototype, 'bodyUsed').get.call(new Headers()), TypeError);
});

test('Request: signal', () => {
  const r = new Request('http://x/');
  if (typeof AbortSignal !== 'function') {
    assert.equal(r.signal, null);
    return;
  }
  assert(r.signal instanceof AbortSignal);
  assert.equal(r.signal, r.signal);
  assert.equal(r.signal.aborted, false);
  const ac = new AbortController();
  const s = new Request('http://x/', { signal: ac.signal });
  const c = s.clone();
  ac.abort('why');
  assert.equal(s.signal.aborted, true);
  assert.equal(s.signal.reason, 'why');
  assert.equal(c.signal.aborted, true);
  assert.throws(() => new Request('http://x/', { signal: {} }), TypeError);
  assert.equal(new Request('http://x/', { signal: null }).signal.aborted, false);
});

// -------------------------------------------------------------------------------------------------------------------
// Body

test('Body: string body, text() and bodyUsed', async () => {
  const r = new Response('héllo 👋');
  assert.equal(r.bodyUsed, false);
  const p = r.text();
  assert(p instanceof Promise);
  assert.equal(r.bodyUsed, true);
  assert.equal(await p, 'héllo 👋');
  assert.equal(r.headers.get('content-type'), 'text/plain;charset=UTF-8');
});

test('Body: reading a used body rejects with TypeError', async () => {
  const r = new Response('x');
  await r.text();
  await assert.rejects(r.text(), TypeError);
  await assert.rejects(r.arrayBuffer(), TypeError);
  await assert.rejects(r.json(), TypeError);
  await assert.rejects(r.bytes(), TypeError);
});

test('Body: null body reads as empty and is never used', async () => {
  const r = new Response();
  assert.equal(r.body, null);
  assert.equal(await r.text(), '');
  assert.equal(r.bodyUsed, false);
  assert.equal(await r.text(), '');
  assert.equal((await r.arrayBuffer()).byteLength, 0);
  assert.equal((await new Response(null).bytes()).length, 0);
  assert.equal(r.headers.get('content-type'), null);
});

test('Body: arrayBuffer() and bytes() give the UTF-8 bytes of a string', async () => {
  const ab = await new Response('é€').arrayBuffer();
  assert(ab instanceof ArrayBuffer);
  assert(sameBytes(new Uint8Array(ab), [0xc3, 0xa9, 0xe2, 0x82, 0xac]));
  const u8 = await new Response('ab').bytes();
  assert(u8 instanceof Uint8Array);
  assert(sameBytes(u8, [0x61, 0x62]));
});

test('Body: lone surrogates in a string body become U+FFFD', async () => {
  assert.equal(await new Response('a\ud800b').text(), 'a\ufffdb');
  assert(sameBytes(await new Response('\udc00').bytes(), [0xef, 0xbf, 0xbd]));
});

test('Body: text() strips a leading UTF-8 BOM', async () => {
  assert.equal(await new Response(bytes(0xef, 0xbb, 0xbf, 0x68, 0x69)).text(), 'hi');
  assert.equal(await new Response('\ufeffhi').text(), 'hi');
  assert.equal(await new Response(bytes(0x68, 0xef, 0xbb, 0xbf)).text(), 'h\ufeff');
  assert.equal(await new Response(bytes(0xff, 0x41)).text(), '\ufffdA');
});

test('Body: json()', async () => {
  assert.deepEqual(await new Response('{"a":[1,2,{"b":null}]}').json(), { a: [1, 2, { b: null }] });
  assert.deepEqual(await new Response(bytes(0xef, 0xbb, 0xbf, 0x5b, 0x5d)).json(), []);
  await assert.rejects(new Response('{bad').json(), SyntaxError);
  await assert.rejects(new Response().json(), SyntaxError);
});

test('Body: ArrayBuffer body is copied', async () => {
  const buf = new Uint8Array([1, 2, 3]).buffer;
  const r = new Response(buf);
  new Uint8Array(buf)[0] = 9;
  assert(sameBytes(await r.bytes(), [1, 2, 3]));
  assert.equal(r.headers.get('content-type'), null);
});

test('Body: ArrayBufferView bodies are copied and respect offset/length', async () => {
  const backing = new Uint8Array([0, 1, 2, 3, 4, 5]);
  const view = backing.subarray(2, 5);
  const r = new Response(view);
  backing[2] = 99;
  assert(sameBytes(await r.bytes(), [2, 3, 4]));
  const dv = new DataView(backing.buffer, 1, 2);
  assert(sameBytes(await new Response(dv).bytes(), [1, 99]));
  const u16 = new Uint16Array([0x6968]);
  assert.equal(await new Response(u16).text(), 'hi');
});

test('Body: arrayBuffer() is exactly the body even for a view body', async () => {
  const ab = await new Response(new Uint8Array([7, 8, 9, 10]).subarray(1, 3)).arrayBuffer();
  assert.equal(ab.byteLength, 2);
  assert(sameBytes(new Uint8Array(ab), [8, 9]));
});

test('Body: URLSearchParams body', async () => {
  const r = new Response(new URLSearchParams({ a: '1 2', b: 'é&' }));
  assert.equal(r.headers.get('content-type'), 'application/x-www-form-urlencoded;charset=UTF-8');
  assert.equal(await r.text(), 'a=1+2&b=%C3%A9%26');
});

test('Body: other objects are stringified', async () => {
  assert.equal(await new Response({}).text(), '[object Object]');
  assert.equal(await new Response(12).text(), '12');
  assert.equal(new Response(12).headers.get('content-type'), 'text/plain;charset=UTF-8');
});

test('Body: an explicit content-type wins over the extracted one', () => {
  const r = new Response('x', { headers: { 'content-type': 'text/html' } });
  assert.equal(r.headers.get('content-type'), 'text/html');
  assert.deepEqual(entriesOf(r.headers), [['content-type', 'text/html']]);
});

test('Body: mixin members are on the prototypes with the right shape', () => {
  for (const C of [Request, Response]) {
    for (const name of ['arrayBuffer', 'bytes', 'text', 'json', 'blob', 'formData']) {
      const d = Object.getOwnPropertyDescriptor(C.prototype, name);
      assert(d && typeof d.value === 'function', `${C.name}.${name}`);
      assert.equal(d.value.length, 0);
    }
    for (const name of ['body', 'bodyUsed']) {
      assert.equal(typeof Object.getOwnPropertyDescriptor(C.prototype, name).get, 'function');
    }
  }
});

test('Body: blob()', async () => {
  if (typeof Blob !== 'function') {
    await assert.rejects(new Response('x').blob(), TypeError);
    return;
  }
  const b = await new Response('hey', { headers: { 'content-type': 'text/x-thing' } }).blob();
  assert(b instanceof Blob);
  assert.equal(b.type, 'text/x-thing');
  assert.equal(await b.text(), 'hey');
  const r = new Response(new Blob(['abc'], { type: 'app/x' }));
  assert.equal(r.headers.get('content-type'), 'app/x');
  assert.equal(await r.text(), 'abc');
  assert.equal(await new Response(new Blob([])).text(), '');
});

test('Body: formData() without a form Content-Type rejects', async () => {
  await assert.rejects(new Response('a=1').formData(), TypeError);
});

test('Body: formData() from urlencoded', async () => {
  if (typeof FormData !== 'function') return;
  const fd = await new Response(new URLSearchParams('a=1&b=2&a=3')).formData();
  assert.deepEqual([...fd.getAll('a')], ['1', '3']);
  assert.equal(fd.get('b'), '2');
});

test('Body: FormData body round trip through multipart/form-data', async () => {
  if (typeof FormData !== 'function' || typeof Blob !== 'function') return;
  const fd = new FormData();
  fd.append('name', 'value\nline');
  fd.append('quote"d', 'é');
  fd.append('file', new Blob(['file body'], { type: 'text/x-custom' }), 'a.txt');
  const r = new Response(fd);
  const ct = r.headers.get('content-type');
  assert(/^multipart\/form-data; boundary=/.test(ct), ct);
  const back = await r.formData();
  assert.equal(back.get('name'), 'value\r\nline');
  assert.equal(back.get('quote"d'), 'é');
  const f = back.get('file');
  assert.equal(f.name, 'a.txt');
  assert.equal(f.type, 'text/x-custom');
  assert.equal(await f.text(), 'file body');
});

test('Body: multipart parsing of a hand-written body', async () => {
  if (typeof FormData !== 'function') return;
  const body = 'preamble\r\n--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n' +
    '--XyZ\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\n\r\n\u0001\u0002\r\n--XyZ--\r\n';
  const fd = await new Response(body, { headers: { 'content-type': 'multipart/form-data; boundary="XyZ"' } }).formData();
  assert.equal(fd.get('a'), '1');
  assert.equal(fd.get('f').name, 'x.bin');
  assert.equal(fd.get('f').type, 'text/plain');
  await assert.rejects(new Response('garbage', { headers: { 'content-type': 'multipart/form-data; boundary=q' } }).formData(), TypeError);
});

test('Body: ReadableStream bodies', async () => {
  if (!hasStreams) return;
  const r = new Response(streamOf([bytes(104, 105), bytes(33)]));
  assert.equal(r.bodyUsed, false);
  assert.equal(await r.text(), 'hi!');
  assert.equal(r.bodyUsed, true);
  await assert.rejects(r.text(), TypeError);
  await assert.rejects(new Response(streamOf(['not bytes'])).text(), TypeError);
});

test('Body: a locked stream cannot be a body', () => {
  if (!hasStreams) return;
  const s = streamOf([bytes(1)]);
  s.getReader();
  assert.throws(() => new Response(s), TypeError);
});

test('Body: body getter gives a stream of the bytes', async () => {
  if (!hasStreams) {
    assert.equal(new Response('x').body, null);
    return;
  }
  const r = new Response('abc');
  const s = r.body;
  assert(s instanceof ReadableStream);
  assert.equal(r.body, s);
  const reader = s.getReader();
  const chunks = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(...value);
  }
  assert(sameBytes(chunks, [97, 98, 99]));
  assert.equal(r.bodyUsed, true);
  await assert.rejects(r.text(), TypeError);
});

test('Body: clone of a stream body tees it', async () => {
  if (!hasStreams) return;
  const r = new Response(streamOf([bytes(49), bytes(50)]));
  const c = r.clone();
  assert.equal(await c.text(), '12');
  assert.equal(await r.text(), '12');
});

test('Request: a URL object as the input', () => {
  assert.equal(new Request(new URL('http://example.com/x?y')).url, 'http://example.com/x?y');
});

test('Request: body types and content-type', async () => {
  const r = new Request('http://x/', { method: 'POST', body: new URLSearchParams('a=1') });
  assert.equal(r.headers.get('content-type'), 'application/x-www-form-urlencoded;charset=UTF-8');
  assert.equal(await r.text(), 'a=1');
  const b = new Request('http://x/', { method: 'POST', body: new Uint8Array([104, 105]) });
  assert.equal(b.headers.get('content-type'), null);
  assert.equal(await b.text(), 'hi');
});

test('Request: a ReadableStream body, cloned', async () => {
  if (!hasStreams) return;
  const r = new Request('http://x/', { method: 'POST', body: streamOf([bytes(111, 107)]) });
  const c = r.clone();
  assert.equal(await r.text(), 'ok');
  assert.equal(await c.text(), 'ok');
});

test('Headers: an enumerable symbol key in a record is a TypeError', () => {
  assert.throws(() => new Headers({ [Symbol('s')]: 'x' }), TypeError);
  const o = { a: '1' };
  Object.defineProperty(o, Symbol('hidden'), { value: 'x', enumerable: false });
  assert.equal(new Headers(o).get('a'), '1');
});

// -------------------------------------------------------------------------------------------------------------------
// Response

test('Response: defaults', () => {
  const r = new Response();
  assert.equal(r.status, 200);
  assert.equal(r.ok, true);
  assert.equal(r.statusText, '');
  assert.equal(r.type, 'default');
  assert.equal(r.url, '');
  assert.equal(r.redirected, false);
  assert.equal(r.webSocket, null);
  assert.equal(r.body, null);
  assert.equal(Object.prototype.toString.call(r), '[object Response]');
  assert.equal(Object.getOwnPropertyNames(r).length, 0);
  assert.equal(Response.length, 0);
  assert.throws(() => Response(), TypeError);
});

test('Response: status, statusText, ok', () => {
  const r = new Response('x', { status: 404, statusText: 'Not Found' });
  assert.equal(r.status, 404);
  assert.equal(r.statusText, 'Not Found');
  assert.equal(r.ok, false);
  assert.equal(new Response(null, { status: 299 }).ok, true);
  assert.equal(new Response(null, { status: 300 }).ok, false);
  assert.equal(new Response(null, { status: '201' }).status, 201);
  assert.equal(new Response(null, { status: 599 }).status, 599);
});

test('Response: status out of range is a RangeError', () => {
  for (const status of [0, 100, 101, 199, 600, 999, -1, NaN, 1200]) {
    assert.throws(() => new Response(null, { status }), RangeError, String(status));
  }
});

test('Response: invalid statusText is a TypeError', () => {
  assert.throws(() => new Response(null, { statusText: 'a\nb' }), TypeError);
  assert.throws(() => new Response(null, { statusText: 'a\rb' }), TypeError);
  assert.throws(() => new Response(null, { statusText: '\u0100' }), TypeError);
  assert.equal(new Response(null, { statusText: 'OK\t\u00ff' }).statusText, 'OK\t\u00ff');
});

test('Response: null body statuses cannot have a body', () => {
  for (const status of [204, 205, 304]) {
    assert.throws(() => new Response('x', { status }), TypeError, String(status));
    assert.equal(new Response(null, { status }).status, status);
    assert.equal(new Response(undefined, { status }).body, null);
  }
  assert.equal(new Response('', { status: 200 }).status, 200);
  assert.throws(() => new Response('', { status: 204 }), TypeError);
});

test('Response: init headers and mutability', () => {
  const r = new Response('x', { headers: [['X-A', '1'], ['x-a', '2']] });
  assert.equal(r.headers.get('x-a'), '1, 2');
  r.headers.append('Set-Cookie', 'a=b');
  assert.deepEqual(r.headers.getSetCookie(), ['a=b']);
  assert.throws(() => new Response('x', { headers: { 'x y': '1' } }), TypeError);
  assert.throws(() => new Response('x', 'init'), TypeError);
});

test('Response: another Response works as the init', () => {
  const a = new Response('a', { status: 201, statusText: 'Made', headers: { k: 'v' } });
  const b = new Response('b', a);
  assert.equal(b.status, 201);
  assert.equal(b.statusText, 'Made');
  assert.equal(b.headers.get('k'), 'v');
});

test('Response: encodeBody and unknown init members are ignored', async () => {
  const r = new Response('x', { encodeBody: 'manual', foo: 1 });
  assert.equal(await r.text(), 'x');
});

test('Response.json', async () => {
  const r = Response.json({ a: 1 });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.deepEqual(await r.json(), { a: 1 });
  const r2 = Response.json([1], { status: 201, headers: { 'content-type': 'application/vnd.x+json' } });
  assert.equal(r2.status, 201);
  assert.equal(r2.headers.get('content-type'), 'application/vnd.x+json');
  assert.equal(await r2.text(), '[1]');
  assert.equal(await Response.json('s').text(), '"s"');
  assert.throws(() => Response.json(undefined), TypeError);
  assert.throws(() => Response.json(() => {}), TypeError);
  assert.throws(() => Response.json(1n), TypeError);
  assert.throws(() => Response.json({}, { status: 204 }), TypeError);
  assert.equal(Response.json.length, 1);
  r2.headers.set('x', 'mutable');
});

test('Response.redirect', () => {
  const r = Response.redirect('https://example.com/a b');
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), 'https://example.com/a%20b');
  assert.equal(r.body, null);
  for (const s of [301, 302, 303, 307, 308]) assert.equal(Response.redirect('http://x/', s).status, s);
  for (const s of [200, 300, 304, 309, 0]) assert.throws(() => Response.redirect('http://x/', s), RangeError, String(s));
  assert.throws(() => Response.redirect('/relative'), TypeError);
  assert.throws(() => Response.redirect(), TypeError);
  assert.equal(Response.redirect.length, 1);
});

test('Response.error', () => {
  const r = Response.error();
  assert.equal(r.type, 'error');
  assert.equal(r.status, 0);
  assert.equal(r.ok, false);
  assert.equal(r.statusText, '');
  assert.equal(r.body, null);
  assert.deepEqual(entriesOf(r.headers), []);
  assert.equal(r.clone().type, 'error');
});

test('Response: static methods are enumerable and not on the prototype', () => {
  for (const name of ['json', 'redirect', 'error']) {
    assert(Object.getOwnPropertyDescriptor(Response, name).enumerable, name);
    assert(!(name in Response.prototype) || name === 'json', name);
  }
  assert.equal(typeof Response.prototype.json, 'function'); // the body mixin's json()
});

test('Response: clone copies everything and both bodies read', async () => {
  const a = new Response('data', { status: 201, statusText: 'C', headers: { k: 'v' } });
  const b = a.clone();
  assert.equal(b.status, 201);
  assert.equal(b.statusText, 'C');
  assert.equal(b.headers.get('k'), 'v');
  assert.equal(b.headers.get('content-type'), 'text/plain;charset=UTF-8');
  b.headers.set('k', 'w');
  assert.equal(a.headers.get('k'), 'v');
  assert.equal(await b.text(), 'data');
  assert.equal(await a.text(), 'data');
  assert.throws(() => a.clone(), TypeError);
});

test('Response: clone of a byte body gives independent buffers', async () => {
  const a = new Response(new Uint8Array([1, 2, 3]));
  const b = a.clone();
  const x = await a.bytes();
  x[0] = 42;
  assert(sameBytes(await b.bytes(), [1, 2, 3]));
});

test('Response: clone of immutable headers stays immutable', () => {
  const r = Response.redirect('http://x/').clone();
  assert.throws(() => r.headers.set('a', 'b'), TypeError);
});

test('Response: getters check their receiver', () => {
  for (const name of ['status', 'ok', 'statusText', 'headers', 'type', 'url', 'redirected', 'webSocket', 'body', 'bodyUsed']) {
    const d = Object.getOwnPropertyDescriptor(Response.prototype, name);
    assert.throws(() => d.get.call({}), TypeError, name);
  }
  assert.throws(() => Object.getOwnPropertyDescriptor(Response.prototype, 'status').get.call(new Request('http://x/')), TypeError);
});

test('Response: subclassing works', async () => {
  class MyResponse extends Response {
    constructor(body) { super(body, { status: 202 }); }
    extra() { return 'extra'; }
  }
  const r = new MyResponse('sub');
  assert.equal(r.status, 202);
  assert.equal(r.extra(), 'extra');
  assert.equal(await r.text(), 'sub');
  assert(r instanceof Response);
});

// -------------------------------------------------------------------------------------------------------------------
// The runtime contract (needs the harness to expose `internal` as globalThis.__internal)

if (globalThis.__internal) {
  const internal = globalThis.__internal;
  const u8 = (s) => { const a = []; for (const c of s) a.push(c.charCodeAt(0)); return new Uint8Array(a); };

  test('contract: makeIncomingRequest builds a Request cheaply', async () => {
    const headers = ['host', 'example.com', 'content-type', 'text/plain', 'x-a', '1', 'x-a', '2'];
    const r = internal.makeIncomingRequest('POST', 'http://example.com/p?q=1', headers, u8('body!'));
    assert(r instanceof Request);
    assert.equal(r.method, 'POST');
    assert.equal(r.url, 'http://example.com/p?q=1');
    assert.equal(r.headers.get('x-a'), '1, 2');
    assert.equal(r.headers.get('Host'), 'example.com');
    assert.equal(await r.text(), 'body!');
    assert.equal(r.bodyUsed, true);
  });

  test('contract: incoming request headers are immutable; new Request() makes them mutable', () => {
    const r = internal.makeIncomingRequest('GET', 'http://h/', ['a', '1'], null);
    assert.equal(r.body, null);
    assert.throws(() => r.headers.set('a', '2'), TypeError);
    const copy = new Request(r);
    copy.headers.set('a', '2');
    assert.equal(copy.headers.get('a'), '2');
    assert.equal(r.headers.get('a'), '1');
    assert.throws(() => r.clone().headers.set('a', '3'), TypeError);
  });

  test('contract: incoming body as arrayBuffer/json/clone', async () => {
    const r = internal.makeIncomingRequest('PUT', 'http://h/', [], u8('{"a":1}'));
    const c = r.clone();
    assert.deepEqual(await r.json(), { a: 1 });
    const ab = await c.arrayBuffer();
    assert.equal(ab.byteLength, 7);
    const empty = internal.makeIncomingRequest('POST', 'http://h/', [], new Uint8Array(0));
    assert.equal(await empty.text(), '');
  });

  test('contract: responseParts of a string Response keeps the string', () => {
    const p = internal.responseParts(new Response('hello'));
    assert.equal(p.status, 200);
    assert.equal(p.statusText, '');
    assert.deepEqual(p.headers, ['content-type', 'text/plain;charset=UTF-8']);
    assert.equal(p.body, 'hello');
  });

  test('contract: responseParts headers keep insertion order and separate set-cookies', () => {
    const r = new Response(null, { status: 201, statusText: 'Created', headers: [['Z', '1'], ['Set-Cookie', 'a=1'], ['set-cookie', 'b=2'], ['A', 'x']] });
    const p = internal.responseParts(r);
    assert.equal(p.status, 201);
    assert.equal(p.statusText, 'Created');
    assert.deepEqual(p.headers, ['z', '1', 'set-cookie', 'a=1', 'set-cookie', 'b=2', 'a', 'x']);
    assert.equal(p.body, null);
    const r2 = new Response('x');
    r2.headers.set('x-late', 'yes');
    assert.deepEqual(internal.responseParts(r2).headers, ['content-type', 'text/plain;charset=UTF-8', 'x-late', 'yes']);
  });

  test('contract: responseParts body kinds', () => {
    const bytesBody = internal.responseParts(new Response(new Uint8Array([1, 2]))).body;
    assert(bytesBody instanceof Uint8Array);
    assert(sameBytes(bytesBody, [1, 2]));
    assert.equal(internal.responseParts(Response.json({ a: 1 })).body, '{"a":1}');
    assert.equal(internal.responseParts(new Response(new URLSearchParams('a=b'))).body, 'a=b');
    assert.equal(internal.responseParts(Response.redirect('http://x/', 301)).body, null);
    const e = internal.responseParts(Response.error());
    assert.equal(e.status, 0);
    if (hasStreams) {
      const s = streamOf([new Uint8Array([1])]);
      assert.equal(internal.responseParts(new Response(s)).body, s);
    }
  });

  test('contract: responseParts marks the body used and refuses a used body', async () => {
    const r = new Response('once');
    internal.responseParts(r);
    assert.equal(r.bodyUsed, true);
    await assert.rejects(r.text(), TypeError);
    assert.throws(() => internal.responseParts(r), TypeError);
    const r2 = new Response('x');
    await r2.text();
    assert.throws(() => internal.responseParts(r2), TypeError);
  });

  test('contract: an incoming GET or HEAD request gets a null body', () => {
    const r = internal.makeIncomingRequest('GET', 'http://h/', [], u8('ignored'));
    assert.equal(r.body, null);
    assert.equal(new Request(r).method, 'GET');
    assert.equal(internal.makeIncomingRequest('HEAD', 'http://h/', [], u8('x')).body, null);
  });

  test('contract: responseParts refuses a stream body someone is reading', () => {
    if (!hasStreams) return;
    const r = new Response('abc');
    r.body.getReader();
    assert.throws(() => internal.responseParts(r), TypeError);
  });

  test('contract: responseParts rejects non-Responses; isResponse', () => {
    for (const v of [null, undefined, {}, 'x', new Request('http://x/'), { status: 200 }]) {
      assert.throws(() => internal.responseParts(v), TypeError);
      assert.equal(internal.isResponse(v), false);
    }
    assert.equal(internal.isResponse(new Response()), true);
    assert.equal(internal.isResponse(Response.error()), true);
    assert.equal(internal.Headers, Headers);
    assert.equal(internal.Request, Request);
    assert.equal(internal.Response, Response);
  });

  test('contract: a cloned string Response still gives strings', async () => {
    const a = new Response('shared');
    const b = a.clone();
    assert.equal(internal.responseParts(a).body, 'shared');
    assert.equal(await b.text(), 'shared');
  });

  test('contract: requestParts and makeResponse (for fetch)', async () => {
    const req = new Request('http://x/y', { method: 'POST', body: 'payload', headers: { a: '1' } });
    const p = internal.requestParts(req);
    assert.equal(p.method, 'POST');
    assert.equal(p.url, 'http://x/y');
    assert.deepEqual(p.headers, ['a', '1', 'content-type', 'text/plain;charset=UTF-8']);
    assert.equal(p.body, 'payload');
    assert.equal(req.bodyUsed, true);
    const res = internal.makeResponse(404, 'Not Found', ['x', 'y'], u8('gone'), 'http://x/y', true);
    assert.equal(res.status, 404);
    assert.equal(res.url, 'http://x/y');
    assert.equal(res.redirected, true);
    assert.throws(() => res.headers.set('x', 'z'), TypeError);
    assert.equal(await res.text(), 'gone');
  });
}
