// Blob, File and FormData (src/api/blob/), and their use as Request/Response bodies (.blob(), .formData()).
'use strict';

const bytes = (...a) => new Uint8Array(a);
const sameBytes = (a, b) => a.length === b.length && Array.prototype.every.call(a, (x, i) => x === b[i]);
const blobBytes = async (b) => new Uint8Array(await b.arrayBuffer());

// -------------------------------------------------------------------------------------------------------------------
// Blob

test('Blob, File, FormData: globals and WebIDL shape', () => {
  for (const name of ['Blob', 'File', 'FormData']) {
    assert.equal(typeof globalThis[name], 'function');
    assert(!Object.getOwnPropertyDescriptor(globalThis, name).enumerable);
    assert.equal(Object.prototype.toString.call(globalThis[name].prototype), `[object ${name}]`);
  }
  assert.equal(Blob.length, 0);
  assert.equal(File.length, 2);
  assert.equal(FormData.prototype.append.length, 2);
  assert(Object.getOwnPropertyDescriptor(Blob.prototype, 'size').enumerable);
  assert(Object.getOwnPropertyDescriptor(Blob.prototype, 'slice').enumerable);
  assert.equal(Object.getPrototypeOf(File.prototype), Blob.prototype);
  assert.equal(FormData.prototype[Symbol.iterator], FormData.prototype.entries);
});

test('Blob: empty by default', async () => {
  const b = new Blob();
  assert.equal(b.size, 0);
  assert.equal(b.type, '');
  assert.equal(await b.text(), '');
  assert.equal((await b.arrayBuffer()).byteLength, 0);
  assert.equal(new Blob([]).size, 0);
});

test('Blob: strings are UTF-8, lone surrogates become U+FFFD', async () => {
  const b = new Blob(['a', 'é', '\ud800']);
  assert.equal(b.size, 1 + 2 + 3);
  assert(sameBytes(await blobBytes(b), [0x61, 0xc3, 0xa9, 0xef, 0xbf, 0xbd]));
  assert.equal(await b.text(), 'aé\ufffd');
});

test('Blob: ArrayBuffers, views (with offsets), Blobs and other values as parts', async () => {
  const buf = new Uint8Array([1, 2, 3, 4, 5, 6]).buffer;
  const parts = [
    buf,
    new Uint8Array(buf, 4, 2),
    new DataView(buf, 1, 1),
    new Uint16Array([0x0807]),
    new Blob([bytes(9)]),
    12,
    { toString() { return 'o'; } },
  ];
  const b = new Blob(parts);
  assert(sameBytes(await blobBytes(b), [1, 2, 3, 4, 5, 6, 5, 6, 2, 7, 8, 9, 0x31, 0x32, 0x6f]));
});

test('Blob: parts are copied; later writes to a source buffer do not show', async () => {
  const u8 = bytes(1, 2, 3);
  const b = new Blob([u8]);
  u8[0] = 42;
  assert(sameBytes(await blobBytes(b), [1, 2, 3]));
  const ab = await b.arrayBuffer();
  new Uint8Array(ab)[1] = 42;
  assert(sameBytes(await b.bytes(), [1, 2, 3]), 'arrayBuffer() hands out a copy');
  const got = await b.bytes();
  assert(got instanceof Uint8Array);
  got[2] = 42;
  assert(sameBytes(await b.bytes(), [1, 2, 3]), 'bytes() hands out a copy');
});

test('Blob: blobParts must be a sequence', () => {
  assert.throws(() => new Blob('abc'), TypeError);
  assert.throws(() => new Blob(5), TypeError);
  assert.throws(() => new Blob({}), TypeError);
  assert.throws(() => new Blob(null), TypeError);
  assert.throws(() => new Blob([Symbol('s')]), TypeError);
  assert.equal(new Blob(new Set(['ab'])).size, 2);
});

