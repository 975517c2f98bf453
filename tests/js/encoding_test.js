// TextEncoder, TextDecoder, atob and btoa.
'use strict';

const bytes = (...b) => new Uint8Array(b);
const codes = (s) => Array.from(s, (c) => c.charCodeAt(0));
const eqArr = (a, b, msg) => assert.deepEqual(Array.from(a), Array.from(b), msg);

// ---- TextEncoder

test('TextEncoder basics', () => {
  const enc = new TextEncoder();
  assert.equal(enc.encoding, 'utf-8');
  assert.equal(Object.prototype.toString.call(enc), '[object TextEncoder]');
  const out = enc.encode('aé€😀');
  assert.ok(out instanceof Uint8Array, 'a Uint8Array of this realm');
  eqArr(out, [0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
  eqArr(enc.encode(), []);
  eqArr(enc.encode(undefined), []);
  eqArr(enc.encode(null), [0x6e, 0x75, 0x6c, 0x6c]);
  eqArr(enc.encode('\ud800x'), [0xef, 0xbf, 0xbd, 0x78], 'lone surrogate → U+FFFD');
  assert.throws(() => enc.encode(Symbol('s')), TypeError);
});

test('TextEncoder.encodeInto', () => {
  const enc = new TextEncoder();
  const dst = new Uint8Array(5);
  const r = enc.encodeInto('a€b', dst);
  assert.deepEqual(r, { read: 3, written: 5 });
  eqArr(dst, [0x61, 0xe2, 0x82, 0xac, 0x62]);
  const small = new Uint8Array(3);
  const r2 = enc.encodeInto('a€', small);
  assert.deepEqual(r2, { read: 1, written: 1 }, 'does not split a character');
  const r3 = enc.encodeInto('😀', new Uint8Array(4));
  assert.deepEqual(r3, { read: 2, written: 4 }, 'read counts UTF-16 code units');
  assert.throws(() => enc.encodeInto('a', new Uint16Array(2)), TypeError);
  assert.throws(() => enc.encodeInto('a', new ArrayBuffer(2)), TypeError);
  assert.throws(() => enc.encodeInto('a'), TypeError);
});

test('TextEncoder brand checks', () => {
  const enc = new TextEncoder();
  assert.throws(() => TextEncoder.prototype.encode.call({}, 'a'), TypeError);
  assert.throws(() => Object.getOwnPropertyDescriptor(TextEncoder.prototype, 'encoding').get.call({}), TypeError);
  assert.equal(typeof TextEncoder.prototype.encodeInto, 'function');
  assert.ok(!Object.prototype.hasOwnProperty.call(enc, 'encode'), 'methods live on the prototype');
});

// ---- TextDecoder

test('TextDecoder labels', () => {
  for (const label of ['utf-8', 'UTF-8', 'utf8', ' utf-8\n', '\t\f\rUnicode-1-1-UTF-8 ', 'unicode11utf8',
    'unicode20utf8', 'x-unicode20utf8']) {
    assert.equal(new TextDecoder(label).encoding, 'utf-8', label);
  }
  assert.equal(new TextDecoder().encoding, 'utf-8');
  assert.equal(new TextDecoder(undefined).encoding, 'utf-8');
  for (const label of ['latin1', 'utf-16le', 'utf-8x', '', 'utf\u00a0-8', '\u00a0utf-8', 'utf-16']) {
    assert.throws(() => new TextDecoder(label), RangeError, JSON.stringify(label));
  }
  const d = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  assert.equal(d.fatal, true);
  assert.equal(d.ignoreBOM, true);
  const d2 = new TextDecoder();
  assert.equal(d2.fatal, false);
  assert.equal(d2.ignoreBOM, false);
  assert.equal(Object.prototype.toString.call(d2), '[object TextDecoder]');
});

test('TextDecoder decodes buffers, views and nothing', () => {
  const d = new TextDecoder();
  const buf = bytes(0x61, 0xe2, 0x82, 0xac, 0x62);
  assert.equal(d.decode(buf), 'a€b');
  assert.equal(d.decode(buf.buffer), 'a€b');
  assert.equal(d.decode(new DataView(buf.buffer, 1, 3)), '€');
  assert.equal(d.decode(new Uint16Array(bytes(0x68, 0x69).buffer)), 'hi');
  assert.equal(d.decode(buf.subarray(1, 4)), '€');
  assert.equal(d.decode(), '');
  assert.equal(d.decode(undefined), '');
  assert.equal(d.decode(new Uint8Array(0)), '');
  assert.throws(() => d.decode('abc'), TypeError);
  assert.throws(() => d.decode([0x61]), TypeError);
  assert.throws(() => d.decode(null), TypeError);
  assert.throws(() => TextDecoder.prototype.decode.call({}, buf), TypeError);
});

test('TextDecoder replacement and fatal', () => {
  const d = new TextDecoder();
  assert.equal(d.decode(bytes(0x61, 0xff, 0x62)), 'a\ufffdb');
  assert.equal(d.decode(bytes(0xe2, 0x82)), '\ufffd', 'truncated sequence at the end → one U+FFFD');
  assert.equal(d.decode(bytes(0xed, 0xa0, 0x80)), '\ufffd\ufffd\ufffd', 'surrogate code points are invalid');
  assert.equal(d.decode(bytes(0xc0, 0x80)), '\ufffd\ufffd', 'overlong');
  const f = new TextDecoder('utf-8', { fatal: true });
  assert.throws(() => f.decode(bytes(0x61, 0xff)), TypeError);
  assert.throws(() => f.decode(bytes(0xe2, 0x82)), TypeError);
  assert.equal(f.decode(bytes(0x61)), 'a', 'usable after an error');
});

test('TextDecoder BOM handling', () => {
  const bomA = bytes(0xef, 0xbb, 0xbf, 0x41);
  assert.equal(new TextDecoder().decode(bomA), 'A');
  assert.equal(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bomA), '\ufeffA');
  const d = new TextDecoder();
  assert.equal(d.decode(bomA), 'A');
  assert.equal(d.decode(bomA), 'A', 'each non-streaming decode is a new stream');
  assert.equal(d.decode(bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf)), '\ufeff', 'only the first BOM is stripped');
  // In a stream, only a BOM at the very start is stripped, even when split.
  const s = new TextDecoder();
  assert.equal(s.decode(bytes(0xef), { stream: true }), '');
  assert.equal(s.decode(bytes(0xbb), { stream: true }), '');
  assert.equal(s.decode(bytes(0xbf, 0x41), { stream: true }), 'A');
  assert.equal(s.decode(bytes(0xef, 0xbb, 0xbf), { stream: true }), '\ufeff');
  assert.equal(s.decode(), '');
  assert.equal(s.decode(bomA), 'A', 'a new stream strips again');
});

