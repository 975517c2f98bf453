// crypto.subtle: SubtleCrypto and CryptoKey, per the Web Cryptography API (https://w3c.github.io/webcrypto/),
// including Ed25519 (also as Workers' NODE-ED25519). The algorithms themselves run in crypto.cc.
(function (g, native, internal) {
  'use strict';

  // Key material passes through this file. While it does, nothing here may call a function or getter a worker can
  // replace (a prototype method or accessor, a global, an array iterator), or the worker would see the bytes. So the
  // builtins used on it are captured now and called through `apply`; byte arrays are read by index with their
  // lengths from captured getters; records are null-prototype objects; arrays holding material are literals, read
  // by index and never destructured. Worker-supplied arguments are converted the ordinary WebIDL way.
  const { Uint8Array, ArrayBuffer, DataView, TypeError, Error, Reflect, Object, JSON, Number, String, Symbol } = g;
  const DOMException = internal.DOMException;
  const apply = Reflect.apply;
  const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf, setPrototypeOf } = Object;
  const jsonParse = JSON.parse;
  const jsonStringify = JSON.stringify;
  const isView = ArrayBuffer.isView;
  const fromCharCode = String.fromCharCode;
  const { indexOf: stringIndexOf, slice: stringSlice, charCodeAt } = String.prototype;
  const mathTrunc = g.Math.trunc;
  const numberIsFinite = Number.isFinite;

  const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
  const getter = (proto, name) => getOwnPropertyDescriptor(proto, name).get;
  const taBuffer = getter(TypedArrayPrototype, 'buffer');
  const taByteOffset = getter(TypedArrayPrototype, 'byteOffset');
  const taByteLength = getter(TypedArrayPrototype, 'byteLength');
  const taLength = getter(TypedArrayPrototype, 'length');
  const taTag = getter(TypedArrayPrototype, Symbol.toStringTag);
  const taSet = TypedArrayPrototype.set;
  const dvBuffer = getter(DataView.prototype, 'buffer');
  const dvByteOffset = getter(DataView.prototype, 'byteOffset');
  const dvByteLength = getter(DataView.prototype, 'byteLength');
  const abByteLength = getter(ArrayBuffer.prototype, 'byteLength');

  const token = Symbol('construct');
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  const lengthOf = (u8) => apply(taLength, u8, []);
  const bufferOf = (u8) => apply(taBuffer, u8, []);
  // The brand check throws for anything else, so callers try isView first.
  const isArrayBuffer = (v) => {
    if (!isObject(v)) return false;
    try { apply(abByteLength, v, []); return true; } catch { return false; }
  };
  const isBufferSource = (v) => (isObject(v) && isView(v)) || isArrayBuffer(v);
  const EMPTY = new Uint8Array(0);

  // ---------------------------------------------------------------------------------------------------------------
  // Errors

  const domError = (name) => (message) => new DOMException(message, name);
  const operationError = domError('OperationError');
  const dataError = domError('DataError');
  const notSupported = domError('NotSupportedError');
  const invalidAccess = domError('InvalidAccessError');
  const syntaxError = domError('SyntaxError');

  // Calls a native; its "Name: message" Errors (crypto.h) become DOMExceptions.
  const nativeErrorNames = { __proto__: null, OperationError: true, DataError: true, NotSupportedError: true };
  const ErrorPrototype = Error.prototype;
  function run(fn) {
    try {
      return fn();
    } catch (e) {
      if (isObject(e) && getPrototypeOf(e) === ErrorPrototype) {
        const d = getOwnPropertyDescriptor(e, 'message');
        const message = d === undefined ? '' : d.value;
        const i = apply(stringIndexOf, message, [': ']);
        const name = i > 0 ? apply(stringSlice, message, [0, i]) : '';
        if (nativeErrorNames[name] === true) throw new DOMException(apply(stringSlice, message, [i + 2]), name);
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Bytes

  // A fresh Uint8Array holding a copy of a BufferSource's bytes; TypeError for anything else (or a shared buffer).
  function copyBytes(v, what) {
    let buffer, offset, length;
    if (isObject(v) && isView(v)) {
      if (apply(taTag, v, []) !== undefined) {
        buffer = apply(taBuffer, v, []);
        offset = apply(taByteOffset, v, []);
        length = apply(taByteLength, v, []);
      } else {
        buffer = apply(dvBuffer, v, []);
        offset = apply(dvByteOffset, v, []);
        length = apply(dvByteLength, v, []);
      }
      if (!isArrayBuffer(buffer)) throw new TypeError(`${what} must not be backed by a SharedArrayBuffer`);
    } else if (isArrayBuffer(v)) {
      buffer = v;
      offset = 0;
      length = apply(abByteLength, v, []);
    } else {
      throw new TypeError(`${what} is not of type '(ArrayBuffer or ArrayBufferView)'`);
    }
    const out = new Uint8Array(length);
    if (length > 0) apply(taSet, out, [new Uint8Array(buffer, offset, length)]);
    return out;
  }

  // A new ArrayBuffer with a copy of u8 (one of ours).
  function copyOut(u8) {
    const out = new Uint8Array(lengthOf(u8));
    apply(taSet, out, [u8]);
    return bufferOf(out);
  }

  // The first `bits` bits of an ArrayBuffer, the bits past them in the last byte zeroed.
  function truncateBits(buffer, bits) {
    const src = new Uint8Array(buffer);
    const n = (bits + 7) >> 3;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = src[i];
    if (bits % 8 !== 0) out[n - 1] &= (0xff << (8 - (bits % 8))) & 0xff;
    return bufferOf(out);
  }

  // base64url without padding (RFC 7515 section 2), as JWK members are written.
  const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const b64Value = { __proto__: null };
  for (let i = 0; i < 64; i++) b64Value[b64[i]] = i;

  function base64url(u8) {
    const n = lengthOf(u8);
    let out = '';
    let i = 0;
    for (; i + 2 < n; i += 3) {
      const v = (u8[i] << 16) | (u8[i + 1] << 8) | u8[i + 2];
      out += b64[v >> 18] + b64[(v >> 12) & 63] + b64[(v >> 6) & 63] + b64[v & 63];
    }
    if (n - i === 1) {
      const v = u8[i] << 16;
      out += b64[v >> 18] + b64[(v >> 12) & 63];
    } else if (n - i === 2) {
      const v = (u8[i] << 16) | (u8[i + 1] << 8);
      out += b64[v >> 18] + b64[(v >> 12) & 63] + b64[(v >> 6) & 63];
    }
    return out;
  }

  // Decodes a JWK member (trailing '=' tolerated); DataError when it is not base64url.
  function fromBase64url(s, member) {
    let n = s.length;
    while (n > 0 && s[n - 1] === '=') n--;
    if (n % 4 === 1) throw dataError(`The JWK member '${member}' is not valid base64url`);
    const out = new Uint8Array((n * 3) >> 2);
    let acc = 0, bits = 0, j = 0;
    for (let i = 0; i < n; i++) {
      const v = b64Value[s[i]];
      if (v === undefined) throw dataError(`The JWK member '${member}' is not valid base64url`);
      acc = ((acc << 6) | v) & 0xffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[j++] = (acc >> bits) & 0xff;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // WebIDL conversions

  function requireArgs(count, required, method) {
    if (count < required) {
      throw new TypeError(`Failed to execute '${method}' on 'SubtleCrypto': ${required} arguments required, ` +
        `but only ${count} present.`);
    }
  }

  // [EnforceRange] integer types.
  function enforceRange(v, max, what) {
    const x = +v;
    if (!numberIsFinite(x)) throw new TypeError(`${what} is not a finite number`);
    const t = mathTrunc(x) + 0;
    if (t < 0 || t > max) throw new TypeError(`${what} is outside the range [0, ${max}]`);
    return t;
  }

  // unsigned long (no [EnforceRange]): modulo 2^32.
  function toUnsignedLong(v) {
    const x = +v;
    if (!numberIsFinite(x)) return 0;
    const t = mathTrunc(x) % 4294967296;
    return t < 0 ? t + 4294967296 : t + 0;
  }

  const keyFormats = { __proto__: null, raw: true, spki: true, pkcs8: true, jwk: true };
  function toFormat(v) {
    const s = `${v}`;
    if (keyFormats[s] !== true) throw new TypeError(`'${s}' is not a valid KeyFormat`);
    return s;
  }

  // KeyUsage values in their enumeration order, which is the order a key lists them in.
  const usageOrder = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'];
  const usageRank = { __proto__: null };
  for (let i = 0; i < usageOrder.length; i++) usageRank[usageOrder[i]] = i;

  // sequence<KeyUsage> -> a duplicate-free list in enumeration order.
  function toUsages(v) {
    if (!isObject(v) || typeof v[Symbol.iterator] !== 'function') {
      throw new TypeError('keyUsages is not a sequence');
    }
    const seen = [false, false, false, false, false, false, false, false];
    for (const u of v) {
      const s = `${u}`;
      const rank = usageRank[s];
      if (rank === undefined) throw new TypeError(`'${s}' is not a valid KeyUsage`);
      seen[rank] = true;
    }
    return usagesWhere((i) => seen[i]);
  }

  function usagesWhere(keep) {
    const out = [];
    let n = 0;
    for (let i = 0; i < usageOrder.length; i++) if (keep(i)) out[n++] = usageOrder[i];
    return out;
  }

  function listHas(list, value) {
    for (let i = 0; i < list.length; i++) if (list[i] === value) return true;
    return false;
  }

  // The usages of `usages` that are in `allowed`.
  function intersect(usages, allowed) {
    return usagesWhere((i) => listHas(usages, usageOrder[i]) && listHas(allowed, usageOrder[i]));
  }

  // SyntaxError unless every usage is one of `allowed`.
  function checkUsages(usages, allowed) {
    for (let i = 0; i < usages.length; i++) {
      if (!listHas(allowed, usages[i])) throw syntaxError(`'${usages[i]}' is not a valid usage for this key`);
    }
  }

  // JsonWebKey (a dictionary: members read in lexicographic order) -> a null-prototype object.
  const jwkStrings = ['alg', 'crv', 'd', 'dp', 'dq', 'e', 'k', 'kty', 'n', 'p', 'q', 'qi', 'use', 'x', 'y'];
  const jwkMemberOrder = [
    'alg', 'crv', 'd', 'dp', 'dq', 'e', 'ext', 'k', 'key_ops', 'kty', 'n', 'oth', 'p', 'q', 'qi', 'use', 'x', 'y',
  ];
  function toJwk(v) {
    const jwk = { __proto__: null };
    if (v === undefined || v === null) return jwk;
    if (!isObject(v)) throw new TypeError('keyData is not a JsonWebKey');
    for (let i = 0; i < jwkMemberOrder.length; i++) {
      const member = jwkMemberOrder[i];
      const value = v[member];
      if (value === undefined) continue;
      if (member === 'ext') {
        jwk.ext = !!value;
      } else if (member === 'key_ops') {
        if (!isObject(value) || typeof value[Symbol.iterator] !== 'function') {
          throw new TypeError('JWK key_ops is not a sequence');
        }
        const ops = [];
        let n = 0;
        for (const op of value) ops[n++] = `${op}`;
        jwk.key_ops = ops;
      } else if (member === 'oth') {
        jwk.oth = true;  // multi-prime RSA: only its presence matters (it is not supported)
      } else if (listHas(jwkStrings, member)) {
        jwk[member] = `${value}`;
      }
    }
    return jwk;
  }

  // The checks every JWK import makes (kty, use, key_ops, ext): DataError.
  function checkJwk(jwk, kty, usages, use, extractable) {
    if (jwk.kty !== kty) throw dataError(`The JWK 'kty' member must be '${kty}'`);
    if (usages.length > 0 && jwk.use !== undefined && jwk.use !== use) {
      throw dataError(`The JWK 'use' member must be '${use}'`);
    }
    const ops = jwk.key_ops;
    if (ops !== undefined) {
      for (let i = 0; i < ops.length; i++) {
        for (let j = i + 1; j < ops.length; j++) {
          if (ops[i] === ops[j]) throw dataError(`The JWK 'key_ops' member lists '${ops[i]}' twice`);
        }
      }
      for (let i = 0; i < usages.length; i++) {
        if (!listHas(ops, usages[i])) throw dataError(`The JWK 'key_ops' member does not allow '${usages[i]}'`);
      }
    }
    if (jwk.ext === false && extractable) throw dataError('The JWK is not extractable (ext is false)');
  }

  function jwkMember(jwk, member) {
    const s = jwk[member];
    if (s === undefined) throw dataError(`The JWK member '${member}' is missing`);
    return fromBase64url(s, member);
  }
  const optionalJwkMember = (jwk, member) =>
    (jwk[member] === undefined ? undefined : fromBase64url(jwk[member], member));

  // The bytes of a key unwrapped as 'jwk' -> a JsonWebKey (DataError when it is not JSON for an object). The parsed
  // object loses its prototype first, so that reading an absent member cannot reach a worker's Object.prototype.
  function parseJwk(bytes) {
    const text = native.utf8Decode(bytes, true);
    let value;
    try {
      value = text === null ? undefined : jsonParse(text);
    } catch {
      value = undefined;
    }
    if (!isObject(value)) throw dataError('The unwrapped key is not a JSON Web Key');
    setPrototypeOf(value, null);
    return toJwk(value);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Algorithm normalization (https://w3c.github.io/webcrypto/#algorithm-normalization-normalize-an-algorithm)

  const BUFFER = 1, HASH = 2, ULONG = 3, USHORT = 4, OCTET = 5, BIGINT = 6, STRING = 7, KEY = 8;
  const rangeMax = { [ULONG]: 4294967295, [USHORT]: 65535, [OCTET]: 255 };

  // Dictionary members in the order WebIDL reads them (inherited dictionaries first, then lexicographic); every
  // integer member here is [EnforceRange]. [member, type, required].
  const dictionaries = {
    __proto__: null,
    Algorithm: [],
    AesCtrParams: [['counter', BUFFER, true], ['length', OCTET, true]],
    AesCbcParams: [['iv', BUFFER, true]],
    AesGcmParams: [['additionalData', BUFFER, false], ['iv', BUFFER, true], ['tagLength', OCTET, false]],
    RsaOaepParams: [['label', BUFFER, false]],
    RsaPssParams: [['saltLength', ULONG, true]],
    EcdsaParams: [['hash', HASH, true]],
    RsaHashedKeyGenParams: [['modulusLength', ULONG, true], ['publicExponent', BIGINT, true], ['hash', HASH, true]],
    EcKeyGenParams: [['namedCurve', STRING, true]],
    AesKeyGenParams: [['length', USHORT, true]],
    HmacKeyGenParams: [['hash', HASH, true], ['length', ULONG, false]],
    EcdhKeyDeriveParams: [['public', KEY, true]],
    HkdfParams: [['hash', HASH, true], ['info', BUFFER, true], ['salt', BUFFER, true]],
    Pbkdf2Params: [['hash', HASH, true], ['iterations', ULONG, true], ['salt', BUFFER, true]],
    RsaHashedImportParams: [['hash', HASH, true]],
    EcKeyImportParams: [['namedCurve', STRING, true]],
    HmacImportParams: [['hash', HASH, true], ['length', ULONG, false]],
    AesDerivedKeyParams: [['length', USHORT, true]],
  };

  // The supported algorithms: operation -> algorithm name -> its parameter dictionary.
  const cipherParams = { 'RSA-OAEP': 'RsaOaepParams', 'AES-CTR': 'AesCtrParams', 'AES-CBC': 'AesCbcParams',
    'AES-GCM': 'AesGcmParams' };
  const signParams = { 'RSASSA-PKCS1-v1_5': 'Algorithm', 'RSA-PSS': 'RsaPssParams', ECDSA: 'EcdsaParams',
    HMAC: 'Algorithm', Ed25519: 'Algorithm', 'NODE-ED25519': 'Algorithm' };
  const supported = {
    encrypt: cipherParams,
    decrypt: cipherParams,
    sign: signParams,
    verify: signParams,
    digest: { 'SHA-1': 'Algorithm', 'SHA-256': 'Algorithm', 'SHA-384': 'Algorithm', 'SHA-512': 'Algorithm' },
    generateKey: {
      'RSASSA-PKCS1-v1_5': 'RsaHashedKeyGenParams', 'RSA-PSS': 'RsaHashedKeyGenParams',
      'RSA-OAEP': 'RsaHashedKeyGenParams', ECDSA: 'EcKeyGenParams', ECDH: 'EcKeyGenParams',
      'AES-CTR': 'AesKeyGenParams', 'AES-CBC': 'AesKeyGenParams', 'AES-GCM': 'AesKeyGenParams',
      'AES-KW': 'AesKeyGenParams', HMAC: 'HmacKeyGenParams', Ed25519: 'Algorithm', 'NODE-ED25519': 'EcKeyGenParams',
    },
    deriveBits: { ECDH: 'EcdhKeyDeriveParams', HKDF: 'HkdfParams', PBKDF2: 'Pbkdf2Params' },
    importKey: {
      'RSASSA-PKCS1-v1_5': 'RsaHashedImportParams', 'RSA-PSS': 'RsaHashedImportParams',
      'RSA-OAEP': 'RsaHashedImportParams', ECDSA: 'EcKeyImportParams', ECDH: 'EcKeyImportParams',
      'AES-CTR': 'Algorithm', 'AES-CBC': 'Algorithm', 'AES-GCM': 'Algorithm', 'AES-KW': 'Algorithm',
      HMAC: 'HmacImportParams', HKDF: 'Algorithm', PBKDF2: 'Algorithm', Ed25519: 'Algorithm',
      'NODE-ED25519': 'EcKeyImportParams',
    },
    wrapKey: { 'AES-KW': 'Algorithm' },
    unwrapKey: { 'AES-KW': 'Algorithm' },
    'get key length': {
      'AES-CTR': 'AesDerivedKeyParams', 'AES-CBC': 'AesDerivedKeyParams', 'AES-GCM': 'AesDerivedKeyParams',
      'AES-KW': 'AesDerivedKeyParams', HMAC: 'HmacImportParams', HKDF: 'Algorithm', PBKDF2: 'Algorithm',
    },
  };

  const asciiUpper = (s) => {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = apply(charCodeAt, s, [i]);
      out += fromCharCode(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
    }
    return out;
  };

  // operation -> ASCII-uppercased name -> { name, members }
  const registry = { __proto__: null };
  for (const op in supported) {
    registry[op] = { __proto__: null };
    for (const name in supported[op]) {
      registry[op][asciiUpper(name)] = { name, members: dictionaries[supported[op][name]] };
    }
  }

  // AlgorithmIdentifier -> a null-prototype object with the registered name and the converted members; TypeError
  // for a malformed dictionary, NotSupportedError for an algorithm `op` does not support.
  function normalize(algorithm, op) {
    if (!isObject(algorithm)) return normalize({ name: `${algorithm}` }, op);
    const nameValue = algorithm.name;
    if (nameValue === undefined) throw new TypeError("The algorithm's 'name' member is required");
    const name = `${nameValue}`;
    const entry = registry[op][asciiUpper(name)];
    if (entry === undefined) throw notSupported(`Unrecognized algorithm name '${name}' for ${op}`);
    const out = { __proto__: null, name: entry.name };
    const members = entry.members;
    for (let i = 0; i < members.length; i++) {
      const member = members[i][0], type = members[i][1], required = members[i][2];
      const value = algorithm[member];
      if (value === undefined) {
        if (required) throw new TypeError(`The ${entry.name} parameters need a '${member}' member`);
        continue;
      }
      out[member] = convertMember(value, type, `${entry.name} ${member}`);
    }
    return out;
  }

  function convertMember(value, type, what) {
    switch (type) {
      case BUFFER: return copyBytes(value, what);
      case HASH: return normalize(value, 'digest');
      case ULONG: case USHORT: case OCTET: return enforceRange(value, rangeMax[type], what);
      case BIGINT:
        if (!isObject(value) || !isView(value) || apply(taTag, value, []) !== 'Uint8Array') {
          throw new TypeError(`${what} is not a Uint8Array`);
        }
        return copyBytes(value, what);
      case STRING: return `${value}`;
      case KEY:
        if (recordOf(value) === undefined) throw new TypeError(`${what} is not a CryptoKey`);
        return value;
    }
    throw new TypeError(what);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // CryptoKey (https://w3c.github.io/webcrypto/#cryptokey-interface)
  //
  // Everything about a key is in its record, a null-prototype object in a private field: type, extractable, name,
  // hash / length / namedCurve / modulusLength (what the algorithm needs), usages (a list) and usageSet, material
  // (a Uint8Array: the raw secret, or crypto.cc's encoding of an asymmetric key's components), and the cached
  // `algorithm` and `usages` objects the getters return.

  let recordOf;

  class CryptoKey {
    #record;

    constructor(key = undefined, record = undefined) {
      if (key !== token) throw new TypeError('Illegal constructor');
      this.#record = record;
    }

    get type() { return recordOfThis(this).type; }
    get extractable() { return recordOfThis(this).extractable; }
    get algorithm() { return recordOfThis(this).algorithm; }
    get usages() { return recordOfThis(this).usagesObject; }

    static {
      recordOf = (v) => (isObject(v) && #record in v ? v.#record : undefined);
    }
  }

  function recordOfThis(v) {
    const record = recordOf(v);
    if (record === undefined) throw new TypeError('Illegal invocation');
    return record;
  }

  // The KeyAlgorithm dictionary of a record, as the `algorithm` getter returns it.
  function algorithmObject(r) {
    const out = { name: r.name };
    if (r.length !== undefined) out.length = r.length;
    if (r.namedCurve !== undefined) out.namedCurve = r.namedCurve;
    if (r.modulusLength !== undefined) {
      out.modulusLength = r.modulusLength;
      out.publicExponent = new Uint8Array(copyOut(r.publicExponent));
    }
    if (r.hash !== undefined) out.hash = { name: r.hash };
    return out;
  }

  const ownValue = (o, key) => {
    const d = getOwnPropertyDescriptor(o, key);
    return d === undefined ? undefined : d.value;
  };

  // fields: name and the algorithm's parameters (own properties only are read); material: a Uint8Array of ours.
  function createKey(type, extractable, usages, fields, material) {
    const usageSet = { __proto__: null };
    const usagesObject = [];
    for (let i = 0; i < usages.length; i++) {
      usageSet[usages[i]] = true;
      usagesObject[i] = usages[i];
    }
    const record = {
      __proto__: null,
      type,
      extractable,
      usages,
      usageSet,
      usagesObject,
      material,
      name: ownValue(fields, 'name'),
      hash: ownValue(fields, 'hash'),
      length: ownValue(fields, 'length'),
      namedCurve: ownValue(fields, 'namedCurve'),
      modulusLength: ownValue(fields, 'modulusLength'),
      publicExponent: ownValue(fields, 'publicExponent'),
    };
    record.algorithm = algorithmObject(record);
    return new CryptoKey(token, record);
  }

  // JWK members every export has.
  function jwkCommon(r, out) {
    const ops = [];
    for (let i = 0; i < r.usages.length; i++) ops[i] = r.usages[i];
    out.key_ops = ops;
    out.ext = r.extractable;
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The algorithms. Each is an object of operations; the SubtleCrypto methods have done the generic steps
  // (normalization, name and usage checks) before calling one.

  const algorithms = { __proto__: null };

  // SHA
  for (const name of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) {
    algorithms[name] = { __proto__: null, digest: (alg, data) => run(() => native.cryptoDigest(alg.name, data)) };
  }
  const hashBlockBits = { __proto__: null, 'SHA-1': 512, 'SHA-256': 512, 'SHA-384': 1024, 'SHA-512': 1024 };
  const hashSuffix = { __proto__: null, 'SHA-1': '1', 'SHA-256': '256', 'SHA-384': '384', 'SHA-512': '512' };

  function requireType(r, type) {
    if (r.type !== type) throw invalidAccess(`The operation needs a ${type} key`);
  }

  // ---- AES: AES-CTR, AES-CBC, AES-GCM, AES-KW

  const aesLength = (bits) => bits === 128 || bits === 192 || bits === 256;

  function defineAes(name, jwkSuffix, allowed, operations) {
    algorithms[name] = {
      __proto__: null,
      generateKey(alg, extractable, usages) {
        checkUsages(usages, allowed);
        if (!aesLength(alg.length)) throw operationError('AES key length must be 128, 192 or 256 bits');
        const bytes = new Uint8Array(alg.length / 8);
        native.randomFill(bytes);
        return createKey('secret', extractable, usages, { name, length: alg.length }, bytes);
      },
      importKey(format, data, alg, extractable, usages) {
        checkUsages(usages, allowed);
        let bytes;
        if (format === 'raw') {
          bytes = data;
        } else if (format === 'jwk') {
          checkJwk(data, 'oct', usages, 'enc', extractable);
          bytes = jwkMember(data, 'k');
          const expected = `A${lengthOf(bytes) * 8}${jwkSuffix}`;
          if (data.alg !== undefined && data.alg !== expected) {
            throw dataError(`The JWK 'alg' member must be '${expected}'`);
          }
        } else {
          throw notSupported(`${name} keys cannot be imported as '${format}'`);
        }
        const bits = lengthOf(bytes) * 8;
        if (!aesLength(bits)) throw dataError('AES key data must be 128, 192 or 256 bits');
        return createKey('secret', extractable, usages, { name, length: bits }, bytes);
      },
      exportKey(format, r) {
        if (format === 'raw') return copyOut(r.material);
        if (format === 'jwk') {
          return jwkCommon(r, { kty: 'oct', k: base64url(r.material), alg: `A${r.length}${jwkSuffix}` });
        }
        throw notSupported(`${name} keys cannot be exported as '${format}'`);
      },
      getKeyLength(alg) {
        if (!aesLength(alg.length)) throw operationError('AES key length must be 128, 192 or 256 bits');
        return alg.length;
      },
      ...operations,
    };
  }

  const cipherUsages = ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'];
  const gcmTagLengths = { __proto__: null, 32: true, 64: true, 96: true, 104: true, 112: true, 120: true, 128: true };

  function aesGcm(encrypt, alg, r, data) {
    const tagLength = alg.tagLength === undefined ? 128 : alg.tagLength;
    if (gcmTagLengths[tagLength] !== true) throw operationError(`${tagLength} is not a valid AES-GCM tag length`);
    const aad = alg.additionalData === undefined ? EMPTY : alg.additionalData;
    return run(() => native.cryptoAesGcm(encrypt, r.material, alg.iv, aad, tagLength / 8, data));
  }

  defineAes('AES-GCM', 'GCM', cipherUsages, {
    encrypt: (alg, r, data) => aesGcm(true, alg, r, data),
    decrypt: (alg, r, data) => aesGcm(false, alg, r, data),
  });
  defineAes('AES-CBC', 'CBC', cipherUsages, {
    encrypt: (alg, r, data) => run(() => native.cryptoAesCbc(true, r.material, alg.iv, data)),
    decrypt: (alg, r, data) => run(() => native.cryptoAesCbc(false, r.material, alg.iv, data)),
  });
  defineAes('AES-CTR', 'CTR', cipherUsages, {
    encrypt: (alg, r, data) => run(() => native.cryptoAesCtr(r.material, alg.counter, alg.length, data)),
    decrypt: (alg, r, data) => run(() => native.cryptoAesCtr(r.material, alg.counter, alg.length, data)),
  });
  defineAes('AES-KW', 'KW', ['wrapKey', 'unwrapKey'], {
    wrapKey: (alg, r, data) => run(() => native.cryptoAesKw(true, r.material, data)),
    unwrapKey: (alg, r, data) => run(() => native.cryptoAesKw(false, r.material, data)),
  });

  // ---- HMAC

  const hmacUsages = ['sign', 'verify'];
  algorithms.HMAC = {
    __proto__: null,
    generateKey(alg, extractable, usages) {
      checkUsages(usages, hmacUsages);
      const length = alg.length === undefined ? hashBlockBits[alg.hash.name] : alg.length;
      if (length === 0) throw operationError('HMAC key length must not be zero');
      const bytes = new Uint8Array((length + 7) >> 3);
      native.randomFill(bytes);
      if (length % 8 !== 0) bytes[lengthOf(bytes) - 1] &= (0xff << (8 - (length % 8))) & 0xff;
      return createKey('secret', extractable, usages, { name: 'HMAC', hash: alg.hash.name, length }, bytes);
    },
    importKey(format, data, alg, extractable, usages) {
      checkUsages(usages, hmacUsages);
      let bytes;
      if (format === 'raw') {
        bytes = data;
      } else if (format === 'jwk') {
        checkJwk(data, 'oct', usages, 'sig', extractable);
        bytes = jwkMember(data, 'k');
        const expected = `HS${hashSuffix[alg.hash.name]}`;
        if (data.alg !== undefined && data.alg !== expected) {
          throw dataError(`The JWK 'alg' member must be '${expected}'`);
        }
      } else {
        throw notSupported(`HMAC keys cannot be imported as '${format}'`);
      }
      let length = lengthOf(bytes) * 8;
      if (length === 0) throw dataError('HMAC key data must not be empty');
      if (alg.length !== undefined) {
        if (alg.length > length || alg.length <= length - 8) {
          throw dataError(`The HMAC length ${alg.length} does not match ${length / 8} bytes of key data`);
        }
        length = alg.length;
      }
      return createKey('secret', extractable, usages, { name: 'HMAC', hash: alg.hash.name, length }, bytes);
    },
    exportKey(format, r) {
      if (format === 'raw') return copyOut(r.material);
      if (format === 'jwk') {
        return jwkCommon(r, { kty: 'oct', k: base64url(r.material), alg: `HS${hashSuffix[r.hash]}` });
      }
      throw notSupported(`HMAC keys cannot be exported as '${format}'`);
    },
    sign: (alg, r, data) => run(() => native.cryptoHmacSign(r.hash, r.material, data)),
    verify: (alg, r, signature, data) => run(() => native.cryptoHmacVerify(r.hash, r.material, signature, data)),
    getKeyLength(alg) {
      const length = alg.length === undefined ? hashBlockBits[alg.hash.name] : alg.length;
      if (length === 0) throw new TypeError('HMAC key length must not be zero');
      return length;
    },
  };

  // ---- Asymmetric keys: shared import and export

  // Imports spki / pkcs8 / raw (EC, Ed25519) through the natives: -> { isPrivate, material, modulusLength,
  // exponent }. The material is the natives' own encoding of the key (crypto.cc); this file never looks inside.
  function importAsymmetric(kind, format, data, curve) {
    const result = run(() => native.cryptoImportKey(kind, format, data, curve));
    return imported(result);
  }
  function importAsymmetricJwk(kind, curve, fields) {
    const result = run(() => native.cryptoImportJwk(kind, curve, fields));
    return imported(result);
  }
  // (Indices past the end would be looked up on a worker's Array.prototype: `length` says which exist.)
  const imported = (result) => ({
    __proto__: null,
    isPrivate: result[0],
    material: new Uint8Array(result[1]),
    modulusLength: result.length > 2 ? result[2] : undefined,
    exponent: result.length > 3 ? new Uint8Array(result[3]) : undefined,
  });

  // Usage checks before the key data is looked at: `allowed` = { public: [...], private: [...] }.
  function usagesFor(format, jwk, allowed) {
    if (format === 'spki' || format === 'raw') return allowed.public;
    if (format === 'pkcs8') return allowed.private;
    return jwk.d !== undefined ? allowed.private : allowed.public;
  }

  // Exports spki / pkcs8 / raw (-> ArrayBuffer) or jwk (-> the members as ArrayBuffers, in cryptoImportJwk's order).
  function exportAsymmetric(format, r) {
    if (format === 'spki' || format === 'raw') requireType(r, 'public');
    if (format === 'pkcs8') requireType(r, 'private');
    return run(() => native.cryptoExportKey(format, r.material));
  }

  function generatePair(kind, a, b) {
    const pair = run(() => native.cryptoGenerateKeyPair(kind, a, b));
    return { __proto__: null, publicKey: new Uint8Array(pair[0]), privateKey: new Uint8Array(pair[1]) };
  }

  function keyPair(pair, fields, extractable, usages, allowed) {
    return {
      publicKey: createKey('public', true, intersect(usages, allowed.public), fields, pair.publicKey),
      privateKey: createKey('private', extractable, intersect(usages, allowed.private), fields, pair.privateKey),
    };
  }
  function allUsages(allowed) {
    const out = [];
    let n = 0;
    for (let i = 0; i < allowed.public.length; i++) out[n++] = allowed.public[i];
    for (let i = 0; i < allowed.private.length; i++) out[n++] = allowed.private[i];
    return out;
  }

  // ---- RSA: RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP

  const RSA_MIN_BITS = 512, RSA_MAX_BITS = 8192;
  const rsaSignUsages = { public: ['verify'], private: ['sign'] };
  const rsaOaepUsages = { public: ['encrypt', 'wrapKey'], private: ['decrypt', 'unwrapKey'] };
  const rsaJwkAlg = {
    'RSASSA-PKCS1-v1_5': (hash) => `RS${hashSuffix[hash]}`,
    'RSA-PSS': (hash) => `PS${hashSuffix[hash]}`,
    'RSA-OAEP': (hash) => (hash === 'SHA-1' ? 'RSA-OAEP' : `RSA-OAEP-${hashSuffix[hash]}`),
  };
  const rsaJwkMembers = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'];

  function exponentValue(bytes) {
    let v = 0;
    for (let i = 0; i < lengthOf(bytes); i++) {
      v = v * 256 + bytes[i];
      if (v > 4294967295) return -1;
    }
    return v;
  }

  function defineRsa(name, allowed, operations) {
    const use = name === 'RSA-OAEP' ? 'enc' : 'sig';
    algorithms[name] = {
      __proto__: null,
      generateKey(alg, extractable, usages) {
        checkUsages(usages, allUsages(allowed));
        const e = exponentValue(alg.publicExponent);
        if (e !== 3 && e !== 65537) throw operationError('The RSA public exponent must be 3 or 65537');
        if (alg.modulusLength < RSA_MIN_BITS || alg.modulusLength > RSA_MAX_BITS) {
          throw operationError(`The RSA modulus length must be between ${RSA_MIN_BITS} and ${RSA_MAX_BITS} bits`);
        }
        const pair = generatePair('RSA', alg.modulusLength, alg.publicExponent);
        const fields = { name, hash: alg.hash.name, modulusLength: alg.modulusLength,
          publicExponent: alg.publicExponent };
        return keyPair(pair, fields, extractable, usages, allowed);
      },
      importKey(format, data, alg, extractable, usages) {
        let key;
        if (format === 'spki' || format === 'pkcs8') {
          checkUsages(usages, usagesFor(format, data, allowed));
          key = importAsymmetric('RSA', format, data, undefined);
        } else if (format === 'jwk') {
          checkUsages(usages, usagesFor(format, data, allowed));
          checkJwk(data, 'RSA', usages, use, extractable);
          const expected = rsaJwkAlg[name](alg.hash.name);
          if (data.alg !== undefined && data.alg !== expected) {
            throw dataError(`The JWK 'alg' member must be '${expected}'`);
          }
          if (data.oth !== undefined) throw notSupported('Multi-prime RSA keys are not supported');
          const fields = [
            jwkMember(data, 'n'), jwkMember(data, 'e'), optionalJwkMember(data, 'd'), optionalJwkMember(data, 'p'),
            optionalJwkMember(data, 'q'), optionalJwkMember(data, 'dp'), optionalJwkMember(data, 'dq'),
            optionalJwkMember(data, 'qi'),
          ];
          key = importAsymmetricJwk('RSA', undefined, fields);
        } else {
          throw notSupported(`${name} keys cannot be imported as '${format}'`);
        }
        const fields = { name, hash: alg.hash.name, modulusLength: key.modulusLength, publicExponent: key.exponent };
        return createKey(key.isPrivate ? 'private' : 'public', extractable, usages, fields, key.material);
      },
      exportKey(format, r) {
        if (format === 'spki' || format === 'pkcs8') return exportAsymmetric(format, r);
        if (format !== 'jwk') throw notSupported(`${name} keys cannot be exported as '${format}'`);
        const members = exportAsymmetric(format, r);
        const jwk = { kty: 'RSA' };
        for (let i = 0; i < members.length; i++) jwk[rsaJwkMembers[i]] = base64url(new Uint8Array(members[i]));
        jwk.alg = rsaJwkAlg[name](r.hash);
        return jwkCommon(r, jwk);
      },
      ...operations,
    };
  }

  function rsaSign(name) {
    return {
      sign(alg, r, data) {
        requireType(r, 'private');
        const salt = alg.saltLength === undefined ? 0 : alg.saltLength;
        return run(() => native.cryptoSign(name, r.hash, r.material, data, salt));
      },
      verify(alg, r, signature, data) {
        requireType(r, 'public');
        const salt = alg.saltLength === undefined ? 0 : alg.saltLength;
        return run(() => native.cryptoVerify(name, r.hash, r.material, signature, data, salt));
      },
    };
  }

  defineRsa('RSASSA-PKCS1-v1_5', rsaSignUsages, rsaSign('RSASSA-PKCS1-v1_5'));
  defineRsa('RSA-PSS', rsaSignUsages, rsaSign('RSA-PSS'));
  defineRsa('RSA-OAEP', rsaOaepUsages, {
    encrypt(alg, r, data) {
      requireType(r, 'public');
      const label = alg.label === undefined ? EMPTY : alg.label;
      return run(() => native.cryptoRsaOaep(true, r.hash, r.material, label, data));
    },
    decrypt(alg, r, data) {
      requireType(r, 'private');
      const label = alg.label === undefined ? EMPTY : alg.label;
      return run(() => native.cryptoRsaOaep(false, r.hash, r.material, label, data));
    },
  });

  // ---- EC: ECDSA, ECDH (P-256, P-384)

  const curves = { __proto__: null, 'P-256': 'ES256', 'P-384': 'ES384' };
  const ecdsaUsages = { public: ['verify'], private: ['sign'] };
  const ecdhUsages = { public: [], private: ['deriveKey', 'deriveBits'] };

  function checkCurve(curve) {
    if (curves[curve] === undefined) throw notSupported(`The named curve '${curve}' is not supported`);
  }

  function defineEc(name, allowed, operations) {
    const use = name === 'ECDSA' ? 'sig' : 'enc';
    algorithms[name] = {
      __proto__: null,
      generateKey(alg, extractable, usages) {
        checkUsages(usages, allUsages(allowed));
        checkCurve(alg.namedCurve);
        const pair = generatePair('EC', alg.namedCurve);
        return keyPair(pair, { name, namedCurve: alg.namedCurve }, extractable, usages, allowed);
      },
      importKey(format, data, alg, extractable, usages) {
        const curve = alg.namedCurve;
        checkCurve(curve);
        let key;
        if (format === 'spki' || format === 'pkcs8' || format === 'raw') {
          checkUsages(usages, usagesFor(format, data, allowed));
          key = importAsymmetric('EC', format, data, curve);
        } else if (format === 'jwk') {
          checkUsages(usages, usagesFor(format, data, allowed));
          checkJwk(data, 'EC', usages, use, extractable);
          if (data.crv !== curve) throw dataError(`The JWK 'crv' member must be '${curve}'`);
          if (name === 'ECDSA' && data.alg !== undefined && data.alg !== curves[curve]) {
            throw dataError(`The JWK 'alg' member must be '${curves[curve]}'`);
          }
          const fields = [jwkMember(data, 'x'), jwkMember(data, 'y'), optionalJwkMember(data, 'd')];
          key = importAsymmetricJwk('EC', curve, fields);
        } else {
          throw notSupported(`${name} keys cannot be imported as '${format}'`);
        }
        return createKey(key.isPrivate ? 'private' : 'public', extractable, usages, { name, namedCurve: curve },
          key.material);
      },
      exportKey(format, r) {
        if (format !== 'jwk') {
          if (format === 'spki' || format === 'pkcs8' || format === 'raw') return exportAsymmetric(format, r);
          throw notSupported(`${name} keys cannot be exported as '${format}'`);
        }
        const members = exportAsymmetric(format, r);
        const jwk = { kty: 'EC', crv: r.namedCurve, x: base64url(new Uint8Array(members[0])),
          y: base64url(new Uint8Array(members[1])) };
        if (r.type === 'private') jwk.d = base64url(new Uint8Array(members[2]));
        return jwkCommon(r, jwk);
      },
      ...operations,
    };
  }

  defineEc('ECDSA', ecdsaUsages, {
    sign(alg, r, data) {
      requireType(r, 'private');
      return run(() => native.cryptoSign('ECDSA', alg.hash.name, r.material, data, 0));
    },
    verify(alg, r, signature, data) {
      requireType(r, 'public');
      return run(() => native.cryptoVerify('ECDSA', alg.hash.name, r.material, signature, data, 0));
    },
  });
  defineEc('ECDH', ecdhUsages, {
    deriveBits(alg, r, length) {
      requireType(r, 'private');
      const peer = recordOf(alg.public);
      if (peer.type !== 'public') throw invalidAccess("The 'public' member must be a public key");
      if (peer.name !== r.name) throw invalidAccess(`The public key is for ${peer.name}, not ${r.name}`);
      if (peer.namedCurve !== r.namedCurve) throw invalidAccess('The public key is on a different curve');
      const secret = run(() => native.cryptoEcdh(r.material, peer.material));
      if (length === null) return secret;
      if (length > apply(abByteLength, secret, []) * 8) {
        throw operationError(`ECDH on ${r.namedCurve} cannot derive ${length} bits`);
      }
      return truncateBits(secret, length);
    },
  });

  // ---- Ed25519 (and NODE-ED25519, Workers' older name for it, whose keys carry namedCurve 'NODE-ED25519')

  const edUsages = { public: ['verify'], private: ['sign'] };

  function defineEd25519(name) {
    const isNode = name === 'NODE-ED25519';
    const fieldsOf = () => (isNode ? { name, namedCurve: name } : { name });
    const checkNodeCurve = (alg) => {
      if (isNode && alg.namedCurve !== name) throw notSupported(`${name} needs namedCurve '${name}'`);
    };
    algorithms[name] = {
      __proto__: null,
      generateKey(alg, extractable, usages) {
        checkNodeCurve(alg);
        checkUsages(usages, allUsages(edUsages));
        return keyPair(generatePair('Ed25519'), fieldsOf(), extractable, usages, edUsages);
      },
      importKey(format, data, alg, extractable, usages) {
        checkNodeCurve(alg);
        let key;
        if (format === 'spki' || format === 'pkcs8' || format === 'raw') {
          checkUsages(usages, usagesFor(format, data, edUsages));
          key = importAsymmetric('Ed25519', format, data, undefined);
        } else if (format === 'jwk') {
          checkUsages(usages, usagesFor(format, data, edUsages));
          checkJwk(data, 'OKP', usages, 'sig', extractable);
          if (data.crv !== 'Ed25519') throw dataError("The JWK 'crv' member must be 'Ed25519'");
          if (data.alg !== undefined && data.alg !== 'Ed25519' && data.alg !== 'EdDSA') {
            throw dataError("The JWK 'alg' member must be 'Ed25519' or 'EdDSA'");
          }
          key = importAsymmetricJwk('Ed25519', undefined, [jwkMember(data, 'x'), optionalJwkMember(data, 'd')]);
        } else {
          throw notSupported(`${name} keys cannot be imported as '${format}'`);
        }
        return createKey(key.isPrivate ? 'private' : 'public', extractable, usages, fieldsOf(), key.material);
      },
      exportKey(format, r) {
        if (format !== 'jwk') {
          if (format === 'spki' || format === 'pkcs8' || format === 'raw') return exportAsymmetric(format, r);
          throw notSupported(`${name} keys cannot be exported as '${format}'`);
        }
        const members = exportAsymmetric(format, r);
        const jwk = { kty: 'OKP', crv: 'Ed25519', x: base64url(new Uint8Array(members[0])) };
        if (r.type === 'private') jwk.d = base64url(new Uint8Array(members[1]));
        jwk.alg = isNode ? 'EdDSA' : 'Ed25519';
        return jwkCommon(r, jwk);
      },
      sign(alg, r, data) {
        requireType(r, 'private');
        return run(() => native.cryptoSign('Ed25519', '', r.material, data, 0));
      },
      verify(alg, r, signature, data) {
        requireType(r, 'public');
        return run(() => native.cryptoVerify('Ed25519', '', r.material, signature, data, 0));
      },
    };
  }
  defineEd25519('Ed25519');
  defineEd25519('NODE-ED25519');

  // ---- PBKDF2, HKDF

  // Workers' limit: more iterations would hold the isolate's thread for too long.
  const PBKDF2_MAX_ITERATIONS = 100000;

  function defineKdf(name, deriveBits) {
    algorithms[name] = {
      __proto__: null,
      importKey(format, data, alg, extractable, usages) {
        if (format !== 'raw') throw notSupported(`${name} keys can only be imported as 'raw'`);
        checkUsages(usages, ['deriveKey', 'deriveBits']);
        if (extractable) throw syntaxError(`${name} keys cannot be extractable`);
        return createKey('secret', false, usages, { name }, data);
      },
      getKeyLength: () => null,
      deriveBits(alg, r, length) {
        if (length === null) throw operationError(`${name} needs a length`);
        if (length % 8 !== 0) throw operationError(`${name} length must be a multiple of 8`);
        return deriveBits(alg, r, length);
      },
    };
  }
  defineKdf('PBKDF2', (alg, r, length) => {
    if (alg.iterations === 0) throw operationError('PBKDF2 iterations must not be zero');
    if (alg.iterations > PBKDF2_MAX_ITERATIONS) {
      throw notSupported(`PBKDF2 iteration counts above ${PBKDF2_MAX_ITERATIONS} are not supported`);
    }
    return run(() => native.cryptoPbkdf2(alg.hash.name, r.material, alg.salt, alg.iterations, length / 8));
  });
  defineKdf('HKDF', (alg, r, length) =>
    run(() => native.cryptoHkdf(alg.hash.name, r.material, alg.salt, alg.info, length / 8)));

  // ---------------------------------------------------------------------------------------------------------------
  // SubtleCrypto (https://w3c.github.io/webcrypto/#subtlecrypto-interface)

  function keyArg(v, method, position) {
    const r = recordOf(v);
    if (r === undefined) {
      throw new TypeError(`Failed to execute '${method}' on 'SubtleCrypto': parameter ${position} is not of type ` +
        "'CryptoKey'.");
    }
    return r;
  }

  function bufferArg(v, method, position) {
    if (!isBufferSource(v)) {
      throw new TypeError(`Failed to execute '${method}' on 'SubtleCrypto': parameter ${position} is not of type ` +
        "'(ArrayBuffer or ArrayBufferView)'.");
    }
    return v;
  }

  // InvalidAccessError unless `r` is a key for `alg` that allows `usage`.
  function checkKey(r, alg, usage) {
    if (r.name !== alg.name) throw invalidAccess(`The key is for ${r.name}, not ${alg.name}`);
    if (r.usageSet[usage] !== true) throw invalidAccess(`The key does not allow '${usage}'`);
  }

  function importInto(format, data, alg, extractable, usages) {
    const key = algorithms[alg.name].importKey(format, data, alg, extractable, usages);
    const r = recordOf(key);
    if ((r.type === 'secret' || r.type === 'private') && usages.length === 0) {
      throw syntaxError('A secret or private key needs at least one usage');
    }
    return key;
  }

  function exportFrom(format, r) {
    const impl = algorithms[r.name];
    if (impl.exportKey === undefined) throw notSupported(`${r.name} keys cannot be exported`);
    if (!r.extractable) throw invalidAccess('The key is not extractable');
    return impl.exportKey(format, r);
  }

  // Normalizes for wrapKey/unwrapKey, falling back to encrypt/decrypt: -> [alg, usesCipher].
  function normalizeWrap(algorithm, op, fallback) {
    try {
      return { __proto__: null, alg: normalize(algorithm, op), cipher: false };
    } catch (e) {
      if (!(internal.isDOMException(e) && e.name === 'NotSupportedError')) throw e;
    }
    return { __proto__: null, alg: normalize(algorithm, fallback), cipher: true };
  }

  let isSubtle;

  class SubtleCrypto {
    #brand = true;

    constructor(key = undefined) {
      if (key !== token) throw new TypeError('Illegal constructor');
    }

    static {
      isSubtle = (v) => isObject(v) && #brand in v;
    }

    async encrypt(algorithm, key, data) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 3, 'encrypt');
      const r = keyArg(key, 'encrypt', 2);
      bufferArg(data, 'encrypt', 3);
      const alg = normalize(algorithm, 'encrypt');
      const bytes = copyBytes(data, 'data');
      checkKey(r, alg, 'encrypt');
      return algorithms[alg.name].encrypt(alg, r, bytes);
    }

    async decrypt(algorithm, key, data) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 3, 'decrypt');
      const r = keyArg(key, 'decrypt', 2);
      bufferArg(data, 'decrypt', 3);
      const alg = normalize(algorithm, 'decrypt');
      const bytes = copyBytes(data, 'data');
      checkKey(r, alg, 'decrypt');
      return algorithms[alg.name].decrypt(alg, r, bytes);
    }

    async sign(algorithm, key, data) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 3, 'sign');
      const r = keyArg(key, 'sign', 2);
      bufferArg(data, 'sign', 3);
      const alg = normalize(algorithm, 'sign');
      const bytes = copyBytes(data, 'data');
      checkKey(r, alg, 'sign');
      return algorithms[alg.name].sign(alg, r, bytes);
    }

    async verify(algorithm, key, signature, data) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 4, 'verify');
      const r = keyArg(key, 'verify', 2);
      bufferArg(signature, 'verify', 3);
      bufferArg(data, 'verify', 4);
      const alg = normalize(algorithm, 'verify');
      const sig = copyBytes(signature, 'signature');
      const bytes = copyBytes(data, 'data');
      checkKey(r, alg, 'verify');
      return algorithms[alg.name].verify(alg, r, sig, bytes);
    }

    async digest(algorithm, data) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 2, 'digest');
      bufferArg(data, 'digest', 2);
      const alg = normalize(algorithm, 'digest');
      return algorithms[alg.name].digest(alg, copyBytes(data, 'data'));
    }

    async generateKey(algorithm, extractable, keyUsages) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 3, 'generateKey');
      const usages = toUsages(keyUsages);
      const alg = normalize(algorithm, 'generateKey');
      const result = algorithms[alg.name].generateKey(alg, !!extractable, usages);
      const r = recordOf(result);
      if (r !== undefined) {
        if (usages.length === 0) throw syntaxError('A secret key needs at least one usage');
      } else if (recordOf(result.privateKey).usages.length === 0) {
        throw syntaxError('A private key needs at least one usage');
      }
      return result;
    }

    async deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 5, 'deriveKey');
      const r = keyArg(baseKey, 'deriveKey', 2);
      const usages = toUsages(keyUsages);
      const alg = normalize(algorithm, 'deriveBits');
      const importAlg = normalize(derivedKeyType, 'importKey');
      const lengthAlg = normalize(derivedKeyType, 'get key length');
      checkKey(r, alg, 'deriveKey');
      const length = algorithms[lengthAlg.name].getKeyLength(lengthAlg);
      const secret = new Uint8Array(algorithms[alg.name].deriveBits(alg, r, length));
      return importInto('raw', secret, importAlg, !!extractable, usages);
    }

    async deriveBits(algorithm, baseKey, length = null) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 2, 'deriveBits');
      const r = keyArg(baseKey, 'deriveBits', 2);
      const bits = length === undefined || length === null ? null : toUnsignedLong(length);
      const alg = normalize(algorithm, 'deriveBits');
      checkKey(r, alg, 'deriveBits');
      return algorithms[alg.name].deriveBits(alg, r, bits);
    }

    async importKey(format, keyData, algorithm, extractable, keyUsages) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 5, 'importKey');
      format = toFormat(format);
      let data;
      if (isBufferSource(keyData)) {
        data = keyData;
      } else if (keyData === undefined || keyData === null || isObject(keyData)) {
        data = toJwk(keyData);
      } else {
        throw new TypeError("Failed to execute 'importKey' on 'SubtleCrypto': parameter 2 is not of type " +
          "'(ArrayBuffer or ArrayBufferView or JsonWebKey)'.");
      }
      const usages = toUsages(keyUsages);
      const alg = normalize(algorithm, 'importKey');
      if (format === 'jwk') {
        if (isBufferSource(data)) throw new TypeError("A 'jwk' key must be given as a JsonWebKey");
      } else {
        if (!isBufferSource(data)) throw new TypeError(`A '${format}' key must be given as a BufferSource`);
        data = copyBytes(data, 'keyData');
      }
      return importInto(format, data, alg, !!extractable, usages);
    }

    async exportKey(format, key) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 2, 'exportKey');
      format = toFormat(format);
      return exportFrom(format, keyArg(key, 'exportKey', 2));
    }

    async wrapKey(format, key, wrappingKey, wrapAlgorithm) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 4, 'wrapKey');
      format = toFormat(format);
      const r = keyArg(key, 'wrapKey', 2);
      const wr = keyArg(wrappingKey, 'wrapKey', 3);
      const n = normalizeWrap(wrapAlgorithm, 'wrapKey', 'encrypt');
      checkKey(wr, n.alg, 'wrapKey');
      const exported = exportFrom(format, r);
      const bytes = format === 'jwk' ? native.utf8Encode(jsonStringify(exported)) : new Uint8Array(exported);
      const impl = algorithms[n.alg.name];
      return n.cipher ? impl.encrypt(n.alg, wr, bytes) : impl.wrapKey(n.alg, wr, bytes);
    }

    async unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable,
      keyUsages) {
      if (!isSubtle(this)) throw new TypeError('Illegal invocation');
      requireArgs(arguments.length, 7, 'unwrapKey');
      format = toFormat(format);
      bufferArg(wrappedKey, 'unwrapKey', 2);
      const ur = keyArg(unwrappingKey, 'unwrapKey', 3);
      const usages = toUsages(keyUsages);
      const n = normalizeWrap(unwrapAlgorithm, 'unwrapKey', 'decrypt');
      const importAlg = normalize(unwrappedKeyAlgorithm, 'importKey');
      const wrapped = copyBytes(wrappedKey, 'wrappedKey');
      checkKey(ur, n.alg, 'unwrapKey');
      const impl = algorithms[n.alg.name];
      const bytes = new Uint8Array(n.cipher ? impl.decrypt(n.alg, ur, wrapped) : impl.unwrapKey(n.alg, ur, wrapped));
      const data = format === 'jwk' ? parseJwk(bytes) : bytes;
      return importInto(format, data, importAlg, !!extractable, usages);
    }
  }

  // WebIDL: operations and attributes are enumerable; the interfaces carry their names as toStringTag.
  for (const [C, names] of [
    [CryptoKey, ['type', 'extractable', 'algorithm', 'usages']],
    [SubtleCrypto, ['encrypt', 'decrypt', 'sign', 'verify', 'digest', 'generateKey', 'deriveKey', 'deriveBits',
      'importKey', 'exportKey', 'wrapKey', 'unwrapKey']],
  ]) {
    for (const name of names) {
      const d = getOwnPropertyDescriptor(C.prototype, name);
      d.enumerable = true;
      defineProperty(C.prototype, name, d);
    }
    defineProperty(C.prototype, Symbol.toStringTag, {
      value: C.name, writable: false, enumerable: false, configurable: true,
    });
  }

  internal.cryptoSubtle = new SubtleCrypto(token);
  internal.isCryptoKey = (v) => recordOf(v) !== undefined;
  internal.defineGlobal(g, 'SubtleCrypto', SubtleCrypto);
  internal.defineGlobal(g, 'CryptoKey', CryptoKey);
});