test('Blob: type is lower-cased, or empty when it has non-printable characters', () => {
  assert.equal(new Blob([], { type: 'Text/HTML' }).type, 'text/html');
  assert.equal(new Blob([], { type: 'a\u00e9' }).type, '');
  assert.equal(new Blob([], { type: 'a\nb' }).type, '');
  assert.equal(new Blob([], { type: 'multipart/form-data; boundary=X' }).type, 'multipart/form-data; boundary=x');
  assert.throws(() => new Blob([], 5), TypeError);
});

test('Blob: endings "native" converts line breaks in strings to \\n', async () => {
  assert.equal(await new Blob(['a\r\nb\rc\n'], { endings: 'native' }).text(), 'a\nb\nc\n');
  assert.equal(await new Blob(['a\r\nb'], { endings: 'transparent' }).text(), 'a\r\nb');
  assert.equal(await new Blob([bytes(13, 10)], { endings: 'native' }).size, 2, 'only strings are converted');
  assert.throws(() => new Blob([], { endings: 'unix' }), TypeError);
});

test('Blob: slice() with positive and negative indices, clamping, and a content type', async () => {
  const b = new Blob(['0123456789'], { type: 'text/plain' });
  assert.equal(await b.slice(2, 5).text(), '234');
  assert.equal(await b.slice(-3).text(), '789');
  assert.equal(await b.slice(-3, -1).text(), '78');
  assert.equal(await b.slice(5, 2).text(), '');
  assert.equal(await b.slice(-100, 100).text(), '0123456789');
  assert.equal(await b.slice().text(), '0123456789');
  assert.equal(await b.slice(1.5, 3.5).text(), '23', '[Clamp] rounds half to even');
  assert.equal(b.slice(0, 1).type, '', 'no content type given: empty');
  assert.equal(b.slice(0, 1, 'Image/PNG').type, 'image/png');
  assert.equal(b.slice(2, 5).slice(1).size, 2);
  assert.equal(await b.slice(2, 8).slice(-2, -1).text(), '6');
});

test('Blob: text() drops a leading BOM and replaces invalid bytes', async () => {
  assert.equal(await new Blob([bytes(0xef, 0xbb, 0xbf, 0x68, 0x69)]).text(), 'hi');
  assert.equal(await new Blob([bytes(0x68, 0xff)]).text(), 'h\ufffd');
});

test('Blob: stream() is a byte ReadableStream of the bytes', async () => {
  const b = new Blob(['hello ', 'world']);
  const s = b.stream();
  assert(s instanceof ReadableStream);
  const reader = s.getReader({ mode: 'byob' });
  const { value } = await reader.read(new Uint8Array(5));
  assert.equal(new TextDecoder().decode(value), 'hello');
  reader.releaseLock();
  const rest = [];
  for await (const chunk of s) {
    assert(chunk instanceof Uint8Array);
    rest.push(new TextDecoder().decode(chunk));
  }
  assert.equal(rest.join(''), ' world');
  assert.equal(await new Response(b.stream()).text(), 'hello world');
});

test('Blob: brand checks', async () => {
  assert.throws(() => Object.getOwnPropertyDescriptor(Blob.prototype, 'size').get.call({}), TypeError);
  assert.throws(() => Blob.prototype.slice.call({}), TypeError);
  await assert.rejects(Blob.prototype.text.call({}), TypeError);
  await assert.rejects(Blob.prototype.arrayBuffer.call(null), TypeError);
  assert.throws(() => Object.getOwnPropertyDescriptor(File.prototype, 'name').get.call(new Blob()), TypeError);
});

// -------------------------------------------------------------------------------------------------------------------
// File

test('File: name, lastModified (defaulting to now), type, bytes', async () => {
  const before = Date.now();
  const f = new File(['abc'], 'a.txt', { type: 'Text/Plain' });
  assert(f instanceof Blob);
  assert(f instanceof File);
  assert.equal(f.name, 'a.txt');
  assert.equal(f.type, 'text/plain');
  assert.equal(f.size, 3);
  assert(f.lastModified >= before && f.lastModified <= Date.now());
  assert.equal(await f.text(), 'abc');
  assert.equal(new File([], 'x', { lastModified: 42 }).lastModified, 42);
  assert.equal(new File([], 'n\ud800').name, 'n\ufffd');
  assert.equal(Object.prototype.toString.call(f), '[object File]');
  assert.throws(() => new File(['x']), TypeError);
  assert.equal(f.slice(1).constructor, Blob, 'slicing a File gives a Blob');
});

