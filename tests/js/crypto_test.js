// crypto.subtle: known-answer tests from published vectors, round trips, cross-checks and error cases.
'use strict';

const subtle = crypto.subtle;
const hex = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
const toHex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
const utf8 = (s) => new TextEncoder().encode(s);
const range = (from, to) => Uint8Array.from({ length: to - from }, (_, i) => from + i);
const fill = (n, v) => new Uint8Array(n).fill(v);
const b64url = (bytes) =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromB64url = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
const assertHex = (actual, expected, msg) => assert.equal(toHex(actual), expected.toLowerCase(), msg);

// ---- SHA (FIPS 180-2 appendix vectors)

test('digest: FIPS 180 "abc" for SHA-1/256/384/512', async () => {
  const abc = utf8('abc');
  assertHex(await subtle.digest('SHA-1', abc), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assertHex(await subtle.digest('SHA-256', abc), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assertHex(await subtle.digest('SHA-384', abc),
    'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7');
  assertHex(await subtle.digest({ name: 'SHA-512' }, abc),
    'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f');
});

test('digest: two-block and empty messages, any BufferSource, case-insensitive names', async () => {
  assertHex(await subtle.digest('SHA-256', utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  assertHex(await subtle.digest('sha-256', new ArrayBuffer(0)),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  const buf = utf8('xabcx');
  assertHex(await subtle.digest('SHA-1', new DataView(buf.buffer, 1, 3)), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assertHex(await subtle.digest('SHA-1', buf.subarray(1, 4)), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  const result = await subtle.digest('SHA-256', buf);
  assert.ok(result instanceof ArrayBuffer);
});

test('digest: the data is copied when the call is made', async () => {
  const data = utf8('abc');
  const p = subtle.digest('SHA-1', data);
  data[0] = 0;
  assertHex(await p, 'a9993e364706816aba3e25717850c26c9cd0d89d');
});

test('digest: errors', async () => {
  await assert.rejects(subtle.digest('SHA-3', utf8('a')), 'NotSupportedError');
  await assert.rejects(subtle.digest('MD5', utf8('a')), 'NotSupportedError');
  await assert.rejects(subtle.digest(5, utf8('a')), 'NotSupportedError');
  await assert.rejects(subtle.digest({}, utf8('a')), TypeError);
  await assert.rejects(subtle.digest('SHA-256', 'abc'), TypeError);
  await assert.rejects(subtle.digest('SHA-256'), TypeError);
  const p = subtle.digest.call({}, 'SHA-256', utf8('a'));
  assert.ok(p instanceof Promise, 'returns a promise even for a bad receiver');
  await assert.rejects(p, TypeError);
});

// ---- HMAC (RFC 4231 test cases 1-4)

const hmacCases = [
  { key: fill(20, 0x0b), data: utf8('Hi There'), mac: {
    'SHA-256': 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    'SHA-384': 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6',
    'SHA-512': '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
  } },
  { key: utf8('Jefe'), data: utf8('what do ya want for nothing?'), mac: {
    'SHA-256': '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    'SHA-384': 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
    'SHA-512': '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
  } },
  { key: fill(20, 0xaa), data: fill(50, 0xdd), mac: {
    'SHA-256': '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
    'SHA-512': 'fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb',
  } },
  { key: range(1, 26), data: fill(50, 0xcd), mac: {
    'SHA-256': '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    'SHA-512': 'b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd',
  } },
];

test('HMAC: RFC 4231 test cases 1-4 sign and verify', async () => {
  for (const [i, c] of hmacCases.entries()) {
    for (const hash in c.mac) {
      const key = await subtle.importKey('raw', c.key, { name: 'HMAC', hash }, false, ['sign', 'verify']);
      const mac = await subtle.sign('HMAC', key, c.data);
      assertHex(mac, c.mac[hash], `case ${i + 1} ${hash}`);
      assert.equal(await subtle.verify('HMAC', key, hex(c.mac[hash]), c.data), true);
      const bad = hex(c.mac[hash]);
      bad[3] ^= 1;
      assert.equal(await subtle.verify('HMAC', key, bad, c.data), false);
      assert.equal(await subtle.verify('HMAC', key, hex(c.mac[hash]).subarray(1), c.data), false, 'short MAC');
    }
  }
});

test('HMAC: generateKey lengths, key algorithm, import length', async () => {
  const k256 = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
  assert.deepEqual(k256.algorithm, { name: 'HMAC', length: 512, hash: { name: 'SHA-256' } });
  assert.equal((await subtle.exportKey('raw', k256)).byteLength, 64);
  const k384 = await subtle.generateKey({ name: 'HMAC', hash: { name: 'SHA-384' } }, true, ['sign']);
  assert.equal(k384.algorithm.length, 1024);
  const k = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-1', length: 160 }, true, ['sign']);
  assert.equal((await subtle.exportKey('raw', k)).byteLength, 20);
  const imported = await subtle.importKey('raw', fill(4, 1), { name: 'HMAC', hash: 'SHA-1', length: 30 }, true,
    ['verify']);
  assert.equal(imported.algorithm.length, 30);
  await assert.rejects(subtle.importKey('raw', fill(4, 1), { name: 'HMAC', hash: 'SHA-1', length: 40 }, true,
    ['sign']), 'DataError');
  await assert.rejects(subtle.importKey('raw', fill(4, 1), { name: 'HMAC', hash: 'SHA-1', length: 24 }, true,
    ['sign']), 'DataError');
  await assert.rejects(subtle.importKey('raw', new Uint8Array(0), { name: 'HMAC', hash: 'SHA-1' }, true, ['sign']),
    'DataError');
  await assert.rejects(subtle.importKey('raw', fill(4, 1), { name: 'HMAC' }, true, ['sign']), TypeError,
    'hash is required');
});

// ---- AES-GCM (McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 2-4 and 14-16)

const gcmP = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const gcmK = 'feffe9928665731c6d6a8f9467308308';
const gcmIV = 'cafebabefacedbaddecaf888';
const gcmA = 'feedfacedeadbeeffeedfacedeadbeefabaddad2';
const gcmCases = [
  { n: 2, k: '0'.repeat(32), p: '0'.repeat(32), iv: '0'.repeat(24),
    c: '0388dace60b6a392f328c2b971b2fe78', t: 'ab6e47d42cec13bdf53a67b21257bddf' },
  { n: 3, k: gcmK, p: gcmP, iv: gcmIV,
    c: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985',
    t: '4d5c2af327cd64a62cf35abd2ba6fab4' },
  { n: 4, k: gcmK, p: gcmP.slice(0, 120), iv: gcmIV, a: gcmA,
    c: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091',
    t: '5bc94fbc3221a5db94fae95ae7121a47' },
  { n: 14, k: '0'.repeat(64), p: '0'.repeat(32), iv: '0'.repeat(24),
    c: 'cea7403d4d606b6e074ec5d3baf39d18', t: 'd0d1c8a799996bf0265b98b5d48ab919' },
  { n: 15, k: gcmK + gcmK, p: gcmP, iv: gcmIV,
    c: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad',
    t: 'b094dac5d93471bdec1a502270e3cc6c' },
  { n: 16, k: gcmK + gcmK, p: gcmP.slice(0, 120), iv: gcmIV, a: gcmA,
    c: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    t: '76fc6ece0f4e1768cddf8853bb2d551b' },
];

test('AES-GCM: GCM spec test cases 2-4 and 14-16, both directions', async () => {
  for (const c of gcmCases) {
    const key = await subtle.importKey('raw', hex(c.k), 'AES-GCM', false, ['encrypt', 'decrypt']);
    const params = { name: 'AES-GCM', iv: hex(c.iv) };
    if (c.a) params.additionalData = hex(c.a);
    assertHex(await subtle.encrypt(params, key, hex(c.p)), c.c + c.t, `test case ${c.n}`);
    assertHex(await subtle.decrypt(params, key, hex(c.c + c.t)), c.p, `test case ${c.n} decrypt`);
  }
});

test('AES-GCM: tag lengths, tampering, bad parameters', async () => {
  const key = await subtle.importKey('raw', hex(gcmK), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const iv = hex(gcmIV);
  const short = await subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 96 }, key, hex(gcmP));
  assertHex(short, gcmCases[1].c + gcmCases[1].t.slice(0, 24), 'a 96-bit tag is the truncated tag');
  assertHex(await subtle.decrypt({ name: 'AES-GCM', iv, tagLength: 96 }, key, short), gcmP);
  const tampered = hex(gcmCases[1].c + gcmCases[1].t);
  tampered[5] ^= 0x80;
  await assert.rejects(subtle.decrypt({ name: 'AES-GCM', iv }, key, tampered), 'OperationError');
  await assert.rejects(subtle.decrypt({ name: 'AES-GCM', iv, additionalData: utf8('x') }, key,
    hex(gcmCases[1].c + gcmCases[1].t)), 'OperationError', 'wrong additional data');
  await assert.rejects(subtle.decrypt({ name: 'AES-GCM', iv }, key, new Uint8Array(8)), 'OperationError', 'too short');
  await assert.rejects(subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 100 }, key, hex(gcmP)), 'OperationError');
  await assert.rejects(subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 256 }, key, hex(gcmP)), TypeError,
    'tagLength is an [EnforceRange] octet');
  await assert.rejects(subtle.encrypt({ name: 'AES-GCM' }, key, hex(gcmP)), TypeError, 'iv is required');
  const generated = await subtle.generateKey({ name: 'AES-GCM', length: 192 }, true, ['encrypt', 'decrypt']);
  const ct = await subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(16) }, generated, utf8('hello'));
  assert.equal(new TextDecoder().decode(await subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(16) }, generated,
    ct)), 'hello');
});