test('TextDecoder streaming carries split sequences', () => {
  const text = 'a€😀é\u0800z';
  const all = new TextEncoder().encode(text);
  // Every way of cutting the input into two or three chunks decodes to the same string.
  for (let i = 0; i <= all.length; i++) {
    for (let j = i; j <= all.length; j++) {
      const d = new TextDecoder();
      let out = d.decode(all.subarray(0, i), { stream: true });
      out += d.decode(all.subarray(i, j), { stream: true });
      out += d.decode(all.subarray(j));
      assert.equal(out, text, `cut at ${i},${j}`);
    }
  }
  // Byte by byte.
  const d = new TextDecoder();
  let out = '';
  for (const b of all) out += d.decode(bytes(b), { stream: true });
  out += d.decode();
  assert.equal(out, text);
});

test('TextDecoder streaming with invalid and truncated input', () => {
  const d = new TextDecoder();
  assert.equal(d.decode(bytes(0xf0, 0x9f), { stream: true }), '');
  assert.equal(d.decode(bytes(0x98), { stream: true }), '');
  assert.equal(d.decode(), '\ufffd', 'a truncated sequence is flushed as one U+FFFD');
  assert.equal(d.decode(bytes(0xe0, 0x80), { stream: true }), '\ufffd\ufffd', 'E0 80 is invalid at once');
  assert.equal(d.decode(bytes(0x41)), 'A');
  assert.equal(d.decode(bytes(0xe2, 0x82), { stream: true }), '');
  assert.equal(d.decode(bytes(0x41), { stream: true }), '\ufffdA', 'an interrupted sequence');
  assert.equal(d.decode(bytes(0xe2), { stream: true }), '');
  assert.equal(d.decode(bytes(0xf0, 0x9f, 0x98, 0x80)), '\ufffd😀');
  const f = new TextDecoder('utf-8', { fatal: true });
  assert.equal(f.decode(bytes(0xe2, 0x82), { stream: true }), '', 'incomplete is fine while streaming');
  assert.equal(f.decode(bytes(0xac)), '€');
  assert.equal(f.decode(bytes(0xe2, 0x82), { stream: true }), '');
  assert.throws(() => f.decode(), TypeError, 'incomplete at the end is fatal');
  assert.equal(f.decode(bytes(0x42)), 'B', 'and the decoder starts over');
});