// -------------------------------------------------------------------------------------------------------------------
// FormData

test('FormData: append/get/getAll/has/delete', () => {
  const fd = new FormData();
  assert.equal(fd.get('a'), null);
  assert.equal(fd.has('a'), false);
  fd.append('a', '1');
  fd.append('b', '2');
  fd.append('a', '3');
  assert.equal(fd.get('a'), '1');
  assert.deepEqual(fd.getAll('a'), ['1', '3']);
  assert.deepEqual(fd.getAll('zzz'), []);
  assert.equal(fd.has('b'), true);
  fd.delete('a');
  assert.equal(fd.has('a'), false);
  assert.deepEqual([...fd], [['b', '2']]);
  fd.append('n', 5);
  assert.equal(fd.get('n'), '5');
});

test('FormData: set() replaces the first entry in place and drops the rest', () => {
  const fd = new FormData();
  fd.append('a', '1');
  fd.append('b', '2');
  fd.append('a', '3');
  fd.append('c', '4');
  fd.set('a', 'x');
  assert.deepEqual([...fd], [['a', 'x'], ['b', '2'], ['c', '4']]);
  fd.set('d', 'new');
  assert.deepEqual([...fd.keys()], ['a', 'b', 'c', 'd']);
});

test('FormData: Blob values become Files named "blob" or the given filename', async () => {
  const fd = new FormData();
  fd.append('b', new Blob(['data'], { type: 'text/x' }));
  fd.append('f', new Blob(['file']), 'name.bin');
  fd.append('g', new File(['g'], 'orig.txt', { lastModified: 7 }));
  fd.append('h', new File(['h'], 'orig.txt', { lastModified: 7 }), 'renamed.txt');
  const b = fd.get('b');
  assert(b instanceof File);
  assert.equal(b.name, 'blob');
  assert.equal(b.type, 'text/x');
  assert.equal(await b.text(), 'data');
  assert.equal(fd.get('f').name, 'name.bin');
  assert.equal(fd.get('g').name, 'orig.txt');
  assert.equal(fd.get('h').name, 'renamed.txt');
  assert.equal(fd.get('h').lastModified, 7);
  fd.set('b', new Blob(['z']), 'z.txt');
  assert.equal(fd.get('b').name, 'z.txt');
});

test('FormData: argument checks', () => {
  const fd = new FormData();
  assert.throws(() => fd.append('a'), TypeError);
  assert.throws(() => fd.append('a', 'string', 'filename'), TypeError);
  assert.throws(() => fd.set('a', {}, 'filename'), TypeError);
  assert.throws(() => new FormData({}), TypeError);
  assert.throws(() => FormData.prototype.get.call({}, 'a'), TypeError);
  assert.throws(() => fd.forEach('nope'), TypeError);
});

test('FormData: names and values are USVStrings', () => {
  const fd = new FormData();
  fd.append('k\udc00', 'v\ud800');
  assert.deepEqual([...fd], [['k\ufffd', 'v\ufffd']]);
  assert.equal(fd.get('k\udc00'), 'v\ufffd');
});

test('FormData: entries/keys/values/forEach in insertion order; live iterators', () => {
  const fd = new FormData();
  fd.append('a', '1');
  fd.append('b', '2');
  assert.deepEqual([...fd.entries()], [['a', '1'], ['b', '2']]);
  assert.deepEqual([...fd.keys()], ['a', 'b']);
  assert.deepEqual([...fd.values()], ['1', '2']);
  const seen = [];
  const ctx = {};
  fd.forEach(function (value, key, obj) {
    assert.equal(this, ctx);
    assert.equal(obj, fd);
    seen.push(`${key}=${value}`);
  }, ctx);
  assert.deepEqual(seen, ['a=1', 'b=2']);
  const it = fd.keys();
  assert.equal(Object.prototype.toString.call(it), '[object FormData Iterator]');
  assert.equal(typeof it[Symbol.iterator], 'function');
  assert.deepEqual(it.next(), { value: 'a', done: false });
  fd.append('c', '3');
  assert.deepEqual(it.next(), { value: 'b', done: false });
  assert.deepEqual(it.next(), { value: 'c', done: false });
  assert.deepEqual(it.next(), { value: undefined, done: true });
});