// ---- AES-CBC, AES-CTR (NIST SP 800-38A F.2.1 and F.5.1)

const sp800Key = '2b7e151628aed2a6abf7158809cf4f3c';
const sp800Plain = '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710';

test('AES-CBC: SP 800-38A F.2.1 (plus the PKCS #7 padding block) and back', async () => {
  const key = await subtle.importKey('raw', hex(sp800Key), 'AES-CBC', false, ['encrypt', 'decrypt']);
  const params = { name: 'AES-CBC', iv: range(0, 16) };
  const ct = await subtle.encrypt(params, key, hex(sp800Plain));
  assertHex(ct, '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e22229516' +
    '3ff1caa1681fac09120eca307586e1a7' + '8cb82807230e1321d3fae00d18cc2012');
  assertHex(await subtle.decrypt(params, key, ct), sp800Plain);
  assertHex(await subtle.decrypt(params, key, await subtle.encrypt(params, key, new Uint8Array(0))), '');
  await assert.rejects(subtle.encrypt({ name: 'AES-CBC', iv: range(0, 12) }, key, hex(sp800Plain)), 'OperationError');
  await assert.rejects(subtle.decrypt(params, key, new Uint8Array(ct).subarray(0, 63)), 'OperationError',
    'not a whole number of blocks');
  await assert.rejects(subtle.decrypt(params, key, new Uint8Array(ct).subarray(0, 64)), 'OperationError',
    'bad padding');
});

test('AES-CTR: SP 800-38A F.5.1 and counter wrapping within `length` bits', async () => {
  const key = await subtle.importKey('raw', hex(sp800Key), 'AES-CTR', false, ['encrypt', 'decrypt']);
  const counter = hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
  const f51 = '874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee';
  for (const length of [64, 128]) {
    assertHex(await subtle.encrypt({ name: 'AES-CTR', counter, length }, key, hex(sp800Plain)), f51, `length ${length}`);
  }
  assertHex(await subtle.decrypt({ name: 'AES-CTR', counter, length: 64 }, key, hex(f51)), sp800Plain);
  // Cross-checked with Node.js 20's WebCrypto: with 8 counter bits, block 2 uses ...fdfe00, not ...fdff00.
  assertHex(await subtle.encrypt({ name: 'AES-CTR', counter, length: 8 }, key, hex(sp800Plain)),
    '874d6191b620e3261bef6864990db6cee3256531c56fd498e4670c36587faba6253c594b7231e8509db37a4397a171743e0b062e8d1409a934cad10ece711250');
  const wrapped = '7df76b0c1ab899b33e42f047b91b546f57127d4034b1bebfaef466b9c7726fc6';
  assertHex(await subtle.encrypt({ name: 'AES-CTR', counter: hex('0000000000000000ffffffffffffffff'), length: 64 },
    key, new Uint8Array(48)), 'ef8737b783c4fa88e687ee9467073f6e' + wrapped);
  assertHex(await subtle.encrypt({ name: 'AES-CTR', counter: hex('00000000000000ffffffffffffffffff'), length: 72 },
    key, new Uint8Array(48)), 'dacc9148febbffe342d5805537ea155f' + wrapped);
  const ones = hex('ffffffffffffffffffffffffffffffff');
  assertHex(await subtle.encrypt({ name: 'AES-CTR', counter: ones, length: 1 }, key, new Uint8Array(32)),
    '8af2860142f786f409307c1a3f7eaaacd1b714b6fbf5fff1289aee2a4c4eeda3');
  await assert.rejects(subtle.encrypt({ name: 'AES-CTR', counter: ones, length: 1 }, key, new Uint8Array(33)),
    'OperationError', 'more blocks than counter values');
  await assert.rejects(subtle.encrypt({ name: 'AES-CTR', counter, length: 0 }, key, new Uint8Array(16)),
    'OperationError');
  await assert.rejects(subtle.encrypt({ name: 'AES-CTR', counter, length: 129 }, key, new Uint8Array(16)),
    'OperationError');
  await assert.rejects(subtle.encrypt({ name: 'AES-CTR', counter: range(0, 8), length: 64 }, key, new Uint8Array(16)),
    'OperationError');
});

// ---- AES-KW (RFC 3394 sections 4.1-4.3)

test('AES-KW: RFC 3394 4.1-4.3 through wrapKey/unwrapKey', async () => {
  const keyData = hex('00112233445566778899AABBCCDDEEFF');
  const cases = [
    ['000102030405060708090A0B0C0D0E0F', '1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5'],
    ['000102030405060708090A0B0C0D0E0F1011121314151617', '96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D'],
    ['000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F',
      '64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7'],
  ];
  const key = await subtle.importKey('raw', keyData, 'AES-CBC', true, ['encrypt']);
  for (const [kek, expected] of cases) {
    const wrappingKey = await subtle.importKey('raw', hex(kek), 'AES-KW', false, ['wrapKey', 'unwrapKey']);
    const wrapped = await subtle.wrapKey('raw', key, wrappingKey, 'AES-KW');
    assertHex(wrapped, expected, `KEK of ${kek.length * 4} bits`);
    const unwrapped = await subtle.unwrapKey('raw', wrapped, wrappingKey, { name: 'AES-KW' }, 'AES-CBC', true,
      ['decrypt']);
    assert.equal(unwrapped.type, 'secret');
    assert.deepEqual(unwrapped.usages, ['decrypt']);
    assertHex(await subtle.exportKey('raw', unwrapped), toHex(keyData));
    const bad = hex(expected);
    bad[0] ^= 1;
    await assert.rejects(subtle.unwrapKey('raw', bad, wrappingKey, 'AES-KW', 'AES-CBC', true, ['decrypt']),
      'OperationError');
  }
});

test('AES-KW: only wrapKey/unwrapKey; data must be whole 64-bit blocks', async () => {
  await assert.rejects(subtle.importKey('raw', fill(16, 1), 'AES-KW', false, ['encrypt']), 'SyntaxError');
  const kek = await subtle.generateKey({ name: 'AES-KW', length: 256 }, false, ['wrapKey', 'unwrapKey']);
  await assert.rejects(subtle.encrypt('AES-KW', kek, fill(16, 1)), 'NotSupportedError');
  const hmac = await subtle.importKey('raw', fill(20, 7), { name: 'HMAC', hash: 'SHA-1' }, true, ['sign']);
  await assert.rejects(subtle.wrapKey('raw', hmac, kek, 'AES-KW'), 'OperationError', '20 bytes');
});

// ---- PBKDF2 (RFC 6070, HMAC-SHA1)

async function pbkdf2(password, salt, iterations, bytes, hash = 'SHA-1') {
  const key = await subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
  return subtle.deriveBits({ name: 'PBKDF2', hash, salt, iterations }, key, bytes * 8);
}

