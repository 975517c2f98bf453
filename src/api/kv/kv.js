// Workers KV: env.NAMESPACE.get/getWithMetadata/put/delete/list over the node's KvStore (native.kv*).
// Values are bytes; strings are stored as UTF-8. Every method returns a promise, as on Workers.
(function (g, native, internal) {
  'use strict';
  const kMaxKeyBytes = 512;
  const kMaxMetadataBytes = 1024;

  function checkKey(key) {
    key = String(key);
    if (key === '' || key === '.' || key === '..') throw new TypeError('KV: illegal key "' + key + '"');
    if (native.utf8Encode(key).length > kMaxKeyBytes) throw new TypeError('KV: keys are at most 512 bytes');
    return key;
  }
  function toBytes(value) {
    if (typeof value === 'string') return native.utf8Encode(value);
    if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
    throw new TypeError('KV put() accepts a string, ArrayBuffer or ArrayBufferView');
  }
  function decode(bytes, type) {
    switch (type) {
      case 'text': return native.utf8Decode(bytes, false);
      case 'json': return JSON.parse(native.utf8Decode(bytes, false));
      case 'arrayBuffer': return bytes.buffer;
      case 'stream':
        if (typeof g.ReadableStream === 'function') return new g.Response(bytes).body;
        throw new TypeError('KV get(): type "stream" needs ReadableStream');
      default: throw new TypeError('KV get(): unknown type "' + type + '"');
    }
  }
  function readType(options) {
    if (options === undefined || options === null) return 'text';
    if (typeof options === 'string') return options;
    return options.type === undefined ? 'text' : String(options.type);
  }

  class KVNamespace {
    #id;
    constructor(id) { this.#id = id; }
    static id(ns) { return ns.#id; }

    async get(key, options) {
      const type = readType(options);
      const r = native.kvGet(this.#id, checkKey(key));
      return r === null ? null : decode(r[0], type);
    }
    async getWithMetadata(key, options) {
      const type = readType(options);
      const r = native.kvGet(this.#id, checkKey(key));
      if (r === null) return { value: null, metadata: null };
      return { value: decode(r[0], type), metadata: r[1] === null ? null : JSON.parse(r[1]) };
    }
    async put(key, value, options) {
      key = checkKey(key);
      const bytes = toBytes(value);
      let expiration = 0;
      let metadata = '';
      if (options !== undefined && options !== null) {
        const now = Math.floor(Date.now() / 1000);
        if (options.expiration !== undefined) {
          expiration = Number(options.expiration);
          if (!(expiration > now + 59)) throw new TypeError('KV put(): expiration must be at least 60 seconds in the future');
        } else if (options.expirationTtl !== undefined) {
          const ttl = Number(options.expirationTtl);
          if (!(ttl >= 60)) throw new TypeError('KV put(): expirationTtl must be at least 60');
          expiration = now + Math.floor(ttl);
        }
        if (options.metadata !== undefined && options.metadata !== null) {
          metadata = JSON.stringify(options.metadata);
          if (native.utf8Encode(metadata).length > kMaxMetadataBytes) throw new TypeError('KV put(): metadata is at most 1024 bytes');
        }
      }
      native.kvPut(this.#id, key, bytes, expiration, metadata);
    }
    async delete(key) {
      native.kvDelete(this.#id, checkKey(key));
    }
    async list(options) {
      options = options || {};
      const limit = options.limit === undefined ? 1000 : Number(options.limit);
      if (!(limit >= 1 && limit <= 1000)) throw new TypeError('KV list(): limit must be between 1 and 1000');
      const prefix = options.prefix === undefined || options.prefix === null ? '' : String(options.prefix);
      const cursor = options.cursor === undefined || options.cursor === null ? '' : String(options.cursor);
      return JSON.parse(native.kvList(this.#id, prefix, cursor, limit));
    }
  }
  Object.defineProperty(KVNamespace.prototype, Symbol.toStringTag, { value: 'KvNamespace' });
  delete KVNamespace.id;

  internal.makeKvNamespace = (id) => new KVNamespace(String(id));
})
