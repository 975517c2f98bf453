// Headers, per the Fetch Standard: https://fetch.spec.whatwg.org/#headers-class
// The header list is one flat array [name0, value0, name1, value1, ...] with lower-cased names, in insertion order.
// Guards: only "none" and "immutable" (Workers forbids no request or response header names).
(function (g, native, internal) {
  'use strict';

  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  // Builtins used on hot paths, captured at load time.
  const SymbolIterator = Symbol.iterator;
  const { isArray } = Array;
  const { keys: objectKeys, getOwnPropertySymbols } = Object;
  const jsonStringify = JSON.stringify;
  const defineTag = (proto, tag) => Object.defineProperty(proto, Symbol.toStringTag, {
    value: tag, writable: false, enumerable: false, configurable: true,
  });
  const enumerableMembers = (proto) => {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(proto, name);
      d.enumerable = true;
      Object.defineProperty(proto, name, d);
    }
  };
  const needArgs = (n, have, what) => {
    if (have < n) throw new TypeError(`Failed to execute '${what}' on 'Headers': ${n} argument${n > 1 ? 's' : ''} required`);
  };

  // ---------------------------------------------------------------------------------------------------------------
  // Header names and values (https://fetch.spec.whatwg.org/#concept-header)

  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  // After normalization a value must hold no NUL, CR or LF, and (as a ByteString) no code unit above 0xFF.
  const BAD_VALUE = /[\0\n\r\u0100-\uffff]/;
  const EDGE_WS = /^[\t\n\r ]+|[\t\n\r ]+$/g;
  const isWS = (c) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

  // WebIDL ToString (throws a TypeError for symbols).
  const str = (v) => (typeof v === 'string' ? v : `${v}`);

  // Validates a header name and returns it lower-cased; TypeError if it is not a token.
  function headerName(v) {
    const name = str(v);
    if (!TOKEN.test(name)) throw new TypeError(`Invalid header name: ${jsonStringify(name)}`);
    return name.toLowerCase();
  }

  // Normalizes (strips leading and trailing HTTP whitespace) and validates a header value.
  function headerValue(v) {
    let value = str(v);
    const n = value.length;
    if (n !== 0 && (isWS(value.charCodeAt(0)) || isWS(value.charCodeAt(n - 1)))) value = value.replace(EDGE_WS, '');
    if (BAD_VALUE.test(value)) throw new TypeError(`Invalid header value for a header: ${jsonStringify(value)}`);
    return value;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Operations on a flat header list, shared with body.js, request.js and response.js

  // The combined value of `name` (lower-case) in `list`, or null.
  function listGet(list, name) {
    let out = null;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === name) out = out === null ? list[i + 1] : `${out}, ${list[i + 1]}`;
    }
    return out;
  }
  function listHas(list, name) {
    for (let i = 0; i < list.length; i += 2) if (list[i] === name) return true;
    return false;
  }

  // "Sort and combine": a new flat list sorted by name, each name once with its values joined by ", ", except
  // set-cookie whose values are kept apart (in their order).
  function sortAndCombine(list) {
    const n = list.length;
    if (n === 0) return [];
    if (n === 2) return [list[0], list[1]];
    const names = [], values = [];
    let cookies = null;
    for (let i = 0; i < n; i += 2) {
      const name = list[i];
      if (name === 'set-cookie') {
        if (cookies === null) { cookies = []; names.push(name); values.push(null); }
        cookies.push(list[i + 1]);
        continue;
      }
      const k = names.indexOf(name);
      if (k === -1) {
        names.push(name);
        values.push(list[i + 1]);
      } else {
        values[k] = `${values[k]}, ${list[i + 1]}`;
      }
    }
    const sorted = names.slice().sort();
    const out = [];
    for (const name of sorted) {
      if (name === 'set-cookie') {
        for (const c of cookies) out.push(name, c);
      } else {
        out.push(name, values[names.indexOf(name)]);
      }
    }
    return out;
  }

  // Appends the entries of a HeadersInit (a Headers, a sequence of pairs or a record) to `list`, validated.
  function fillList(list, init) {
    if (!isObject(init)) {
      throw new TypeError("Failed to construct 'Headers': The provided value is not of type " +
        "'(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'");
    }
    if (isHeaders(init) && init[SymbolIterator] === entries) {
      const src = headersList(init);
      for (let i = 0; i < src.length; i++) list.push(src[i]);
      return;
    }
    const iteratorMethod = init[SymbolIterator];
    if (iteratorMethod !== undefined && iteratorMethod !== null) {
      if (typeof iteratorMethod !== 'function') throw new TypeError('Headers init: @@iterator is not callable');
      if (isArray(init) && iteratorMethod === arrayValues) {
        for (let i = 0; i < init.length; i++) appendPair(list, init[i]);
      } else {
        const it = iteratorMethod.call(init);
        if (!isObject(it)) throw new TypeError('Headers init: the iterator is not an object');
        const next = it.next;
        for (;;) {
          const r = next.call(it);
          if (!isObject(r)) throw new TypeError('Headers init: the iterator result is not an object');
          if (r.done) break;
          appendPair(list, r.value);
        }
      }
      return;
    }
    // record<ByteString, ByteString>: own enumerable keys in [[OwnPropertyKeys]] order (Object.keys gives the string
    // ones in that order); an enumerable symbol key cannot become a ByteString.
    const keys = objectKeys(init);
    for (const sym of getOwnPropertySymbols(init)) {
      if (propertyIsEnumerable.call(init, sym)) throw new TypeError('Headers init: a record key cannot be a symbol');
    }
    const n = keys.length;
    if (n === 1) {
      list.push(headerName(keys[0]), headerValue(init[keys[0]]));
      return;
    }
    const values = [];
    for (let i = 0; i < n; i++) values.push(str(init[keys[i]]));
    for (let i = 0; i < n; i++) list.push(headerName(keys[i]), headerValue(values[i]));
  }
  const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;
  const arrayValues = Array.prototype[SymbolIterator];

  function appendPair(list, pair) {
    if (!isObject(pair)) {
      throw new TypeError('Headers init: each header must be a sequence of [name, value]');
    }
    let items;
    if (isArray(pair) && pair[SymbolIterator] === arrayValues) {
      items = pair;
    } else {
      const m = pair[SymbolIterator];
      if (typeof m !== 'function') throw new TypeError('Headers init: each header must be a sequence of [name, value]');
      items = [];
      const it = m.call(pair);
      for (;;) {
        const r = it.next();
        if (!isObject(r)) throw new TypeError('Headers init: the iterator result is not an object');
        if (r.done) break;
        items.push(str(r.value));
      }
    }
    if (items.length !== 2) {
      throw new TypeError(`Headers init: a header must be a [name, value] pair, got ${items.length} item(s)`);
    }
    list.push(headerName(items[0]), headerValue(items[1]));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Headers

  const ADOPT = Symbol('adopt');
  const GUARD_NONE = 0, GUARD_IMMUTABLE = 1;
  let headersList;   // (h) -> its live flat list
  let headersState;  // (h) -> { list, immutable }
  let adopt;         // (list, immutable) -> Headers owning `list`, without validation
  let isHeaders;     // (v) -> boolean
  let sortedView;    // (h) -> its sorted-and-combined flat list (cached until mutated)

  class Headers {
    #list = null;
    #guard = GUARD_NONE;
    #sorted = null;

    constructor(init = undefined) {
      if (init === ADOPT) return;
      this.#list = [];
      if (init !== undefined) fillList(this.#list, init);
    }

    static {
      headersList = (h) => h.#list;
      headersState = (h) => ({ list: h.#list, immutable: h.#guard === GUARD_IMMUTABLE });
      adopt = (list, immutable) => {
        const h = new Headers(ADOPT);
        h.#list = list;
        h.#guard = immutable ? GUARD_IMMUTABLE : GUARD_NONE;
        return h;
      };
      isHeaders = (v) => isObject(v) && #list in v;
      sortedView = (h) => {
        let s = h.#sorted;
        if (s === null) s = h.#sorted = sortAndCombine(h.#list);
        return s;
      };
    }

    #mutable() {
      if (this.#guard === GUARD_IMMUTABLE) throw new TypeError("Can't modify immutable headers.");
    }

    append(name, value) {
      needArgs(2, arguments.length, 'append');
      name = headerName(name);
      value = headerValue(value);
      this.#mutable();
      this.#list.push(name, value);
      this.#sorted = null;
    }

    delete(name) {
      needArgs(1, arguments.length, 'delete');
      name = headerName(name);
      this.#mutable();
      const list = this.#list;
      const n = list.length;
      let j = 0;
      for (let i = 0; i < n; i += 2) {
        if (list[i] !== name) {
          if (i !== j) { list[j] = list[i]; list[j + 1] = list[i + 1]; }
          j += 2;
        }
      }
      if (j !== n) {
        list.length = j;
        this.#sorted = null;
      }
    }

    get(name) {
      needArgs(1, arguments.length, 'get');
      return listGet(this.#list, headerName(name));
    }

    getSetCookie() {
      const list = this.#list;
      const out = [];
      for (let i = 0; i < list.length; i += 2) if (list[i] === 'set-cookie') out.push(list[i + 1]);
      return out;
    }

    // Workers extension: only for Set-Cookie, whose values cannot be combined.
    getAll(name) {
      needArgs(1, arguments.length, 'getAll');
      name = headerName(name);
      if (name !== 'set-cookie') throw new TypeError('getAll() can only be used with the header name "Set-Cookie".');
      return this.getSetCookie();
    }

    has(name) {
      needArgs(1, arguments.length, 'has');
      return listHas(this.#list, headerName(name));
    }

    set(name, value) {
      needArgs(2, arguments.length, 'set');
      name = headerName(name);
      value = headerValue(value);
      this.#mutable();
      const list = this.#list;
      const n = list.length;
      let i = 0;
      while (i < n && list[i] !== name) i += 2;
      if (i === n) {
        list.push(name, value);
      } else {
        list[i + 1] = value;
        let j = i + 2;
        for (let k = i + 2; k < n; k += 2) {
          if (list[k] !== name) {
            if (k !== j) { list[j] = list[k]; list[j + 1] = list[k + 1]; }
            j += 2;
          }
        }
        list.length = j;
      }
      this.#sorted = null;
    }

    forEach(callback, thisArg = undefined) {
      needArgs(1, arguments.length, 'forEach');
      if (typeof callback !== 'function') {
        throw new TypeError("Failed to execute 'forEach' on 'Headers': The callback provided as parameter 1 is not a function.");
      }
      for (let i = 0; ; i += 2) {
        const view = sortedView(this);
        if (i >= view.length) break;
        callback.call(thisArg, view[i + 1], view[i], this);
      }
    }

    keys() { return new HeadersIterator(ADOPT, this, KIND_KEY); }
    values() { return new HeadersIterator(ADOPT, this, KIND_VALUE); }
    entries() { return new HeadersIterator(ADOPT, this, KIND_ENTRY); }
  }
  const entries = Headers.prototype.entries;
  enumerableMembers(Headers.prototype);
  Object.defineProperty(Headers.prototype, Symbol.iterator, {
    value: entries, writable: true, enumerable: false, configurable: true,
  });
  defineTag(Headers.prototype, 'Headers');

  // ---------------------------------------------------------------------------------------------------------------
  // The "Headers Iterator" (a WebIDL pair iterator over the sorted-and-combined list, re-read on each step)

  const KIND_KEY = 0, KIND_VALUE = 1, KIND_ENTRY = 2;
  const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));

  class HeadersIterator {
    #headers;
    #kind;
    #index = 0;

    constructor(token, headers, kind) {
      if (token !== ADOPT) throw new TypeError('Illegal constructor');
      sortedView(headers); // brand check on the Headers before an iterator exists
      this.#headers = headers;
      this.#kind = kind;
    }

    next() {
      if (!isObject(this) || !(#headers in this)) throw new TypeError('Illegal invocation');
      const view = sortedView(this.#headers);
      const i = this.#index;
      if (i >= view.length) return { value: undefined, done: true };
      this.#index = i + 2;
      const kind = this.#kind;
      const value = kind === KIND_KEY ? view[i] : kind === KIND_VALUE ? view[i + 1] : [view[i], view[i + 1]];
      return { value, done: false };
    }
  }
  Object.setPrototypeOf(HeadersIterator.prototype, IteratorPrototype);
  delete HeadersIterator.prototype.constructor;
  enumerableMembers(HeadersIterator.prototype);
  defineTag(HeadersIterator.prototype, 'Headers Iterator');

  internal.Headers = Headers;
  internal.isHeaders = isHeaders;
  internal.headersAdopt = adopt;
  internal.headersList = headersList;
  internal.headersState = headersState;
  internal.headersFill = fillList;
  internal.headerName = headerName;
  internal.headerValue = headerValue;
  internal.headerListGet = listGet;
  internal.headerListHas = listHas;
  internal.httpToken = TOKEN;
  internal.defineGlobal(g, 'Headers', Headers);
})