test('PBKDF2: RFC 6070 vectors', async () => {
  assertHex(await pbkdf2(utf8('password'), utf8('salt'), 1, 20), '0c60c80f961f0e71f3a9b524af6012062fe037a6');
  assertHex(await pbkdf2(utf8('password'), utf8('salt'), 2, 20), 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957');
  assertHex(await pbkdf2(utf8('password'), utf8('salt'), 4096, 20), '4b007901b765489abead49d926f721d065a429c1');
  assertHex(await pbkdf2(utf8('passwordPASSWORDpassword'), utf8('saltSALTsaltSALTsaltSALTsaltSALTsalt'), 4096, 25),
    '3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038');
  assertHex(await pbkdf2(utf8('pass\0word'), utf8('sa\0lt'), 4096, 16), '56fa6aa75548099dcc37d7f03425e0c3');
});

test('PBKDF2: limits, lengths, key rules, deriveKey', async () => {
  // RFC 6070's 16777216-iteration vector is past Workers' limit of 100000.
  await assert.rejects(pbkdf2(utf8('password'), utf8('salt'), 16777216, 20), 'NotSupportedError');
  await assert.rejects(pbkdf2(utf8('password'), utf8('salt'), 0, 20), 'OperationError');
  assert.equal((await pbkdf2(utf8('p'), utf8('s'), 1, 0)).byteLength, 0);
  const key = await subtle.importKey('raw', utf8('password'), 'PBKDF2', false, ['deriveBits', 'deriveKey']);
  const params = { name: 'PBKDF2', hash: 'SHA-256', salt: utf8('salt'), iterations: 10 };
  await assert.rejects(subtle.deriveBits(params, key, 12), 'OperationError', 'not a multiple of 8');
  await assert.rejects(subtle.deriveBits(params, key), 'OperationError', 'no length');
  await assert.rejects(subtle.importKey('raw', utf8('p'), 'PBKDF2', true, ['deriveBits']), 'SyntaxError',
    'PBKDF2 keys are never extractable');
  await assert.rejects(subtle.importKey('jwk', { kty: 'oct', k: 'cA' }, 'PBKDF2', false, ['deriveBits']),
    'NotSupportedError');
  await assert.rejects(subtle.importKey('raw', utf8('p'), 'PBKDF2', false, ['sign']), 'SyntaxError');
  await assert.rejects(subtle.exportKey('raw', key), 'NotSupportedError');
  const aes = await subtle.deriveKey(params, key, { name: 'AES-GCM', length: 256 }, true, ['encrypt']);
  assert.deepEqual(aes.algorithm, { name: 'AES-GCM', length: 256 });
  assertHex(await subtle.exportKey('raw', aes), toHex(await subtle.deriveBits(params, key, 256)));
  const hmac = await subtle.deriveKey(params, key, { name: 'HMAC', hash: 'SHA-384' }, true, ['sign']);
  assert.equal((await subtle.exportKey('raw', hmac)).byteLength, 128, 'HMAC keys default to the block size');
  await assert.rejects(subtle.deriveKey(params, key, { name: 'AES-GCM', length: 100 }, true, ['encrypt']),
    'OperationError');
  await assert.rejects(subtle.deriveKey(params, key, { name: 'AES-GCM', length: 128 }, true, []), 'SyntaxError');
  const bitsOnly = await subtle.importKey('raw', utf8('p'), 'PBKDF2', false, ['deriveBits']);
  await assert.rejects(subtle.deriveKey(params, bitsOnly, { name: 'AES-GCM', length: 128 }, true, ['encrypt']),
    'InvalidAccessError');
});

// ---- HKDF (RFC 5869 test cases 1-3, SHA-256)

async function hkdf(ikm, salt, info, bytes) {
  const key = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, key, bytes * 8);
}

test('HKDF: RFC 5869 test cases 1-3', async () => {
  assertHex(await hkdf(fill(22, 0x0b), range(0, 13), range(0xf0, 0xfa), 42),
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  assertHex(await hkdf(range(0, 0x50), range(0x60, 0xb0), range(0xb0, 0x100), 82),
    'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87');
  assertHex(await hkdf(fill(22, 0x0b), new Uint8Array(0), new Uint8Array(0), 42),
    '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
});

test('HKDF: empty input key, lengths, errors', async () => {
  assert.equal((await hkdf(new Uint8Array(0), utf8('salt'), utf8('info'), 32)).byteLength, 32);
  assert.equal((await hkdf(fill(4, 1), utf8('s'), utf8('i'), 0)).byteLength, 0);
  assert.equal((await hkdf(fill(4, 1), utf8('s'), utf8('i'), 255 * 32)).byteLength, 255 * 32);
  await assert.rejects(hkdf(fill(4, 1), utf8('s'), utf8('i'), 255 * 32 + 1), 'OperationError');
  const key = await subtle.importKey('raw', fill(4, 1), 'HKDF', false, ['deriveBits']);
  await assert.rejects(subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: utf8('s') }, key, 128), TypeError,
    'info is required');
  await assert.rejects(subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: utf8('s'), info: utf8('') }, key, 7),
    'OperationError');
});

// ---- Ed25519 (RFC 8032 section 7.1, tests 1 and 2)

const ed25519Vectors = [
  { sk: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b' },
  { sk: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00' },
];

test('Ed25519: RFC 8032 tests 1-2 (JWK and PKCS #8 private keys, raw public keys)', async () => {
  for (const [i, v] of ed25519Vectors.entries()) {
    const jwk = { kty: 'OKP', crv: 'Ed25519', d: b64url(hex(v.sk)), x: b64url(hex(v.pk)) };
    const fromJwk = await subtle.importKey('jwk', jwk, 'Ed25519', true, ['sign']);
    assertHex(await subtle.sign('Ed25519', fromJwk, hex(v.msg)), v.sig, `test ${i + 1}`);
    const pkcs8 = hex('302e020100300506032b657004220420' + v.sk);
    const fromPkcs8 = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
    assertHex(await subtle.sign('Ed25519', fromPkcs8, hex(v.msg)), v.sig);
    assertHex(await subtle.exportKey('pkcs8', fromJwk), toHex(pkcs8));
    const pub = await subtle.importKey('raw', hex(v.pk), 'Ed25519', true, ['verify']);
    assert.equal(await subtle.verify('Ed25519', pub, hex(v.sig), hex(v.msg)), true);
    const bad = hex(v.sig);
    bad[10] ^= 4;
    assert.equal(await subtle.verify('Ed25519', pub, bad, hex(v.msg)), false);
    assert.equal(await subtle.verify('Ed25519', pub, hex(v.sig), utf8('other')), false);
    assertHex(await subtle.exportKey('raw', pub), v.pk);
  }
});

test('Ed25519: generateKey, NODE-ED25519 alias, errors', async () => {
  const pair = await subtle.generateKey('Ed25519', true, ['sign', 'verify']);
  assert.deepEqual(pair.publicKey.algorithm, { name: 'Ed25519' });
  assert.deepEqual(pair.publicKey.usages, ['verify']);
  assert.deepEqual(pair.privateKey.usages, ['sign']);
  const sig = await subtle.sign('Ed25519', pair.privateKey, utf8('msg'));
  assert.equal(sig.byteLength, 64);
  assert.ok(await subtle.verify('Ed25519', pair.publicKey, sig, utf8('msg')));
  const node = await subtle.generateKey({ name: 'NODE-ED25519', namedCurve: 'NODE-ED25519' }, true,
    ['sign', 'verify']);
  assert.deepEqual(node.privateKey.algorithm, { name: 'NODE-ED25519', namedCurve: 'NODE-ED25519' });
  const v = ed25519Vectors[1];
  const nodePub = await subtle.importKey('raw', hex(v.pk), { name: 'NODE-ED25519', namedCurve: 'NODE-ED25519' }, true,
    ['verify']);
  assert.equal(await subtle.verify('NODE-ED25519', nodePub, hex(v.sig), hex(v.msg)), true);
  await assert.rejects(subtle.verify('Ed25519', nodePub, hex(v.sig), hex(v.msg)), 'InvalidAccessError',
    'a NODE-ED25519 key is not an Ed25519 key');
  await assert.rejects(subtle.importKey('raw', hex(v.pk), { name: 'NODE-ED25519', namedCurve: 'P-256' }, true,
    ['verify']), 'NotSupportedError');
  await assert.rejects(subtle.importKey('raw', hex(v.pk).subarray(1), 'Ed25519', true, ['verify']), 'DataError');
  await assert.rejects(subtle.importKey('raw', hex(v.pk), 'Ed25519', true, ['sign']), 'SyntaxError');
  await assert.rejects(subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', d: b64url(hex(v.sk)),
    x: b64url(hex(ed25519Vectors[0].pk)) }, 'Ed25519', true, ['sign']), 'DataError', 'x does not match d');
  await assert.rejects(subtle.generateKey('Ed25519', true, ['encrypt']), 'SyntaxError');
  await assert.rejects(subtle.exportKey('raw', pair.privateKey), 'InvalidAccessError');
});

// ---- ECDSA (RFC 6979 A.2.5: P-256, SHA-256, "sample"; r||s)

const p256 = {
  d: 'C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721',
  x: '60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6',
  y: '7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299',
  sig: 'EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716' +
    'F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8',
};
const p256Spki = '3059301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299';