// ---- atob / btoa

test('btoa', () => {
  assert.equal(btoa(''), '');
  assert.equal(btoa('f'), 'Zg==');
  assert.equal(btoa('fo'), 'Zm8=');
  assert.equal(btoa('foo'), 'Zm9v');
  assert.equal(btoa('foobar'), 'Zm9vYmFy');
  assert.equal(btoa('\x00\xff\xfe'), 'AP/+');
  assert.equal(btoa(null), 'bnVsbA==');
  assert.equal(btoa(undefined), 'dW5kZWZpbmVk');
  assert.equal(btoa(12), 'MTI=');
  let all = '';
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  assert.equal(atob(btoa(all)), all);
  const e = assert.throws(() => btoa('€'), 'InvalidCharacterError');
  assert.ok(e instanceof DOMException);
  assert.equal(e.code, 5);
  assert.throws(() => btoa('\u0100'), 'InvalidCharacterError');
  assert.throws(() => btoa(), TypeError);
  const big = 'x'.repeat(100000);
  assert.equal(atob(btoa(big)), big);
});

test('atob behaviour', () => {
  assert.equal(atob(''), '');
  assert.equal(atob('Zm9vYmFy'), 'foobar');
  assert.equal(atob(' Zm9v\tYm\nFy\f\r'), 'foobar', 'ASCII whitespace is ignored');
  assert.equal(atob('Zg'), 'f', 'padding is optional');
  assert.equal(atob('Zg=='), 'f');
  assert.equal(atob('Zm8'), 'fo');
  assert.equal(atob('Zm8='), 'fo');
  assert.equal(atob('Zh=='), 'f', 'leftover bits are discarded');
  assert.equal(atob('AP/+'), '\x00\xff\xfe');
  assert.equal(atob(null), '\x9e\xe9e', 'null becomes "null"');
  for (const bad of ['Z', 'Zg=', 'Zm9v=', 'Zg===', '=Zg', 'Z=g=', 'Zm9v\u00a0', 'Zm-_', 'Zm9v*', '====', 'Zg==Zg==']) {
    const e = assert.throws(() => atob(bad), 'InvalidCharacterError', JSON.stringify(bad));
    assert.ok(e instanceof DOMException);
  }
  assert.throws(() => atob(), TypeError);
  assert.throws(() => atob(undefined), 'InvalidCharacterError', '"undefined" has length 9');
});

test('atob WPT data (fetch-data-urls/base64.json)', () => {
  const cases = loadTestData('conformance/wpt/fetch-data-urls/base64.json');
  assert.ok(cases.length > 50, 'loaded the data');
  let checked = 0;
  for (const [input, expected] of cases) {
    const label = JSON.stringify(input);
    if (expected === null) {
      assert.throws(() => atob(input), 'InvalidCharacterError', label);
    } else {
      let out;
      try { out = atob(input); } catch (e) { assert.ok(false, `${label} threw ${e && e.name}`); }
      // (Array.from: under the Node runner the data comes from another realm.)
      assert.deepEqual(codes(out), Array.from(expected), label);
    }
    checked++;
  }
  assert.equal(checked, cases.length);
});

test('globals are WebIDL-like', () => {
  for (const name of ['TextEncoder', 'TextDecoder', 'atob', 'btoa']) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    assert.ok(d && d.writable && d.configurable && !d.enumerable, name);
  }
});
