// Blob and File, per the File API (https://w3c.github.io/FileAPI/), and FormData, per the XHR Standard
// (https://xhr.spec.whatwg.org/#interface-formdata); plus multipart/form-data serialization (HTML's "multipart/form-data
// encoding algorithm") and parsing, and application/x-www-form-urlencoded parsing, for Request/Response.formData().
// A Blob's bytes live in one Uint8Array that is never written after construction: slices share it.
(function (g, native, internal) {
  'use strict';

  const Uint8ArrayCtor = Uint8Array;
  const ArrayBufferCtor = ArrayBuffer;
  const { isView } = ArrayBuffer;
  const PromiseCtor = Promise;
  const resolvedP = Promise.resolve.bind(Promise);
  const rejectedP = Promise.reject.bind(Promise);
  const apply = Reflect.apply;
  const MathMax = Math.max;
  const MathMin = Math.min;
  const uncurry = (f) => Function.prototype.call.bind(f);
  const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
  const taTag = uncurry(Object.getOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag).get);
  const taBuffer = uncurry(Object.getOwnPropertyDescriptor(TypedArrayProto, 'buffer').get);
  const taByteOffset = uncurry(Object.getOwnPropertyDescriptor(TypedArrayProto, 'byteOffset').get);
  const taByteLength = uncurry(Object.getOwnPropertyDescriptor(TypedArrayProto, 'byteLength').get);
  const dvBuffer = uncurry(Object.getOwnPropertyDescriptor(DataView.prototype, 'buffer').get);
  const dvByteOffset = uncurry(Object.getOwnPropertyDescriptor(DataView.prototype, 'byteOffset').get);
  const dvByteLength = uncurry(Object.getOwnPropertyDescriptor(DataView.prototype, 'byteLength').get);
  const abByteLength = uncurry(Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get);
  const u8Slice = uncurry(TypedArrayProto.slice);
  const u8Subarray = uncurry(TypedArrayProto.subarray);
  const u8IndexOf = uncurry(TypedArrayProto.indexOf);

  const INTERNAL = Symbol('internal');
  const EMPTY = new Uint8ArrayCtor(0);
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  const illegal = () => new TypeError('Illegal invocation');
  const LONE_SURROGATE = /\p{Surrogate}/u;
  const LONE_SURROGATES = /\p{Surrogate}/gu;
  const toUSV = (v) => {
    const s = `${v}`;
    return LONE_SURROGATE.test(s) ? s.replace(LONE_SURROGATES, '\ufffd') : s;
  };
  // A Uint8Array over the bytes of an ArrayBuffer or view (of any realm), or null.
  const bytesOf = (v) => {
    if (isView(v)) {
      return taTag(v) !== undefined
        ? new Uint8ArrayCtor(taBuffer(v), taByteOffset(v), taByteLength(v))
        : new Uint8ArrayCtor(dvBuffer(v), dvByteOffset(v), dvByteLength(v));
    }
    if (!isObject(v)) return null;
    try { abByteLength(v); } catch { return null; }
    return new Uint8ArrayCtor(v);
  };
  function concat(parts, total) {
    if (parts.length === 0) return EMPTY;
    if (parts.length === 1) return parts[0];
    return internal.concatBytes(parts, total);
  }
  // A Blob's type: '' if it has a character outside U+0020..U+007E, else ASCII-lowercased.
  const normalizeType = (t) => (/[^\x20-\x7e]/.test(t) ? '' : t.toLowerCase());
  const utf8Text = (u8) => {
    if (taByteLength(u8) === 0) return '';
    const s = native.utf8Decode(u8, false);
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  };
  const { defineTag } = internal.webidl;
  const finishClass = (C, tag) => {
    for (const name of Object.getOwnPropertyNames(C.prototype)) {
      if (name === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(C.prototype, name);
      d.enumerable = true;
      Object.defineProperty(C.prototype, name, d);
    }
    defineTag(C, tag);
  };

  // ---------------------------------------------------------------------------------------------------------------
  // Blob, File

  // BlobPropertyBag members (endings, type) in dictionary order.
  function blobOptions(options, what) {
    if (options === undefined || options === null) return { endings: 'transparent', type: '', options: null };
    if (!isObject(options)) throw new TypeError(`Failed to construct '${what}': options is not an object`);
    let endings = options.endings;
    if (endings === undefined) {
      endings = 'transparent';
    } else {
      endings = `${endings}`;
      if (endings !== 'transparent' && endings !== 'native') {
        throw new TypeError(`Failed to construct '${what}': '${endings}' is not a valid value for endings`);
      }
    }
    const type = options.type;
    return { endings, type: type === undefined ? '' : normalizeType(`${type}`), options };
  }

  let blobBytesOf; // (blob) => Uint8Array, or undefined for a non-Blob

  // The bytes of a sequence<BlobPart> ("process blob parts").
  function processParts(parts, endings, what) {
    if (parts === undefined) return EMPTY;
    if (!isObject(parts) || typeof parts[Symbol.iterator] !== 'function') {
      throw new TypeError(`Failed to construct '${what}': The provided value cannot be converted to a sequence.`);
    }
    const out = [];
    let total = 0, foreign = false; // foreign: out[0] is a view on a caller's buffer
    for (const part of parts) {
      let b = blobBytesOf(part), f = false;
      if (b === undefined) {
        b = bytesOf(part);
        if (b !== null) {
          f = true;
        } else {
          let s = toUSV(part);
          if (endings === 'native') s = s.replace(/\r\n?/g, '\n');
          b = native.utf8Encode(s);
        }
      }
      if (taByteLength(b) === 0) continue;
      if (out.length === 0) foreign = f;
      out.push(b);
      total += taByteLength(b);
    }
    // Blob bytes are shared as they are; a caller's buffer is copied (it may be written to later).
    if (out.length === 1) return foreign ? u8Slice(out[0]) : out[0];
    return concat(out, total);
  }

  class Blob {
    #bytes;
    #type;
    constructor(blobParts = undefined, options = undefined) {
      if (blobParts === INTERNAL) {
        this.#bytes = options[0];
        this.#type = options[1];
        return;
      }
      const o = blobOptions(options, 'Blob');
      this.#bytes = processParts(blobParts, o.endings, 'Blob');
      this.#type = o.type;
    }

    static {
      blobBytesOf = (v) => (isObject(v) && #bytes in v ? v.#bytes : undefined);
    }

    get size() {
      const b = blobBytesOf(this);
      if (b === undefined) throw illegal();
      return taByteLength(b);
    }

    get type() {
      if (!isObject(this) || !(#bytes in this)) throw illegal();
      return this.#type;
    }

    slice(start = undefined, end = undefined, contentType = undefined) {
      const b = blobBytesOf(this);
      if (b === undefined) throw illegal();
      const size = taByteLength(b);
      const rel = (v, dflt) => {
        if (v === undefined) return dflt;
        let n = +v; // [Clamp] long long: round half to even
        if (Number.isNaN(n)) n = 0;
        if (Number.isFinite(n)) {
          const r = Math.round(n);
          n = Math.abs(n % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
        }
        return n < 0 ? MathMax(size + n, 0) : MathMin(n, size);
      };
      const from = rel(start, 0);
      const to = rel(end, size);
      const type = contentType === undefined ? '' : normalizeType(`${contentType}`);
      return new Blob(INTERNAL, [u8Subarray(b, from, MathMax(to, from)), type]);
    }

    stream() {
      const b = blobBytesOf(this);
      if (b === undefined) throw illegal();
      internal.requireApi('streams/streams.js');
      return internal.readableStreamFromBytes(u8Slice(b));
    }

    text() {
      const b = blobBytesOf(this);
      if (b === undefined) return rejectedP(illegal());
      return resolvedP(utf8Text(b));
    }

    arrayBuffer() {
      const b = blobBytesOf(this);
      if (b === undefined) return rejectedP(illegal());
      return resolvedP(taByteLength(b) === 0 ? new ArrayBufferCtor(0) : taBuffer(u8Slice(b)));
    }

    bytes() {
      const b = blobBytesOf(this);
      if (b === undefined) return rejectedP(illegal());
      return resolvedP(u8Slice(b));
    }
  }
  finishClass(Blob, 'Blob');

  let isFile;
  class File extends Blob {
    #name;
    #lastModified;
    constructor(fileBits, fileName, options = undefined) {
      if (arguments.length < 2) {
        throw new TypeError(`Failed to construct 'File': 2 arguments required, but only ${arguments.length} present.`);
      }
      if (fileBits === INTERNAL) { // (INTERNAL, [bytes, type, name, lastModified])
        super(INTERNAL, fileName);
        this.#name = fileName[2];
        this.#lastModified = fileName[3];
        return;
      }
      const name = toUSV(fileName);
      const o = blobOptions(options, 'File');
      let lastModified;
      if (o.options !== null) lastModified = o.options.lastModified;
      if (lastModified === undefined) {
        lastModified = Date.now();
      } else {
        lastModified = Math.trunc(+lastModified); // long long
        if (!Number.isFinite(lastModified)) lastModified = 0;
      }
      super(INTERNAL, [processParts(fileBits, o.endings, 'File'), o.type]);
      this.#name = name;
      this.#lastModified = lastModified;
    }

    static {
      isFile = (v) => isObject(v) && #name in v;
    }

    get name() {
      if (!isFile(this)) throw illegal();
      return this.#name;
    }

    get lastModified() {
      if (!isFile(this)) throw illegal();
      return this.#lastModified;
    }

    get webkitRelativePath() {
      if (!isFile(this)) throw illegal();
      return '';
    }
  }
  finishClass(File, 'File');

  const newFile = (bytes, type, name, lastModified) => new File(INTERNAL, [bytes, type, name, lastModified]);

  // ---------------------------------------------------------------------------------------------------------------
  // FormData

  // "Create an entry": a Blob value becomes a File (named "blob", or `filename`).
  function makeEntry(name, value, filename, hasFilename) {
    name = toUSV(name);
    const bytes = blobBytesOf(value);
    if (bytes === undefined) return [name, toUSV(value)];
    const file = isFile(value);
    if (!file || hasFilename) {
      const fname = hasFilename ? toUSV(filename) : 'blob';
      value = newFile(bytes, value.type, fname, file ? value.lastModified : Date.now());
    }
    return [name, value];
  }
  function entryArgs(args, what) {
    const n = args.length;
    if (n < 2) throw new TypeError(`Failed to execute '${what}' on 'FormData': 2 arguments required, but only ${n} present.`);
    if (n > 2 && blobBytesOf(args[1]) === undefined) {
      throw new TypeError(`Failed to execute '${what}' on 'FormData': parameter 2 is not of type 'Blob'.`);
    }
    return makeEntry(args[0], args[1], args[2], n > 2 && args[2] !== undefined);
  }

  let entriesOf;
  class FormData {
    #entries = [];
    constructor(form = undefined) {
      if (form !== undefined) {
        throw new TypeError("Failed to construct 'FormData': parameter 1 is not of type 'HTMLFormElement'.");
      }
    }

    static {
      entriesOf = (v) => {
        if (!isObject(v) || !(#entries in v)) throw illegal();
        return v.#entries;
      };
    }

    append(name, value) {
      const list = entriesOf(this);
      list.push(entryArgs(arguments, 'append')); // eslint-disable-line prefer-rest-params
    }

    delete(name) {
      const list = entriesOf(this);
      const n = toUSV(name);
      let j = 0;
      for (let i = 0; i < list.length; i++) if (list[i][0] !== n) list[j++] = list[i];
      list.length = j;
    }

    get(name) {
      const list = entriesOf(this);
      const n = toUSV(name);
      for (const e of list) if (e[0] === n) return e[1];
      return null;
    }

    getAll(name) {
      const list = entriesOf(this);
      const n = toUSV(name);
      const out = [];
      for (const e of list) if (e[0] === n) out.push(e[1]);
      return out;
    }

    has(name) {
      const list = entriesOf(this);
      const n = toUSV(name);
      for (const e of list) if (e[0] === n) return true;
      return false;
    }

    set(name, value) {
      const list = entriesOf(this);
      const entry = entryArgs(arguments, 'set'); // eslint-disable-line prefer-rest-params
      const n = entry[0];
      let j = 0, found = false;
      for (let i = 0; i < list.length; i++) {
        if (list[i][0] !== n) {
          list[j++] = list[i];
        } else if (!found) {
          found = true;
          list[j++] = entry;
        }
      }
      list.length = j;
      if (!found) list.push(entry);
    }

    entries() { return new FormDataIterator(INTERNAL, entriesOf(this), 2); }
    keys() { return new FormDataIterator(INTERNAL, entriesOf(this), 0); }
    values() { return new FormDataIterator(INTERNAL, entriesOf(this), 1); }

    forEach(callback, thisArg = undefined) {
      const list = entriesOf(this);
      if (typeof callback !== 'function') {
        throw new TypeError("Failed to execute 'forEach' on 'FormData': parameter 1 is not of type 'Function'.");
      }
      for (let i = 0; i < list.length; i++) apply(callback, thisArg, [list[i][1], list[i][0], this]);
    }
  }
  finishClass(FormData, 'FormData');
  Object.defineProperty(FormData.prototype, Symbol.iterator, {
    value: FormData.prototype.entries, writable: true, enumerable: false, configurable: true,
  });

  // The FormData iterator: live over the entry list, as WebIDL's pair iterators are.
  class FormDataIterator {
    #list;
    #kind; // 0 keys, 1 values, 2 entries
    #index = 0;
    constructor(token, list, kind) {
      if (token !== INTERNAL) throw new TypeError('Illegal constructor');
      this.#list = list;
      this.#kind = kind;
    }

    next() {
      if (!isObject(this) || !(#list in this)) throw illegal();
      const list = this.#list;
      if (this.#index >= list.length) return { value: undefined, done: true };
      const e = list[this.#index++];
      const kind = this.#kind;
      return { value: kind === 0 ? e[0] : kind === 1 ? e[1] : [e[0], e[1]], done: false };
    }
  }
  Object.setPrototypeOf(FormDataIterator.prototype, Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
  delete FormDataIterator.prototype.constructor;
  Object.defineProperty(FormDataIterator.prototype, 'next', { enumerable: true });
  defineTag(FormDataIterator, 'FormData Iterator');

  // ---------------------------------------------------------------------------------------------------------------
  // multipart/form-data and application/x-www-form-urlencoded

  const toCRLF = (s) => s.replace(/\r\n|\r|\n/g, '\r\n');
  const escapeName = (s) => s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
  const unescapeName = (s) => s.replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%22/g, '"');

  // { contentType, bytes } of `fd` encoded as multipart/form-data.
  function serializeFormData(fd) {
    const list = entriesOf(fd);
    const boundary = `----IsletFormBoundary${native.randomUUID().replace(/-/g, '')}`;
    const parts = [];
    let total = 0, text = '';
    const flush = () => {
      if (text === '') return;
      const b = native.utf8Encode(text);
      parts.push(b);
      total += taByteLength(b);
      text = '';
    };
    for (const [name, value] of list) {
      const n = escapeName(toCRLF(name));
      if (typeof value === 'string') {
        text += `--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${toCRLF(value)}\r\n`;
      } else {
        const type = value.type || 'application/octet-stream';
        text += `--${boundary}\r\nContent-Disposition: form-data; name="${n}"; filename="${escapeName(value.name)}"\r\n`
          + `Content-Type: ${type}\r\n\r\n`;
        flush();
        const b = blobBytesOf(value);
        if (taByteLength(b) !== 0) {
          parts.push(b);
          total += taByteLength(b);
        }
        text = '\r\n';
      }
    }
    text += `--${boundary}--\r\n`;
    flush();
    return { contentType: `multipart/form-data; boundary=${boundary}`, bytes: parts.length === 1 ? parts[0] : concat(parts, total) };
  }

  // A MIME type's essence (lower-cased) and parameters (names lower-cased, first wins), or null.
  function parseMime(s) {
    if (typeof s !== 'string') return null;
    const semi = s.indexOf(';');
    const essence = (semi === -1 ? s : s.slice(0, semi)).trim().toLowerCase();
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+\/[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(essence)) return null;
    return { essence, params: semi === -1 ? new Map() : parseParams(s, semi + 1) };
  }
  // `name=value` parameters separated by ';' (values may be quoted), from s[i].
  function parseParams(s, i) {
    const params = new Map();
    const n = s.length;
    while (i < n) {
      while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === ';')) i++;
      let j = i;
      while (j < n && s[j] !== '=' && s[j] !== ';') j++;
      const name = s.slice(i, j).trim().toLowerCase();
      let value = '';
      if (j < n && s[j] === '=') {
        j++;
        while (j < n && (s[j] === ' ' || s[j] === '\t')) j++;
        if (s[j] === '"') {
          const close = s.indexOf('"', j + 1);
          const end = close === -1 ? n : close;
          value = s.slice(j + 1, end);
          j = end + 1;
          while (j < n && s[j] !== ';') j++;
        } else {
          const k = j;
          while (j < n && s[j] !== ';') j++;
          value = s.slice(k, j).trim();
        }
      }
      if (name !== '' && !params.has(name)) params.set(name, value);
      i = j + 1;
    }
    return params;
  }

  function indexOfBytes(hay, needle, from) {
    const first = needle[0], nl = needle.length, last = taByteLength(hay) - nl;
    for (let i = u8IndexOf(hay, first, from); i !== -1 && i <= last; i = u8IndexOf(hay, first, i + 1)) {
      let k = 1;
      while (k < nl && hay[i + k] === needle[k]) k++;
      if (k === nl) return i;
    }
    return -1;
  }
  const CRLFCRLF = new Uint8ArrayCtor([13, 10, 13, 10]);

  // Appends the entries of a multipart/form-data body to `fd`; TypeError when it is malformed.
  function parseMultipart(u8, boundary, fd) {
    const bad = (why) => new TypeError(`Failed to parse the body as multipart/form-data: ${why}`);
    const list = entriesOf(fd);
    const delim = native.utf8Encode(`--${boundary}`);
    const next = native.utf8Encode(`\r\n--${boundary}`);
    let pos = indexOfBytes(u8, delim, 0);
    if (pos === -1) throw bad('no boundary delimiter');
    pos += delim.length;
    for (;;) {
      if (u8[pos] === 45 && u8[pos + 1] === 45) return; // the close delimiter
      while (u8[pos] === 32 || u8[pos] === 9) pos++; // transport padding
      if (u8[pos] !== 13 || u8[pos + 1] !== 10) throw bad('malformed boundary delimiter line');
      pos += 2;
      let headEnd, bodyStart;
      if (u8[pos] === 13 && u8[pos + 1] === 10) { // no headers at all
        headEnd = pos;
        bodyStart = pos + 2;
      } else {
        headEnd = indexOfBytes(u8, CRLFCRLF, pos);
        if (headEnd === -1) throw bad('unterminated part headers');
        bodyStart = headEnd + 4;
      }
      const end = indexOfBytes(u8, next, bodyStart);
      if (end === -1) throw bad('unterminated part');
      let name = null, filename = null, type = null;
      const head = headEnd > pos ? native.utf8Decode(u8Subarray(u8, pos, headEnd), false) : '';
      for (const line of head.split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon === -1) continue;
        const hname = line.slice(0, colon).trim().toLowerCase();
        const hvalue = line.slice(colon + 1).trim();
        if (hname === 'content-disposition') {
          const semi = hvalue.indexOf(';');
          if (semi === -1 || hvalue.slice(0, semi).trim().toLowerCase() !== 'form-data') throw bad('not form-data');
          const params = parseParams(hvalue, semi + 1);
          if (params.has('name')) name = unescapeName(params.get('name'));
          if (params.has('filename')) filename = unescapeName(params.get('filename'));
        } else if (hname === 'content-type') {
          type = hvalue;
        }
      }
      if (name === null) throw bad('a part has no name');
      const content = end > bodyStart ? u8Subarray(u8, bodyStart, end) : EMPTY;
      if (filename !== null) {
        list.push([name, newFile(u8Slice(content), normalizeType(type === null ? 'text/plain' : type), filename, Date.now())]);
      } else {
        list.push([name, taByteLength(content) === 0 ? '' : native.utf8Decode(content, false)]);
      }
      pos = end + next.length;
    }
  }

  // A FormData from a body's bytes and its Content-Type (multipart/form-data with a boundary, or
  // application/x-www-form-urlencoded); TypeError for any other type or a malformed body.
  function parseFormData(bytes, contentType) {
    const mime = parseMime(contentType);
    const fd = new FormData();
    if (mime !== null && mime.essence === 'multipart/form-data') {
      const boundary = mime.params.get('boundary');
      if (boundary === undefined || boundary === '') throw new TypeError('The multipart/form-data body has no boundary');
      parseMultipart(bytes, boundary, fd);
      return fd;
    }
    if (mime !== null && mime.essence === 'application/x-www-form-urlencoded') {
      const list = entriesOf(fd);
      const text = taByteLength(bytes) === 0 ? '' : native.utf8Decode(bytes, false);
      internal.requireApi('url/url.js');
      for (const [k, v] of internal.urlencodedParse(text)) list.push([k, v]);
      return fd;
    }
    throw new TypeError("The body's Content-Type is neither multipart/form-data nor application/x-www-form-urlencoded");
  }

  internal.Blob = Blob;
  internal.File = File;
  internal.FormData = FormData;
  internal.isBlob = (v) => blobBytesOf(v) !== undefined;
  // The bytes of a Blob, synchronously and without a copy: read-only (shared with the Blob and its slices).
  internal.blobBytes = (blob) => {
    const b = blobBytesOf(blob);
    if (b === undefined) throw new TypeError('Not a Blob');
    return b;
  };
  internal.serializeFormData = serializeFormData;
  internal.parseFormData = parseFormData;
  internal.defineGlobal(g, 'Blob', Blob);
  internal.defineGlobal(g, 'File', File);
  internal.defineGlobal(g, 'FormData', FormData);
})