test('ECDSA: RFC 6979 A.2.5 signature verifies (raw, spki and jwk public keys)', async () => {
  const ecdsa = { name: 'ECDSA', namedCurve: 'P-256' };
  const sha256 = { name: 'ECDSA', hash: 'SHA-256' };
  const raw = await subtle.importKey('raw', hex('04' + p256.x + p256.y), ecdsa, true, ['verify']);
  assert.equal(await subtle.verify(sha256, raw, hex(p256.sig), utf8('sample')), true);
  assertHex(await subtle.exportKey('spki', raw), p256Spki);
  const spki = await subtle.importKey('spki', hex(p256Spki), ecdsa, true, ['verify']);
  assert.equal(await subtle.verify(sha256, spki, hex(p256.sig), utf8('sample')), true);
  const jwk = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: b64url(hex(p256.x)), y: b64url(hex(p256.y)) },
    ecdsa, true, ['verify']);
  assert.equal(await subtle.verify(sha256, jwk, hex(p256.sig), utf8('sample')), true);
  assert.equal(await subtle.verify(sha256, jwk, hex(p256.sig), utf8('samplE')), false);
  assert.equal(await subtle.verify({ name: 'ECDSA', hash: 'SHA-384' }, jwk, hex(p256.sig), utf8('sample')), false);
  assert.equal(await subtle.verify(sha256, jwk, hex(p256.sig).subarray(1), utf8('sample')), false, 'short signature');
  const compressed = await subtle.importKey('raw', hex('03' + p256.x), ecdsa, true, ['verify']);
  assertHex(await subtle.exportKey('raw', compressed), '04' + p256.x + p256.y, 'compressed points are accepted');
  assertHex(await subtle.exportKey('spki', compressed), p256Spki, 'and exported uncompressed');

  // The private key signs (randomized k) signatures the public key accepts.
  const priv = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', d: b64url(hex(p256.d)), x: b64url(hex(p256.x)),
    y: b64url(hex(p256.y)) }, ecdsa, true, ['sign']);
  const sig = await subtle.sign(sha256, priv, utf8('sample'));
  assert.equal(sig.byteLength, 64);
  assert.equal(await subtle.verify(sha256, raw, sig, utf8('sample')), true);
});

test('ECDSA: generated P-256 and P-384 keys with each hash', async () => {
  for (const [curve, size] of [['P-256', 64], ['P-384', 96]]) {
    const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, false, ['sign', 'verify']);
    assert.equal(pair.publicKey.extractable, true, 'public keys are always extractable');
    assert.equal(pair.privateKey.extractable, false);
    assert.deepEqual(pair.privateKey.algorithm, { name: 'ECDSA', namedCurve: curve });
    for (const hash of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) {
      const sig = await subtle.sign({ name: 'ECDSA', hash }, pair.privateKey, utf8('data'));
      assert.equal(sig.byteLength, size, `${curve} ${hash}`);
      assert.equal(await subtle.verify({ name: 'ECDSA', hash }, pair.publicKey, sig, utf8('data')), true);
      const bad = new Uint8Array(sig);
      bad[size - 1] ^= 1;
      assert.equal(await subtle.verify({ name: 'ECDSA', hash }, pair.publicKey, bad, utf8('data')), false);
    }
  }
  await assert.rejects(subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, ['sign']),
    'NotSupportedError');
  await assert.rejects(subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']), 'SyntaxError',
    'the private key would have no usages');
  await assert.rejects(subtle.generateKey({ name: 'ECDSA' }, true, ['sign']), TypeError);
});

test('ECDSA: bad key data is a DataError', async () => {
  const ecdsa = { name: 'ECDSA', namedCurve: 'P-256' };
  const offCurve = hex('04' + p256.x + p256.y);
  offCurve[64] ^= 1;
  await assert.rejects(subtle.importKey('raw', offCurve, ecdsa, true, ['verify']), 'DataError', 'point off the curve');
  await assert.rejects(subtle.importKey('spki', hex(p256Spki).subarray(0, 40), ecdsa, true, ['verify']), 'DataError');
  await assert.rejects(subtle.importKey('spki', hex(p256Spki), { name: 'ECDSA', namedCurve: 'P-384' }, true,
    ['verify']), 'DataError', 'wrong curve');
  await assert.rejects(subtle.importKey('pkcs8', utf8('not a key'), ecdsa, true, ['sign']), 'DataError');
  await assert.rejects(subtle.importKey('jwk', { kty: 'EC', crv: 'P-384', x: b64url(hex(p256.x)),
    y: b64url(hex(p256.y)) }, ecdsa, true, ['verify']), 'DataError', 'crv mismatch');
  await assert.rejects(subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: b64url(hex(p256.x)) }, ecdsa, true,
    ['verify']), 'DataError', 'y missing');
  await assert.rejects(subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: '!!', y: b64url(hex(p256.y)) }, ecdsa,
    true, ['verify']), 'DataError', 'not base64url');
  await assert.rejects(subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: b64url(hex(p256.x)), y: b64url(hex(p256.y)),
    alg: 'ES384' }, ecdsa, true, ['verify']), 'DataError', 'alg mismatch');
  const otherD = hex(p256.d);
  otherD[31] ^= 1;
  await assert.rejects(subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', d: b64url(otherD), x: b64url(hex(p256.x)),
    y: b64url(hex(p256.y)) }, ecdsa, true, ['sign']), 'DataError', 'd does not match x, y');
  await assert.rejects(subtle.importKey('raw', offCurve, ecdsa, true, ['sign']), 'SyntaxError',
    'usages are checked before the data');
});

// ---- ECDH (RFC 5903 section 8.1, and both sides of generated pairs)

test('ECDH: RFC 5903 8.1 shared secret', async () => {
  const ecdh = { name: 'ECDH', namedCurve: 'P-256' };
  const i = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-256',
    d: b64url(hex('C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433')),
    x: b64url(hex('DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180')),
    y: b64url(hex('5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3')) }, ecdh, false, ['deriveBits']);
  const gr = await subtle.importKey('raw', hex('04D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63' +
    '56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB'), ecdh, true, []);
  assertHex(await subtle.deriveBits({ name: 'ECDH', public: gr }, i, 256),
    'D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE');
  assertHex(await subtle.deriveBits({ name: 'ECDH', public: gr }, i, null),
    'D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE');
  assertHex(await subtle.deriveBits({ name: 'ECDH', public: gr }, i, 12), 'd680', 'bits past length are zeroed');
});