// -------------------------------------------------------------------------------------------------------------------
// Bodies

test('Response(FormData): multipart body, formData() round trip', async () => {
  const fd = new FormData();
  fd.append('text', 'line1\nline2\r\nline3');
  fd.append('quote"d\nname', 'é');
  fd.append('file', new Blob([bytes(0, 1, 2, 255, 13, 10, 45, 45)], { type: 'application/x-bin' }), 'bin"ary.dat');
  fd.append('empty', new Blob([]), 'empty.txt');
  fd.append('last', '');
  const r = new Response(fd);
  const ct = r.headers.get('content-type');
  assert(/^multipart\/form-data; boundary=\S+$/.test(ct), ct);
  const back = await r.formData();
  assert.deepEqual([...back.keys()], ['text', 'quote"d\r\nname', 'file', 'empty', 'last']);
  assert.equal(back.get('text'), 'line1\r\nline2\r\nline3');
  assert.equal(back.get('quote"d\r\nname'), 'é');
  const f = back.get('file');
  assert(f instanceof File);
  assert.equal(f.name, 'bin"ary.dat');
  assert.equal(f.type, 'application/x-bin');
  assert(sameBytes(await blobBytes(f), [0, 1, 2, 255, 13, 10, 45, 45]));
  assert.equal(back.get('empty').size, 0);
  assert.equal(back.get('empty').name, 'empty.txt');
  assert.equal(back.get('last'), '');
});

test('Request(FormData).formData() and the raw multipart text', async () => {
  const fd = new FormData();
  fd.append('a', 'b');
  fd.append('up', new File(['content'], 'f.txt', { type: 'text/plain' }));
  const req = new Request('http://x/', { method: 'POST', body: fd });
  const boundary = req.headers.get('content-type').split('boundary=')[1];
  const text = await req.clone().text();
  assert.equal(text,
    `--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="up"; filename="f.txt"\r\nContent-Type: text/plain\r\n\r\n` +
    `content\r\n--${boundary}--\r\n`);
  const back = await req.formData();
  assert.equal(back.get('a'), 'b');
  assert.equal(await back.get('up').text(), 'content');
  assert.equal(req.bodyUsed, true);
});