test('ECDH: both sides agree on P-256 and P-384; lengths; deriveKey', async () => {
  for (const [curve, bytes] of [['P-256', 32], ['P-384', 48]]) {
    const a = await subtle.generateKey({ name: 'ECDH', namedCurve: curve }, true, ['deriveBits', 'deriveKey']);
    const b = await subtle.generateKey({ name: 'ECDH', namedCurve: curve }, true, ['deriveBits']);
    assert.deepEqual(a.publicKey.usages, []);
    assert.deepEqual(a.privateKey.usages, ['deriveKey', 'deriveBits']);
    const ab = await subtle.deriveBits({ name: 'ECDH', public: b.publicKey }, a.privateKey);
    const ba = await subtle.deriveBits({ name: 'ECDH', public: a.publicKey }, b.privateKey);
    assert.equal(ab.byteLength, bytes);
    assertHex(ab, toHex(ba), curve);
    assertHex(await subtle.deriveBits({ name: 'ECDH', public: b.publicKey }, a.privateKey, 128),
      toHex(ab).slice(0, 32));
    await assert.rejects(subtle.deriveBits({ name: 'ECDH', public: b.publicKey }, a.privateKey, bytes * 8 + 8),
      'OperationError');
    const aes = await subtle.deriveKey({ name: 'ECDH', public: b.publicKey }, a.privateKey,
      { name: 'AES-GCM', length: 128 }, true, ['encrypt']);
    assertHex(await subtle.exportKey('raw', aes), toHex(ab).slice(0, 32));
    await assert.rejects(subtle.deriveKey({ name: 'ECDH', public: a.publicKey }, b.privateKey,
      { name: 'AES-GCM', length: 128 }, true, ['encrypt']), 'InvalidAccessError', 'no deriveKey usage');
  }
  const p256 = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
  const p384 = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-384' }, true, ['deriveBits']);
  await assert.rejects(subtle.deriveBits({ name: 'ECDH', public: p384.publicKey }, p256.privateKey, 128),
    'InvalidAccessError', 'different curves');
  await assert.rejects(subtle.deriveBits({ name: 'ECDH', public: p256.privateKey }, p256.privateKey, 128),
    'InvalidAccessError', 'public must be a public key');
  const ecdsa = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  await assert.rejects(subtle.deriveBits({ name: 'ECDH', public: ecdsa.publicKey }, p256.privateKey, 128),
    'InvalidAccessError', 'public must be an ECDH key');
  await assert.rejects(subtle.deriveBits({ name: 'ECDH', public: {} }, p256.privateKey, 128), TypeError);
  await assert.rejects(subtle.importKey('raw', await subtle.exportKey('raw', p256.publicKey),
    { name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']), 'SyntaxError', 'ECDH public keys have no usages');
});

// ---- RSA

// Cross-checks: signatures of "islet" made by Node.js 20's WebCrypto with freshly generated keys (PKCS #1 v1.5 and
// RSA-PSS with saltLength 32, both SHA-256, with one 1024-bit key; ECDSA P-384 with SHA-384).
const rsaKnown = {
  n: 'wdfIsPL41xPEbtgJSyzlwjGP7PD-gLsxzDqU8_8gWv8iQIp7DqdNEP26e8XpA42oazZ9A3VhjwGSr0TOpNmvyXtq1Svx9-OJtOIrl7kW1Ng2DGl8WgZCwK9rsUxWl02bonHzEsx2_NYu2QlpaXuH42bpR_3F0zgPCrGQ1L8D1o8',
  e: 'AQAB',
  pkcs1: 'b604b343f1b30adc036403580887856fdacfcf3bf5dc8f3ad0502fa2713a3e55ebb9dd34c6f35d8331d0ed1fade8b1fc2b55a63a66eccf10249f1d497698cef94b792e98c5ac1a0cdaf9bd9258ae88a985705379489a00791756fb7cd450111523ffd4f16e2665191ebe365a5974b49483cbfe27a499435fee8ee39d5fcc58c6',
  pss: 'bbec61c74184d730a516dc9eb656521ed2826abd475c84def039c7a5197bbc2ed9058271a9bea8fe723f8639cff3c8e8c571f15ff6c61d729adff8c379a7d484ea868693789dc6f1d403628a2a71b0c7ebf3044da671cfa15091be1d43b37fb405f60cfe0dc37473fded860daa963955edee39bd504a8072f457dba1b85a591e',
};
const p384Known = {
  x: '6qERNygdayOwtazLmAorJGU47-dKU2r_2yAtqcQU601rVhA6QTWAcv0waOpmSoHP',
  y: 'fC5lMOpLM2TQVvDE-bWBo1oyBoAhpg6zCbrpzmg6b1TEl88K-diqOICJwf9dlXKq',
  sig: 'a0c0e9a8a779307ad025d15e014a00dfd46032fcf4f39c960a788dd580f747597d72a3792b7c3d9553ca558e7dc6c897311dc0ef24f7e2b962dbc802b921b4007514fd462c5c47db754d0f6a4b4b5d682191400e294cb7e1a433754c6307a22b',
};

test('cross-check: RSA and P-384 signatures made by another implementation verify', async () => {
  const pss = await subtle.importKey('jwk', { kty: 'RSA', n: rsaKnown.n, e: rsaKnown.e },
    { name: 'RSA-PSS', hash: 'SHA-256' }, true, ['verify']);
  assert.equal(await subtle.verify({ name: 'RSA-PSS', saltLength: 32 }, pss, hex(rsaKnown.pss), utf8('islet')), true);
  assert.equal(await subtle.verify({ name: 'RSA-PSS', saltLength: 32 }, pss, hex(rsaKnown.pkcs1), utf8('islet')),
    false, 'a PKCS #1 v1.5 signature is not a PSS one');
  const p384 = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-384', x: p384Known.x, y: p384Known.y },
    { name: 'ECDSA', namedCurve: 'P-384' }, true, ['verify']);
  assert.equal(await subtle.verify({ name: 'ECDSA', hash: 'SHA-384' }, p384, hex(p384Known.sig), utf8('islet')), true);
  assert.equal(await subtle.verify({ name: 'ECDSA', hash: 'SHA-384' }, p384, hex(p384Known.sig), utf8('islex')),
    false);
});

const rsaGen = (name, hash = 'SHA-256', usages = ['sign', 'verify']) => subtle.generateKey(
  { name, modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash }, true, usages);

test('RSASSA-PKCS1-v1_5: a known signature verifies; generated keys round-trip', async () => {
  const pub = await subtle.importKey('jwk', { kty: 'RSA', n: rsaKnown.n, e: rsaKnown.e, alg: 'RS256' },
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
  assert.deepEqual(pub.algorithm, { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024,
    publicExponent: new Uint8Array([1, 0, 1]), hash: { name: 'SHA-256' } });
  assert.equal(await subtle.verify('RSASSA-PKCS1-v1_5', pub, hex(rsaKnown.pkcs1), utf8('islet')), true);
  assert.equal(await subtle.verify('RSASSA-PKCS1-v1_5', pub, hex(rsaKnown.pkcs1), utf8('islet!')), false);
  const pair = await rsaGen('RSASSA-PKCS1-v1_5', 'SHA-384');
  const sig = await subtle.sign('RSASSA-PKCS1-v1_5', pair.privateKey, utf8('hello'));
  assert.equal(sig.byteLength, 128);
  assertHex(await subtle.sign('RSASSA-PKCS1-v1_5', pair.privateKey, utf8('hello')), toHex(sig), 'deterministic');
  assert.equal(await subtle.verify('RSASSA-PKCS1-v1_5', pair.publicKey, sig, utf8('hello')), true);
  assert.equal(await subtle.verify('RSASSA-PKCS1-v1_5', pair.publicKey, sig, utf8('hellO')), false);
  await assert.rejects(subtle.sign('RSASSA-PKCS1-v1_5', pair.publicKey, utf8('x')), 'InvalidAccessError');
});

test('RSA-PSS: sign/verify with salt lengths', async () => {
  const pair = await rsaGen('RSA-PSS');
  for (const saltLength of [0, 20, 32]) {
    const sig = await subtle.sign({ name: 'RSA-PSS', saltLength }, pair.privateKey, utf8('hello'));
    assert.equal(await subtle.verify({ name: 'RSA-PSS', saltLength }, pair.publicKey, sig, utf8('hello')), true);
    assert.equal(await subtle.verify({ name: 'RSA-PSS', saltLength }, pair.publicKey, sig, utf8('other')), false);
    if (saltLength > 0) {
      assert.equal(await subtle.verify({ name: 'RSA-PSS', saltLength: saltLength - 1 }, pair.publicKey, sig,
        utf8('hello')), false, 'wrong salt length');
    }
  }
  await assert.rejects(subtle.sign({ name: 'RSA-PSS' }, pair.privateKey, utf8('x')), TypeError, 'saltLength needed');
  await assert.rejects(subtle.sign({ name: 'RSA-PSS', saltLength: 200 }, pair.privateKey, utf8('x')),
    'OperationError', 'salt too long for the key');
});

test('RSA-OAEP: encrypt/decrypt with and without a label', async () => {
  for (const hash of ['SHA-1', 'SHA-256']) {
    const pair = await rsaGen('RSA-OAEP', hash, ['encrypt', 'decrypt']);
    assert.deepEqual(pair.publicKey.usages, ['encrypt']);
    const ct = await subtle.encrypt({ name: 'RSA-OAEP' }, pair.publicKey, utf8('secret'));
    assert.equal(ct.byteLength, 128);
    assert.equal(new TextDecoder().decode(await subtle.decrypt('RSA-OAEP', pair.privateKey, ct)), 'secret');
    const labelled = await subtle.encrypt({ name: 'RSA-OAEP', label: utf8('L') }, pair.publicKey, utf8('secret'));
    assert.equal(new TextDecoder().decode(await subtle.decrypt({ name: 'RSA-OAEP', label: utf8('L') },
      pair.privateKey, labelled)), 'secret');
    await assert.rejects(subtle.decrypt({ name: 'RSA-OAEP', label: utf8('M') }, pair.privateKey, labelled),
      'OperationError');
    await assert.rejects(subtle.decrypt('RSA-OAEP', pair.privateKey, labelled), 'OperationError');
    await assert.rejects(subtle.encrypt('RSA-OAEP', pair.publicKey, new Uint8Array(100)), 'OperationError',
      'too long for the key');
    await assert.rejects(subtle.encrypt('RSA-OAEP', pair.privateKey, utf8('x')), 'InvalidAccessError');
  }
});

test('RSA: generateKey parameters', async () => {
  const pair = await subtle.generateKey({ name: 'RSA-PSS', modulusLength: 1024,
    publicExponent: new Uint8Array([3]), hash: 'SHA-1' }, true, ['sign', 'verify']);
  assert.deepEqual([...pair.publicKey.algorithm.publicExponent], [3]);
  assert.equal(pair.privateKey.algorithm.modulusLength, 1024);
  assert.deepEqual(pair.privateKey.algorithm.hash, { name: 'SHA-1' });
  await assert.rejects(subtle.generateKey({ name: 'RSA-PSS', modulusLength: 1024,
    publicExponent: new Uint8Array([2]), hash: 'SHA-1' }, true, ['sign']), 'OperationError');
  await assert.rejects(subtle.generateKey({ name: 'RSA-PSS', modulusLength: 256,
    publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-1' }, true, ['sign']), 'OperationError');
  await assert.rejects(subtle.generateKey({ name: 'RSA-PSS', modulusLength: 1024, publicExponent: [1, 0, 1],
    hash: 'SHA-1' }, true, ['sign']), TypeError, 'publicExponent is a Uint8Array');
  await assert.rejects(rsaGen('RSA-OAEP', 'SHA-256', ['sign']), 'SyntaxError');
});

// ---- Export / import round trips

async function roundTrip(key, formats) {
  const params = { ...key.algorithm };
  if (params.hash) params.hash = params.hash.name;
  for (const format of formats) {
    const exported = await subtle.exportKey(format, key);
    const again = await subtle.importKey(format, exported, params, true, key.usages);
    assert.equal(again.type, key.type, `${key.algorithm.name} ${format}`);
    assert.deepEqual(again.algorithm, key.algorithm, `${key.algorithm.name} ${format}`);
    const reexported = await subtle.exportKey(format, again);
    if (format === 'jwk') {
      assert.deepEqual(reexported, exported, `${key.algorithm.name} jwk`);
    } else {
      assertHex(reexported, toHex(exported), `${key.algorithm.name} ${format}`);
    }
  }
}

test('JWK, raw, spki, pkcs8: export → import → export for every key type', async () => {
  for (const name of ['AES-GCM', 'AES-CBC', 'AES-CTR', 'AES-KW']) {
    for (const length of [128, 192, 256]) {
      const usages = name === 'AES-KW' ? ['wrapKey', 'unwrapKey'] : ['encrypt', 'decrypt'];
      const key = await subtle.generateKey({ name, length }, true, usages);
      const jwk = await subtle.exportKey('jwk', key);
      assert.equal(jwk.alg, `A${length}${name.slice(4)}`);
      assert.equal(jwk.kty, 'oct');
      assert.deepEqual(jwk.key_ops, usages);
      assert.equal(jwk.ext, true);
      await roundTrip(key, ['raw', 'jwk']);
    }
  }
  for (const hash of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) {
    const key = await subtle.generateKey({ name: 'HMAC', hash }, true, ['sign', 'verify']);
    assert.equal((await subtle.exportKey('jwk', key)).alg, `HS${hash.slice(4)}`);
    await roundTrip(key, ['raw', 'jwk']);
  }
  for (const name of ['ECDSA', 'ECDH']) {
    for (const namedCurve of ['P-256', 'P-384']) {
      const usages = name === 'ECDSA' ? ['sign', 'verify'] : ['deriveBits'];
      const pair = await subtle.generateKey({ name, namedCurve }, true, usages);
      await roundTrip(pair.publicKey, ['raw', 'spki', 'jwk']);
      await roundTrip(pair.privateKey, ['pkcs8', 'jwk']);
      const jwk = await subtle.exportKey('jwk', pair.privateKey);
      assert.deepEqual(Object.keys(jwk).sort(), ['crv', 'd', 'ext', 'key_ops', 'kty', 'x', 'y']);
      assert.equal(jwk.crv, namedCurve);
    }
  }
  for (const name of ['Ed25519', 'NODE-ED25519']) {
    const pair = await subtle.generateKey({ name, namedCurve: name }, true, ['sign', 'verify']);
    await roundTrip(pair.publicKey, ['raw', 'spki', 'jwk']);
    await roundTrip(pair.privateKey, ['pkcs8', 'jwk']);
    const jwk = await subtle.exportKey('jwk', pair.privateKey);
    assert.equal(jwk.kty, 'OKP');
    assert.equal(jwk.crv, 'Ed25519');
  }
  for (const [name, alg] of [['RSASSA-PKCS1-v1_5', 'RS256'], ['RSA-PSS', 'PS256'], ['RSA-OAEP', 'RSA-OAEP-256']]) {
    const usages = name === 'RSA-OAEP' ? ['encrypt', 'decrypt'] : ['sign', 'verify'];
    const pair = await rsaGen(name, 'SHA-256', usages);
    await roundTrip(pair.publicKey, ['spki', 'jwk']);
    await roundTrip(pair.privateKey, ['pkcs8', 'jwk']);
    const jwk = await subtle.exportKey('jwk', pair.privateKey);
    assert.equal(jwk.alg, alg);
    assert.deepEqual(Object.keys(jwk).sort(),
      ['alg', 'd', 'dp', 'dq', 'e', 'ext', 'key_ops', 'kty', 'n', 'p', 'q', 'qi']);
    assert.equal(jwk.e, 'AQAB');
  }
});

test('JWK import: re-imported keys work, and the JWK checks', async () => {
  const pair = await rsaGen('RSA-OAEP', 'SHA-1', ['encrypt', 'decrypt']);
  const jwk = await subtle.exportKey('jwk', pair.privateKey);
  assert.equal(jwk.alg, 'RSA-OAEP');
  const priv = await subtle.importKey('jwk', jwk, { name: 'RSA-OAEP', hash: 'SHA-1' }, false, ['decrypt']);
  const ct = await subtle.encrypt('RSA-OAEP', pair.publicKey, utf8('x'));
  assert.equal(new TextDecoder().decode(await subtle.decrypt('RSA-OAEP', priv, ct)), 'x');
  await assert.rejects(subtle.importKey('jwk', jwk, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']),
    'DataError', 'alg does not match the hash');
  await assert.rejects(subtle.importKey('jwk', { ...jwk, kty: 'EC' }, { name: 'RSA-OAEP', hash: 'SHA-1' }, false,
    ['decrypt']), 'DataError');
  await assert.rejects(subtle.importKey('jwk', { ...jwk, use: 'sig' }, { name: 'RSA-OAEP', hash: 'SHA-1' }, false,
    ['decrypt']), 'DataError');
  await assert.rejects(subtle.importKey('jwk', { ...jwk, key_ops: ['encrypt'] }, { name: 'RSA-OAEP', hash: 'SHA-1' },
    false, ['decrypt']), 'DataError');
  await assert.rejects(subtle.importKey('jwk', { ...jwk, ext: false }, { name: 'RSA-OAEP', hash: 'SHA-1' }, true,
    ['decrypt']), 'DataError');
  await assert.rejects(subtle.importKey('jwk', { ...jwk, dp: undefined }, { name: 'RSA-OAEP', hash: 'SHA-1' }, true,
    ['decrypt']), 'DataError', 'incomplete private key');
  await assert.rejects(subtle.importKey('jwk', { ...jwk, oth: [] }, { name: 'RSA-OAEP', hash: 'SHA-1' }, true,
    ['decrypt']), 'NotSupportedError');
  await assert.rejects(subtle.importKey('jwk', jwk, { name: 'RSA-OAEP', hash: 'SHA-1' }, true, ['encrypt']),
    'SyntaxError', 'a private key cannot encrypt');
  const oct = { kty: 'oct', k: b64url(fill(16, 9)), alg: 'A128GCM' };
  assert.equal((await subtle.importKey('jwk', oct, 'AES-GCM', true, ['encrypt'])).algorithm.length, 128);
  await assert.rejects(subtle.importKey('jwk', oct, 'AES-CBC', true, ['encrypt']), 'DataError', 'alg A128GCM');
  await assert.rejects(subtle.importKey('jwk', { kty: 'oct', k: b64url(fill(17, 9)) }, 'AES-GCM', true, ['encrypt']),
    'DataError');
  await assert.rejects(subtle.importKey('jwk', { kty: 'oct' }, 'AES-GCM', true, ['encrypt']), 'DataError');
  await assert.rejects(subtle.importKey('jwk', fill(16, 1), 'AES-GCM', true, ['encrypt']), TypeError);
  await assert.rejects(subtle.importKey('raw', oct, 'AES-GCM', true, ['encrypt']), TypeError);
  const hmac = await subtle.importKey('jwk', { kty: 'oct', k: b64url(utf8('Jefe')), alg: 'HS256' },
    { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  assertHex(await subtle.sign('HMAC', hmac, utf8('what do ya want for nothing?')), hmacCases[1].mac['SHA-256']);
  await assert.rejects(subtle.importKey('jwk', { kty: 'oct', k: b64url(utf8('Jefe')), alg: 'HS384' },
    { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']), 'DataError');
});

// ---- wrapKey / unwrapKey with each encrypt-capable algorithm

test('wrapKey/unwrapKey: AES-GCM (jwk, pkcs8), RSA-OAEP (raw), AES-KW (raw), AES-CBC (spki)', async () => {
  const hmac = await subtle.importKey('raw', utf8('Jefe'), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
  const gcm = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['wrapKey', 'unwrapKey']);
  const params = { name: 'AES-GCM', iv: new Uint8Array(12) };
  const wrappedJwk = await subtle.wrapKey('jwk', hmac, gcm, params);
  const unwrapped = await subtle.unwrapKey('jwk', wrappedJwk, gcm, params, { name: 'HMAC', hash: 'SHA-256' }, false,
    ['sign']);
  assert.equal(unwrapped.extractable, false);
  assertHex(await subtle.sign('HMAC', unwrapped, utf8('what do ya want for nothing?')), hmacCases[1].mac['SHA-256']);
  await assert.rejects(subtle.unwrapKey('jwk', wrappedJwk, gcm, params, { name: 'AES-GCM' }, false, ['encrypt']),
    'DataError', 'the JWK is not an AES key');

  const ec = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
  const wrappedPkcs8 = await subtle.wrapKey('pkcs8', ec.privateKey, gcm, params);
  const ecPriv = await subtle.unwrapKey('pkcs8', wrappedPkcs8, gcm, params, { name: 'ECDSA', namedCurve: 'P-384' },
    true, ['sign']);
  const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, ecPriv, utf8('m'));
  assert.ok(await subtle.verify({ name: 'ECDSA', hash: 'SHA-384' }, ec.publicKey, sig, utf8('m')));

  const oaep = await rsaGen('RSA-OAEP', 'SHA-256', ['wrapKey', 'unwrapKey']);
  const aes = await subtle.generateKey({ name: 'AES-CTR', length: 128 }, true, ['encrypt']);
  const wrappedRaw = await subtle.wrapKey('raw', aes, oaep.publicKey, { name: 'RSA-OAEP' });
  const aes2 = await subtle.unwrapKey('raw', wrappedRaw, oaep.privateKey, 'RSA-OAEP', 'AES-CTR', true, ['encrypt']);
  assertHex(await subtle.exportKey('raw', aes2), toHex(await subtle.exportKey('raw', aes)));

  const kw = await subtle.generateKey({ name: 'AES-KW', length: 128 }, false, ['wrapKey', 'unwrapKey']);
  const aes3 = await subtle.unwrapKey('raw', await subtle.wrapKey('raw', aes, kw, 'AES-KW'), kw, 'AES-KW',
    { name: 'AES-CTR' }, true, ['decrypt']);
  assertHex(await subtle.exportKey('raw', aes3), toHex(await subtle.exportKey('raw', aes)));

  const cbc = await subtle.generateKey({ name: 'AES-CBC', length: 128 }, false, ['wrapKey', 'unwrapKey']);
  const cbcParams = { name: 'AES-CBC', iv: new Uint8Array(16) };
  const pub = await subtle.unwrapKey('spki', await subtle.wrapKey('spki', ec.publicKey, cbc, cbcParams), cbc,
    cbcParams, { name: 'ECDSA', namedCurve: 'P-384' }, true, ['verify']);
  assert.ok(await subtle.verify({ name: 'ECDSA', hash: 'SHA-384' }, pub, sig, utf8('m')));
});

test('wrapKey/unwrapKey: errors', async () => {
  const gcm = await subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt', 'unwrapKey']);
  const secret = await subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt']);
  const extractable = await subtle.generateKey({ name: 'AES-GCM', length: 128 }, true, ['encrypt']);
  const params = { name: 'AES-GCM', iv: new Uint8Array(12) };
  await assert.rejects(subtle.wrapKey('raw', extractable, gcm, params), 'InvalidAccessError', 'no wrapKey usage');
  const wrapper = await subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['wrapKey']);
  await assert.rejects(subtle.wrapKey('raw', secret, wrapper, params), 'InvalidAccessError', 'not extractable');
  await assert.rejects(subtle.wrapKey('raw', extractable, wrapper, { name: 'AES-CBC', iv: new Uint8Array(16) }),
    'InvalidAccessError', 'algorithm mismatch');
  await assert.rejects(subtle.wrapKey('raw', extractable, wrapper, { name: 'HMAC' }), 'NotSupportedError');
  await assert.rejects(subtle.wrapKey('spki', extractable, wrapper, params), 'NotSupportedError');
  await assert.rejects(subtle.unwrapKey('raw', new Uint8Array(32), gcm, params, 'AES-GCM', true, ['encrypt']),
    'OperationError', 'does not authenticate');
  const wrapped = await subtle.encrypt(params, gcm, utf8('{"kty":'));
  await assert.rejects(subtle.unwrapKey('jwk', wrapped, gcm, params, 'AES-GCM', true, ['encrypt']), 'DataError',
    'not JSON');
});

// ---- Generic errors, CryptoKey and SubtleCrypto objects

test('errors: usages, key types, formats, extractability, unknown algorithms', async () => {
  const key = await subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['decrypt']);
  const iv = new Uint8Array(12);
  await assert.rejects(subtle.encrypt({ name: 'AES-GCM', iv }, key, utf8('x')), 'InvalidAccessError', 'wrong usage');
  await assert.rejects(subtle.encrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, key, utf8('x')),
    'InvalidAccessError', 'wrong algorithm');
  await assert.rejects(subtle.exportKey('raw', key), 'InvalidAccessError', 'not extractable');
  await assert.rejects(subtle.exportKey('jwk', key), 'InvalidAccessError', 'not extractable');
  const hmac = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['verify']);
  await assert.rejects(subtle.sign('HMAC', hmac, utf8('x')), 'InvalidAccessError', 'verify-only key');
  await assert.rejects(subtle.exportKey('spki', hmac), 'NotSupportedError');
  await assert.rejects(subtle.exportKey('foo', hmac), TypeError);
  await assert.rejects(subtle.importKey('raw', fill(17, 0), 'AES-GCM', true, ['encrypt']), 'DataError');
  await assert.rejects(subtle.importKey('pkcs8', fill(16, 0), 'AES-GCM', true, ['encrypt']), 'NotSupportedError');
  await assert.rejects(subtle.importKey('raw', fill(16, 0), 'FOO', true, ['encrypt']), 'NotSupportedError');
  await assert.rejects(subtle.importKey('raw', fill(16, 0), 'AES-GCM', true, ['sign']), 'SyntaxError');
  await assert.rejects(subtle.importKey('raw', fill(16, 0), 'AES-GCM', true, []), 'SyntaxError', 'no usages');
  await assert.rejects(subtle.importKey('raw', fill(16, 0), 'AES-GCM', true, ['bogus']), TypeError);
  await assert.rejects(subtle.importKey('raw', fill(16, 0), 'AES-GCM', true, 'encrypt'), TypeError);
  await assert.rejects(subtle.generateKey({ name: 'AES-GCM', length: 100 }, true, ['encrypt']), 'OperationError');
  await assert.rejects(subtle.generateKey({ name: 'AES-GCM', length: 128 }, true, []), 'SyntaxError');
  await assert.rejects(subtle.generateKey({ name: 'AES-GCM', length: -1 }, true, ['encrypt']), TypeError);
  await assert.rejects(subtle.generateKey('SHA-256', true, ['encrypt']), 'NotSupportedError');
  await assert.rejects(subtle.generateKey({ name: 'RSA-OAEP' }, true, ['encrypt']), TypeError);
  await assert.rejects(subtle.sign('HMAC', {}, utf8('x')), TypeError, 'not a CryptoKey');
  await assert.rejects(subtle.encrypt({ name: 'AES-GCM', iv }, key), TypeError, 'missing argument');
  const e = await assert.rejects(subtle.importKey('raw', fill(16, 0), 'FOO', true, ['encrypt']));
  assert.ok(e instanceof DOMException);
  assert.equal(e.code, DOMException.NOT_SUPPORTED_ERR);
});

test('CryptoKey: attributes, normalized usages, not constructible', async () => {
  const key = await subtle.importKey('raw', fill(16, 0), { name: 'aes-gcm' }, true,
    ['unwrapKey', 'encrypt', 'decrypt', 'encrypt']);
  assert.equal(key.type, 'secret');
  assert.equal(key.extractable, true);
  assert.deepEqual(key.algorithm, { name: 'AES-GCM', length: 128 });
  assert.deepEqual(key.usages, ['encrypt', 'decrypt', 'unwrapKey']);
  assert.equal(key.algorithm, key.algorithm, 'algorithm is cached');
  assert.equal(key.usages, key.usages, 'usages is cached');
  key.usages.push('wrapKey');
  await assert.rejects(subtle.wrapKey('raw', key, key, 'AES-GCM'), TypeError, 'the wrap parameters need an iv');
  await assert.rejects(subtle.wrapKey('raw', key, key, { name: 'AES-GCM', iv: new Uint8Array(12) }),
    'InvalidAccessError', 'mutating the usages array changes nothing');
  assert.ok(key instanceof CryptoKey);
  assert.equal(Object.prototype.toString.call(key), '[object CryptoKey]');
  assert.deepEqual(Reflect.ownKeys(key), []);
  assert.equal(JSON.stringify(key), '{}');
  assert.throws(() => new CryptoKey(), TypeError);
  assert.throws(() => CryptoKey.prototype.type, TypeError);
  assert.throws(() => Object.getOwnPropertyDescriptor(CryptoKey.prototype, 'usages').get.call({}), TypeError);
  assert.ok(Object.keys(CryptoKey.prototype).includes('algorithm'), 'attributes are enumerable');
});

test('SubtleCrypto: the crypto.subtle object', async () => {
  assert.ok(crypto.subtle instanceof SubtleCrypto);
  assert.equal(crypto.subtle, crypto.subtle);
  assert.equal(Object.prototype.toString.call(crypto.subtle), '[object SubtleCrypto]');
  assert.throws(() => new SubtleCrypto(), TypeError);
  assert.equal(SubtleCrypto.prototype.encrypt.length, 3);
  assert.equal(SubtleCrypto.prototype.unwrapKey.length, 7);
  assert.equal(SubtleCrypto.prototype.deriveBits.length, 2);
  assert.ok(Object.keys(SubtleCrypto.prototype).includes('digest'));
  assert.ok(!Object.prototype.hasOwnProperty.call(globalThis, 'cryptoSubtle'));
});

// Contains `needle` as a contiguous run of bytes.
const containsBytes = (hay, needle) => {
  for (let i = 0; i + needle.length <= hay.length; i++) {
    let k = 0;
    while (k < needle.length && hay[i + k] === needle[k]) k++;
    if (k === needle.length) return true;
  }
  return false;
};

test('key material is not observable through builtins a worker replaced', async () => {
  const kek = await subtle.importKey('raw', fill(16, 0x5a), 'AES-KW', false, ['wrapKey', 'unwrapKey']);
  const hmacKey = await subtle.importKey('raw', fill(32, 0x5b), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
  const wrappedHmac = await subtle.wrapKey('raw', hmacKey, kek, 'AES-KW');
  const gcm = await subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['wrapKey', 'unwrapKey']);
  const iv = new Uint8Array(12);
  const ec = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  const ecD = fromB64url((await subtle.exportKey('jwk', ec.privateKey)).d);
  const wrappedEc = await subtle.wrapKey('pkcs8', ec.privateKey, gcm, { name: 'AES-GCM', iv });
  const wrappedEcJwk = await subtle.wrapKey('jwk', ec.privateKey, gcm, { name: 'AES-GCM', iv });
  const secrets = [fill(16, 0x5a), fill(32, 0x5b), ecD];

  // The hooks themselves use only builtins nobody hooks (Set.prototype.add, Reflect.apply).
  const seen = new Set();
  const saved = [];
  const hook = (obj, name) => {
    const d = Object.getOwnPropertyDescriptor(obj, name);
    saved.push([obj, name, d]);
    if (d === undefined) {
      Object.defineProperty(obj, name, { get() { seen.add(this); return undefined; }, configurable: true });
    } else if (d.get) {
      Object.defineProperty(obj, name, { ...d, get() { seen.add(this); return Reflect.apply(d.get, this, []); } });
    } else if (typeof d.value === 'function') {
      const f = d.value;
      const value = function (...args) {
        seen.add(this);
        return Reflect.apply(f, this, args);
      };
      Object.defineProperty(obj, name, { ...d, value });
    }
  };
  const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
  for (const n of ['length', 'byteLength', 'buffer', 'byteOffset', 'slice', 'subarray', 'set', Symbol.iterator]) {
    hook(TypedArrayProto, n);
  }
  for (const n of ['slice', 'byteLength', 'constructor']) hook(ArrayBuffer.prototype, n);
  // Index getters catch reads past the end of an array (which go to the prototype).
  for (const n of [Symbol.iterator, 'slice', 'push', '2', '3', '8']) hook(Array.prototype, n);
  hook(Function.prototype, 'call');
  hook(Function.prototype, 'apply');
  for (const n of ['k', 'd', 'x', 'oth', 'exportKey', 'then']) hook(Object.prototype, n);
  for (const n of ['charCodeAt', 'slice', 'indexOf']) hook(String.prototype, n);
  let hmac, ecPkcs8, ecJwk;
  try {
    hmac = await subtle.unwrapKey('raw', wrappedHmac, kek, 'AES-KW', { name: 'HMAC', hash: 'SHA-256' }, false,
      ['sign']);
    ecPkcs8 = await subtle.unwrapKey('pkcs8', wrappedEc, gcm, { name: 'AES-GCM', iv },
      { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    ecJwk = await subtle.unwrapKey('jwk', wrappedEcJwk, gcm, { name: 'AES-GCM', iv },
      { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    await subtle.sign('HMAC', hmac, utf8('x'));
    await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, ecPkcs8, utf8('x'));
    await subtle.exportKey('raw', hmac).catch(() => {});
    await subtle.exportKey('jwk', ecJwk).catch(() => {});
  } finally {
    for (let i = saved.length - 1; i >= 0; i--) {
      const entry = saved[i];
      if (entry[2] === undefined) delete entry[0][entry[1]];
      else Object.defineProperty(entry[0], entry[1], entry[2]);
    }
  }
  assert.ok(hmac && ecPkcs8 && ecJwk, 'every key unwrapped');
  assert.ok(seen.size > 0, 'the hooks ran');
  const leaks = (v, depth = 0) => {
    if (Array.isArray(v)) return depth < 3 && v.some((e) => leaks(e, depth + 1));
    let bytes = null;
    if (v instanceof ArrayBuffer) bytes = new Uint8Array(v);
    else if (ArrayBuffer.isView(v)) bytes = new Uint8Array(v.buffer);
    else if (typeof v === 'string' || v instanceof String) bytes = utf8(String(v));
    else if (v !== null && typeof v === 'object') return depth < 3 && Object.values(v).some((e) => leaks(e, depth + 1));
    return bytes !== null && secrets.some((s) => containsBytes(bytes, s) ||
      containsBytes(bytes, utf8(b64url(s))));
  };
  assert.equal([...seen].filter((v) => leaks(v)).length, 0, 'no key bytes reached a worker hook');
});

test('edge cases: empty inputs and keys, an EC PKCS #8 key without its public key', async () => {
  const ecdsa = { name: 'ECDSA', namedCurve: 'P-256' };
  const noPublic = hex('3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420' + p256.d);
  const priv = await subtle.importKey('pkcs8', noPublic, ecdsa, true, ['sign']);
  const jwk = await subtle.exportKey('jwk', priv);
  assertHex(fromB64url(jwk.x), p256.x, 'the public key is computed');
  assertHex(fromB64url(jwk.y), p256.y);
  await assert.rejects(subtle.importKey('pkcs8', new Uint8Array(0), ecdsa, true, ['sign']), 'DataError');
  await assert.rejects(subtle.importKey('spki', new Uint8Array(0), { name: 'RSA-PSS', hash: 'SHA-256' }, true,
    ['verify']), 'DataError');
  await assert.rejects(subtle.importKey('raw', new Uint8Array(0), { name: 'ECDH', namedCurve: 'P-256' }, true, []),
    'DataError');
  await assert.rejects(subtle.importKey('jwk', { kty: 'RSA', n: '', e: 'AQAB' }, { name: 'RSA-PSS', hash: 'SHA-256' },
    true, ['verify']), 'DataError');
  await assert.rejects(subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: '' }, 'Ed25519', true, []),
    'DataError');
  const gcm = await subtle.generateKey({ name: 'AES-GCM', length: 128 }, true, ['encrypt', 'decrypt']);
  const iv = new Uint8Array(12);
  const ct = await subtle.encrypt({ name: 'AES-GCM', iv }, gcm, new Uint8Array(0));
  assert.equal(ct.byteLength, 16, 'just the tag');
  assert.equal((await subtle.decrypt({ name: 'AES-GCM', iv }, gcm, ct)).byteLength, 0);
  await assert.rejects(subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(0) }, gcm, new Uint8Array(1)),
    'OperationError', 'empty iv');
  const ctr = await subtle.importKey('raw', new Uint8Array(16), 'AES-CTR', true, ['encrypt']);
  assert.equal((await subtle.encrypt({ name: 'AES-CTR', counter: new Uint8Array(16), length: 64 }, ctr,
    new Uint8Array(0))).byteLength, 0);
  const ed = await subtle.generateKey('Ed25519', true, ['sign', 'verify']);
  assert.equal((await subtle.sign('Ed25519', ed.privateKey, new Uint8Array(0))).byteLength, 64);
  assert.equal(await subtle.verify('Ed25519', ed.publicKey, new Uint8Array(0), new Uint8Array(0)), false);
  const pbkdf = await subtle.importKey('raw', new Uint8Array(0), 'PBKDF2', false, ['deriveBits']);
  assert.equal((await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-512', salt: new Uint8Array(0), iterations: 1 },
    pbkdf, 512)).byteLength, 64);
});

test('large inputs: 8 MiB through AES-GCM and SHA-256', async () => {
  const key = await subtle.generateKey({ name: 'AES-GCM', length: 128 }, true, ['encrypt', 'decrypt']);
  const big = new Uint8Array(8 << 20).fill(7);
  const iv = new Uint8Array(12);
  const ct = await subtle.encrypt({ name: 'AES-GCM', iv }, key, big);
  assert.equal(ct.byteLength, big.length + 16);
  const pt = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv }, key, ct));
  assert.ok(pt.length === big.length && pt.every((b) => b === 7));
  assert.equal((await subtle.digest('SHA-256', big)).byteLength, 32);
});