test('formData(): application/x-www-form-urlencoded bodies', async () => {
  const r = new Request('http://x/', {
    method: 'POST',
    body: 'a=1&b=%C3%A9+x&a=2',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const fd = await r.formData();
  assert.deepEqual([...fd], [['a', '1'], ['b', 'é x'], ['a', '2']]);
  const fd2 = await new Response(new URLSearchParams('q=1')).formData();
  assert.equal(fd2.get('q'), '1');
});

test('formData(): hand-written multipart bodies, quoted boundaries, defaults', async () => {
  const body = 'preamble\r\n--B0undary\r\nContent-Disposition: form-data; name="x"\r\n\r\nvalue\r\n' +
    '--B0undary\r\ncontent-disposition: form-data; filename="f.txt"; name="up"\r\n\r\nraw\r\n--B0undary--\r\nepilogue';
  const fd = await new Response(body, { headers: { 'content-type': 'multipart/form-data; charset=utf-8; boundary="B0undary"' } }).formData();
  assert.equal(fd.get('x'), 'value');
  assert.equal(fd.get('up').name, 'f.txt');
  assert.equal(fd.get('up').type, 'text/plain');
  assert.equal(await fd.get('up').text(), 'raw');
});

test('formData(): malformed bodies and wrong content types reject with TypeError', async () => {
  const mp = (body, type = 'multipart/form-data; boundary=b') => new Response(body, { headers: { 'content-type': type } }).formData();
  await assert.rejects(mp('no delimiter here'), TypeError);
  await assert.rejects(mp('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated'), TypeError);
  await assert.rejects(mp('--b\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--b--'), TypeError);
  await assert.rejects(mp('--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--'), TypeError, 'no name');
  await assert.rejects(mp('--b--', 'multipart/form-data'), TypeError, 'no boundary');
  await assert.rejects(new Response('a=1').formData(), TypeError);
  await assert.rejects(new Response('a=1', { headers: { 'content-type': 'application/json' } }).formData(), TypeError);
  const ok = await mp('--b--');
  assert.deepEqual([...ok], []);
});

test('Response/Request .blob() and Blob bodies', async () => {
  const r = new Response(new Blob(['xyz'], { type: 'text/x-custom' }));
  assert.equal(r.headers.get('content-type'), 'text/x-custom');
  const b = await r.blob();
  assert(b instanceof Blob);
  assert.equal(b.type, 'text/x-custom');
  assert.equal(await b.text(), 'xyz');
  const b2 = await new Response('abc', { headers: { 'content-type': 'text/plain' } }).blob();
  assert.equal(b2.type, 'text/plain');
  assert.equal(b2.size, 3);
  const req = new Request('http://x/', { method: 'PUT', body: new Blob([bytes(1, 2)]) });
  assert.equal(req.headers.get('content-type'), null, 'an untyped Blob sets no content-type');
  assert(sameBytes(await blobBytes(await req.blob()), [1, 2]));
  const streamed = new Response(new Blob(['s1', 's2']));
  const chunks = [];
  for await (const c of streamed.body) chunks.push(...c);
  assert.equal(new TextDecoder().decode(new Uint8Array(chunks)), 's1s2');
});

// -------------------------------------------------------------------------------------------------------------------
// Runtime helpers

if (globalThis.__internal) {
  const internal = globalThis.__internal;

  test('internal: Blob/File/FormData exports, blobBytes', () => {
    assert.equal(internal.Blob, Blob);
    assert.equal(internal.File, File);
    assert.equal(internal.FormData, FormData);
    const b = new Blob(['ab', bytes(3)]);
    const u8 = internal.blobBytes(b);
    assert(u8 instanceof Uint8Array);
    assert(sameBytes(u8, [97, 98, 3]));
    assert(sameBytes(internal.blobBytes(b.slice(1, 2)), [98]));
    assert.throws(() => internal.blobBytes({}), TypeError);
    assert.equal(internal.isBlob(b), true);
    assert.equal(internal.isBlob('x'), false);
  });

  test('internal: serializeFormData / parseFormData', () => {
    const fd = new FormData();
    fd.append('k', 'v');
    fd.append('f', new Blob([bytes(200, 201)], { type: 'image/png' }), 'p.png');
    const { contentType, bytes: body } = internal.serializeFormData(fd);
    assert(body instanceof Uint8Array);
    assert(contentType.startsWith('multipart/form-data; boundary='));
    const back = internal.parseFormData(body, contentType);
    assert(back instanceof FormData);
    assert.equal(back.get('k'), 'v');
    assert(sameBytes(internal.blobBytes(back.get('f')), [200, 201]));
    assert.equal(back.get('f').type, 'image/png');
    const url = internal.parseFormData(new TextEncoder().encode('x=1&y=2'), 'application/x-www-form-urlencoded;charset=UTF-8');
    assert.deepEqual([...url], [['x', '1'], ['y', '2']]);
    assert.throws(() => internal.parseFormData(new Uint8Array(0), null), TypeError);
    assert.throws(() => internal.parseFormData(new Uint8Array(0), 'text/plain'), TypeError);
  });

  test('internal: a Blob response body goes to the server as its bytes', () => {
    const parts = internal.responseParts(new Response(new Blob(['wire'])));
    assert(parts.body instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(parts.body), 'wire');
  });
}
