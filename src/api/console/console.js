// The console namespace, per the Console Standard (https://console.spec.whatwg.org/), with Node/browser-like
// formatting of logged values. Output goes to native.log(level, line).
(function (g, native, internal) {
  'use strict';

  // ---------------------------------------------------------------------------------------------------------------
  // Builtins captured at load time (a worker may replace the globals later).

  const ObjectProto = Object.prototype;
  const objectToString = ObjectProto.toString;
  const hasOwn = Object.prototype.hasOwnProperty;
  const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;
  const { getPrototypeOf, getOwnPropertyDescriptor, getOwnPropertySymbols, keys: objectKeys } = Object;
  const isArray = Array.isArray;
  const fnToString = Function.prototype.toString;
  const FunctionProto = Function.prototype;
  const symbolToString = Symbol.prototype.toString;
  const errorToString = Error.prototype.toString;
  const captureStackTrace = typeof Error.captureStackTrace === 'function' ? Error.captureStackTrace : null;
  const getter = (proto, name) => {
    const d = getOwnPropertyDescriptor(proto, name);
    return d && d.get;
  };
  const mapSize = getter(Map.prototype, 'size');
  const setSize = getter(Set.prototype, 'size');
  const mapEntries = Map.prototype.entries;
  const setValues = Set.prototype.values;
  const TypedArrayProto = getPrototypeOf(Uint8Array.prototype);
  const taTag = getter(TypedArrayProto, Symbol.toStringTag);
  const taLength = getter(TypedArrayProto, 'length');
  const abByteLength = getter(ArrayBuffer.prototype, 'byteLength');
  const sabByteLength = typeof SharedArrayBuffer === 'function' ? getter(SharedArrayBuffer.prototype, 'byteLength') : null;
  const dvByteLength = getter(DataView.prototype, 'byteLength');
  const dvByteOffset = getter(DataView.prototype, 'byteOffset');
  const dvBuffer = getter(DataView.prototype, 'buffer');
  const regexpSource = getter(RegExp.prototype, 'source');
  const regexpFlags = getter(RegExp.prototype, 'flags');
  const dateGetTime = Date.prototype.getTime;
  const dateToISOString = Date.prototype.toISOString;
  const numberValueOf = Number.prototype.valueOf;
  const stringValueOf = String.prototype.valueOf;
  const booleanValueOf = Boolean.prototype.valueOf;
  const symbolValueOf = Symbol.prototype.valueOf;
  const bigintValueOf = typeof BigInt === 'function' ? BigInt.prototype.valueOf : null;
  const weakMapHas = WeakMap.prototype.has;
  const weakSetHas = WeakSet.prototype.has;
  const jsonStringify = JSON.stringify;
  const ErrorCtor = Error;

  const tryCall = (fn, v, ...args) => {
    try { fn.call(v, ...args); return true; } catch { return false; }
  };
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');

  // ---------------------------------------------------------------------------------------------------------------
  // Primitives

  const formatNumber = (n) => (Object.is(n, -0) ? '-0' : `${n}`);

  const quoteString = (s) => {
    let quote = "'";
    if (s.includes("'")) {
      if (!s.includes('"')) quote = '"';
      else if (!s.includes('`') && !s.includes('${')) quote = '`';
    }
    let out = '';
    let last = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      let esc = null;
      if (c < 0x20 || c === 0x7f) {
        switch (c) {
          case 0x08: esc = '\\b'; break;
          case 0x09: esc = '\\t'; break;
          case 0x0a: esc = '\\n'; break;
          case 0x0c: esc = '\\f'; break;
          case 0x0d: esc = '\\r'; break;
          default: esc = `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
        }
      } else if (c === 0x5c) {
        esc = '\\\\';
      } else if (c === quote.charCodeAt(0)) {
        esc = `\\${quote}`;
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const next = s.charCodeAt(i + 1);
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          i++;
          continue;
        }
        esc = `\\u${c.toString(16).toUpperCase()}`;
      }
      if (esc !== null) {
        out += s.slice(last, i) + esc;
        last = i + 1;
      }
    }
    return quote + out + s.slice(last) + quote;
  };

  const formatString = (ctx, s) => {
    let trailer = '';
    if (s.length > ctx.maxStringLength) {
      const remaining = s.length - ctx.maxStringLength;
      s = s.slice(0, ctx.maxStringLength);
      trailer = `... ${remaining} more character${remaining > 1 ? 's' : ''}`;
    }
    return quoteString(s) + trailer;
  };

  const formatPrimitive = (ctx, v) => {
    switch (typeof v) {
      case 'string': return formatString(ctx, v);
      case 'number': return formatNumber(v);
      case 'bigint': return `${v}n`;
      case 'boolean': return v ? 'true' : 'false';
      case 'undefined': return 'undefined';
      case 'symbol': return symbolToString.call(v);
      default: return 'null';
    }
  };

  const identifierRe = /^[a-zA-Z_$][a-zA-Z_$0-9]*$/;
  const formatKey = (key) => {
    if (typeof key === 'symbol') return `[${symbolToString.call(key)}]`;
    if (identifierRe.test(key)) return key;
    return quoteString(key);
  };

  // ---------------------------------------------------------------------------------------------------------------
  // Objects

  // The name of the nearest constructor on the prototype chain, or null for a null-prototype object.
  const constructorName = (obj) => {
    let o = obj;
    for (let i = 0; o !== null && i < 1000; i++) {
      const d = getOwnPropertyDescriptor(o, 'constructor');
      if (d !== undefined && typeof d.value === 'function') {
        const nd = getOwnPropertyDescriptor(d.value, 'name');
        if (nd !== undefined && typeof nd.value === 'string' && nd.value !== '') return nd.value;
      }
      o = getPrototypeOf(o);
    }
    return null;
  };

  const toStringTagOf = (value, ctorName) => {
    let tag;
    try {
      tag = value[Symbol.toStringTag];
    } catch {
      return '';
    }
    if (typeof tag !== 'string' || tag === '' || tag === ctorName) return '';
    // An own enumerable tag is shown as a property anyway.
    try { if (propertyIsEnumerable.call(value, Symbol.toStringTag)) return ''; } catch { return ''; }
    return tag;
  };

  // "Foo" / "Foo [tag]" / "[Object: null prototype]" plus a size suffix, as the start of an object's braces.
  const prefixOf = (ctorName, tag, fallback, size = '') => {
    if (ctorName === null) {
      if (tag !== '' && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
      return `[${fallback}${size}: null prototype] `;
    }
    if (tag !== '' && ctorName !== tag) return `${ctorName}${size} [${tag}] `;
    return `${ctorName}${size} `;
  };

  const isError = (v) => {
    try {
      if (v instanceof ErrorCtor) return true;
    } catch {
      // a Proxy's getPrototypeOf trap may throw
    }
    try { return objectToString.call(v) === '[object Error]'; } catch { return false; }
  };

  const ownKeys = (value) => {
    const keys = objectKeys(value);
    const symbols = getOwnPropertySymbols(value);
    for (const s of symbols) {
      if (propertyIsEnumerable.call(value, s)) keys.push(s);
    }
    return keys;
  };

  const isIndexKey = (k) => {
    if (typeof k !== 'string' || k === '' || k.length > 10) return false;
    for (let i = 0; i < k.length; i++) {
      const c = k.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
    }
    return k === '0' || k.charCodeAt(0) !== 0x30;
  };

  const functionBase = (fn, ctorName, tag) => {
    let source = '';
    try { source = fnToString.call(fn); } catch { /* a revoked proxy */ }
    const nd = getOwnPropertyDescriptor(fn, 'name');
    const name = nd !== undefined && typeof nd.value === 'string' ? nd.value : '';
    if (source.startsWith('class') && /^class[\s{]/.test(source)) {
      let base = `[class ${name === '' ? '(anonymous)' : name}`;
      const parent = getPrototypeOf(fn);
      if (parent !== null && parent !== FunctionProto) {
        const pd = typeof parent === 'function' ? getOwnPropertyDescriptor(parent, 'name') : undefined;
        const pname = pd !== undefined && typeof pd.value === 'string' && pd.value !== '' ? pd.value : null;
        if (pname !== null) base += ` extends ${pname}`;
      }
      return `${base}]`;
    }
    let type = 'Function';
    if (ctorName === 'AsyncFunction' || ctorName === 'GeneratorFunction' || ctorName === 'AsyncGeneratorFunction') {
      type = ctorName;
    }
    let base = `[${type}`;
    if (ctorName === null) base += ' (null prototype)';
    base += name === '' ? ' (anonymous)]' : `: ${name}]`;
    if (ctorName !== null && ctorName !== type && ctorName !== 'Function') base += ` ${ctorName}`;
    if (tag !== '' && tag !== ctorName) base += ` [${tag}]`;
    return base;
  };

  const indentLines = (s, n) => (n === 0 ? s : s.split('\n').join(`\n${' '.repeat(n)}`));

  const errorBase = (ctx, err) => {
    let stack;
    try { stack = err.stack; } catch { stack = undefined; }
    if (typeof stack !== 'string' || stack === '') {
      try { stack = errorToString.call(err); } catch { stack = 'Error'; }
    }
    if (!/\n\s+at /.test(stack)) stack = `[${stack}]`;
    return indentLines(stack, ctx.indentationLvl);
  };

  const ARRAY = 1, OBJECT = 0;

  function formatValue(ctx, value, recurseTimes) {
    if (!isObject(value)) return formatPrimitive(ctx, value);
    if (ctx.seen.includes(value)) return '[Circular]';
    try {
      return formatRaw(ctx, value, recurseTimes);
    } catch {
      // A Proxy trap, a revoked Proxy or an exotic object defeated the inspection: fall back to the class string.
      try { return `[${typeof value === 'function' ? 'Function' : 'object'} ${objectToString.call(value).slice(8, -1)}]`; } catch { /* */ }
      return typeof value === 'function' ? '[Function]' : '[object]';
    }
  }

  function formatRaw(ctx, value, recurseTimes) {
    const ctorName = constructorName(value);
    const tag = toStringTagOf(value, ctorName);
    let keys;
    let base = '';
    let braces;
    let formatter = null;
    let extras = OBJECT;
    let noEntries = false; // the value is fully described by `base` when it has no keys

    let size;
    if (isArray(value)) {
      keys = objectKeys(value).filter((k) => !isIndexKey(k));
      for (const s of getOwnPropertySymbols(value)) if (propertyIsEnumerable.call(value, s)) keys.push(s);
      const prefix = ctorName !== 'Array' || tag !== '' ? prefixOf(ctorName, tag, 'Array', `(${value.length})`) : '';
      braces = [`${prefix}[`, ']'];
      formatter = formatArray;
      extras = ARRAY;
      if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
    } else if (typeof value !== 'function' && (size = tryGet(setSize, value)) !== undefined) {
      keys = ownKeys(value);
      braces = [`${prefixOf(ctorName, tag, 'Set', `(${size})`)}{`, '}'];
      formatter = formatSet;
      if (size === 0 && keys.length === 0) return `${braces[0]}}`;
    } else if (typeof value !== 'function' && (size = tryGet(mapSize, value)) !== undefined) {
      keys = ownKeys(value);
      braces = [`${prefixOf(ctorName, tag, 'Map', `(${size})`)}{`, '}'];
      formatter = formatMap;
      if (size === 0 && keys.length === 0) return `${braces[0]}}`;
    } else if (taTag.call(value) !== undefined) {
      const kind = taTag.call(value);
      const length = taLength.call(value);
      keys = ownKeys(value).filter((k) => !isIndexKey(k));
      braces = [`${prefixOf(ctorName, tag === kind ? '' : tag, kind, `(${length})`)}[`, ']'];
      formatter = formatTypedArray;
      extras = ARRAY;
      if (length === 0 && keys.length === 0) return `${braces[0]}]`;
    } else {
      keys = ownKeys(value);
      braces = ['{', '}'];
      if (typeof value === 'function') {
        base = functionBase(value, ctorName, tag);
        noEntries = true;
      } else if (isError(value)) {
        base = errorBase(ctx, value);
        noEntries = true;
        keys = keys.filter((k) => k !== 'stack' && k !== 'message');
        if (hasOwn.call(value, 'cause') && !keys.includes('cause')) keys.push(CAUSE);
        if (hasOwn.call(value, 'errors') && !keys.includes('errors')) keys.push(ERRORS);
      } else if (tryCall(regexpSource, value) && value !== RegExp.prototype) {
        base = `/${regexpSource.call(value)}/${regexpFlags.call(value)}`;
        if (ctorName !== 'RegExp') base = `${prefixOf(ctorName, tag, 'RegExp')}${base}`;
        noEntries = true;
      } else if (tryCall(dateGetTime, value)) {
        const t = dateGetTime.call(value);
        base = t !== t ? 'Invalid Date' : dateToISOString.call(value);
        if (ctorName !== 'Date') base = `${prefixOf(ctorName, tag, 'Date')}${base}`;
        noEntries = true;
      } else if (abByteLength !== undefined && tryCall(abByteLength, value)) {
        return formatArrayBuffer(ctx, value, recurseTimes, ctorName, tag, keys, 'ArrayBuffer');
      } else if (sabByteLength && tryCall(sabByteLength, value)) {
        return formatArrayBuffer(ctx, value, recurseTimes, ctorName, tag, keys, 'SharedArrayBuffer');
      } else if (tryCall(dvByteLength, value)) {
        braces[0] = `${prefixOf(ctorName, tag, 'DataView')}{`;
        formatter = formatDataView;
      } else if (tryCall(numberValueOf, value)) {
        base = `[Number${ctorName === 'Number' ? '' : ` (${ctorName})`}: ${formatNumber(numberValueOf.call(value))}]`;
        noEntries = true;
      } else if (tryCall(stringValueOf, value)) {
        const s = stringValueOf.call(value);
        base = `[String${ctorName === 'String' ? '' : ` (${ctorName})`}: ${formatString(ctx, s)}]`;
        keys = keys.filter((k) => !isIndexKey(k) || +k >= s.length);
        noEntries = true;
      } else if (tryCall(booleanValueOf, value)) {
        base = `[Boolean${ctorName === 'Boolean' ? '' : ` (${ctorName})`}: ${booleanValueOf.call(value)}]`;
        noEntries = true;
      } else if (tryCall(symbolValueOf, value)) {
        base = `[Symbol: ${symbolToString.call(symbolValueOf.call(value))}]`;
        noEntries = true;
      } else if (bigintValueOf !== null && tryCall(bigintValueOf, value)) {
        base = `[BigInt: ${bigintValueOf.call(value)}n]`;
        noEntries = true;
      } else if (tryCall(weakMapHas, value, {}) || tryCall(weakSetHas, value, {})) {
        const kind = tryCall(weakMapHas, value, {}) ? 'WeakMap' : 'WeakSet';
        braces[0] = `${prefixOf(ctorName, tag, kind)}{`;
        formatter = () => ['<items unknown>'];
      } else if (ctorName === 'Promise' && objectToString.call(value) === '[object Promise]') {
        braces[0] = `${prefixOf(ctorName, tag, 'Promise')}{`;
        formatter = () => ['<unknown>'];
      } else if (ctorName === 'Object') {
        if (tag !== '') braces[0] = `${prefixOf(ctorName, tag, 'Object')}{`;
        if (keys.length === 0) return `${braces[0]}}`;
      } else {
        braces[0] = `${prefixOf(ctorName, tag, 'Object')}{`;
        if (keys.length === 0) return `${braces[0]}}`;
      }
    }

    if (noEntries && keys.length === 0) return base;

    if (recurseTimes > ctx.depth) {
      if (noEntries) return base.includes('\n') ? base.slice(0, base.indexOf('\n')) : base;
      const name = braces[0].endsWith('{') || braces[0].endsWith('[') ? braces[0].slice(0, -1).trim() : '';
      return `[${name === '' ? (extras === ARRAY ? 'Array' : 'Object') : name}]`;
    }

    recurseTimes++;
    ctx.seen.push(value);
    ctx.currentDepth = recurseTimes;
    let output;
    try {
      output = formatter !== null ? formatter(ctx, value, recurseTimes) : [];
      for (const k of keys) output.push(formatProperty(ctx, value, recurseTimes, k, OBJECT));
    } finally {
      ctx.seen.pop();
    }
    return reduceToSingleString(ctx, output, base, braces, extras, recurseTimes);
  }

  const CAUSE = { special: 'cause' };
  const ERRORS = { special: 'errors' };

  const tryGet = (get, v) => {
    if (get === undefined) return undefined;
    try { return get.call(v); } catch { return undefined; }
  };

  function formatProperty(ctx, value, recurseTimes, key, type) {
    let name;
    let desc;
    if (key === CAUSE || key === ERRORS) {
      name = `[${key.special}]`;
      desc = getOwnPropertyDescriptor(value, key.special);
    } else {
      desc = getOwnPropertyDescriptor(value, key);
      if (type !== ARRAY) name = formatKey(key);
    }
    if (desc === undefined) desc = { value: undefined };
    let str;
    if ('value' in desc) {
      ctx.indentationLvl += 2;
      try {
        str = formatValue(ctx, desc.value, recurseTimes);
      } finally {
        ctx.indentationLvl -= 2;
      }
    } else if (desc.get !== undefined) {
      str = desc.set !== undefined ? '[Getter/Setter]' : '[Getter]';
    } else if (desc.set !== undefined) {
      str = '[Setter]';
    } else {
      str = 'undefined';
    }
    return type === ARRAY ? str : `${name}: ${str}`;
  }

  function formatArray(ctx, value, recurseTimes) {
    const length = value.length;
    const limit = Math.min(length, ctx.maxArrayLength);
    const output = [];
    // The smallest own index >= from (or length). A short scan first; for long runs of holes (Array(2 ** 32 - 1))
    // the own index keys, which come out of Object.keys in ascending order.
    let indexKeys = null;
    const nextOwnIndex = (from) => {
      const scanEnd = Math.min(length, from + 1024);
      for (let j = from; j < scanEnd; j++) if (hasOwn.call(value, j)) return j;
      if (scanEnd >= length) return length;
      if (indexKeys === null) indexKeys = objectKeys(value).filter(isIndexKey).map(Number);
      let lo = 0, hi = indexKeys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (indexKeys[mid] < scanEnd) lo = mid + 1;
        else hi = mid;
      }
      return lo < indexKeys.length && indexKeys[lo] < length ? indexKeys[lo] : length;
    };
    let i = 0;
    while (i < length && output.length < limit) {
      const next = nextOwnIndex(i);
      if (next > i) {
        const holes = next - i;
        output.push(`<${holes} empty item${holes > 1 ? 's' : ''}>`);
        i = next;
        continue;
      }
      output.push(formatProperty(ctx, value, recurseTimes, `${i}`, ARRAY));
      i++;
    }
    const remaining = length - i;
    if (remaining > 0) output.push(`... ${remaining} more item${remaining > 1 ? 's' : ''}`);
    return output;
  }

  function formatTypedArray(ctx, value, recurseTimes) {
    const length = taLength.call(value);
    const limit = Math.min(length, ctx.maxArrayLength);
    const output = [];
    for (let i = 0; i < limit; i++) {
      const v = value[i];
      output.push(typeof v === 'bigint' ? `${v}n` : formatNumber(v));
    }
    if (length > limit) output.push(`... ${length - limit} more item${length - limit > 1 ? 's' : ''}`);
    return output;
  }

  function formatSet(ctx, value, recurseTimes) {
    const output = [];
    ctx.indentationLvl += 2;
    try {
      const it = setValues.call(value);
      for (let r = it.next(); !r.done; r = it.next()) {
        if (output.length >= ctx.maxArrayLength) {
          const remaining = setSize.call(value) - output.length;
          output.push(`... ${remaining} more item${remaining > 1 ? 's' : ''}`);
          break;
        }
        output.push(formatValue(ctx, r.value, recurseTimes));
      }
    } finally {
      ctx.indentationLvl -= 2;
    }
    return output;
  }

  function formatMap(ctx, value, recurseTimes) {
    const output = [];
    ctx.indentationLvl += 2;
    try {
      const it = mapEntries.call(value);
      for (let r = it.next(); !r.done; r = it.next()) {
        if (output.length >= ctx.maxArrayLength) {
          const remaining = mapSize.call(value) - output.length;
          output.push(`... ${remaining} more item${remaining > 1 ? 's' : ''}`);
          break;
        }
        const [k, v] = r.value;
        output.push(`${formatValue(ctx, k, recurseTimes)} => ${formatValue(ctx, v, recurseTimes)}`);
      }
    } finally {
      ctx.indentationLvl -= 2;
    }
    return output;
  }

  const hexBytes = (u8, max) => {
    const n = Math.min(u8.length, max);
    const parts = [];
    for (let i = 0; i < n; i++) parts.push(u8[i].toString(16).padStart(2, '0'));
    let s = `<${parts.join(' ')}`;
    if (u8.length > n) s += ` ... ${u8.length - n} more byte${u8.length - n > 1 ? 's' : ''}`;
    return `${s}>`;
  };

  function formatArrayBuffer(ctx, value, recurseTimes, ctorName, tag, keys, kind) {
    const byteLength = (kind === 'ArrayBuffer' ? abByteLength : sabByteLength).call(value);
    const brace = `${prefixOf(ctorName, tag, kind)}{`;
    if (recurseTimes > ctx.depth) return `[${brace.slice(0, -1).trim()}]`;
    let contents;
    try {
      contents = `[Uint8Contents]: ${hexBytes(new Uint8Array(value), 50)}`;
    } catch {
      contents = '(detached)';
    }
    const output = [contents, `byteLength: ${byteLength}`];
    recurseTimes++;
    ctx.seen.push(value);
    ctx.currentDepth = recurseTimes;
    try {
      for (const k of keys) output.push(formatProperty(ctx, value, recurseTimes, k, OBJECT));
    } finally {
      ctx.seen.pop();
    }
    return reduceToSingleString(ctx, output, '', [brace, '}'], OBJECT, recurseTimes);
  }

  function formatDataView(ctx, value, recurseTimes) {
    ctx.indentationLvl += 2;
    try {
      return [
        `byteLength: ${dvByteLength.call(value)}`,
        `byteOffset: ${dvByteOffset.call(value)}`,
        `buffer: ${formatValue(ctx, dvBuffer.call(value), recurseTimes)}`,
      ];
    } finally {
      ctx.indentationLvl -= 2;
    }
  }

  // Packs the short entries of a long array into aligned columns, so that 100 numbers do not take 100 lines.
  function groupArrayEntries(ctx, output) {
    let entries = output.length;
    const hasMore = entries > 0 && output[entries - 1].startsWith('... ') && output[entries - 1].endsWith(' more items');
    if (hasMore) entries--;
    if (entries <= 6) return output;
    let maxLen = 0, total = 0;
    for (let i = 0; i < entries; i++) {
      const len = output[i].length;
      if (output[i].includes('\n')) return output;
      total += len + 2;
      if (len > maxLen) maxLen = len;
    }
    const cell = maxLen + 2; // entry plus ", "
    const width = ctx.breakLength - ctx.indentationLvl;
    // Only group when at least three fit side by side and the entries are of similar length.
    if (cell * 3 > width || (total / cell <= 5 && maxLen > 6)) return output;
    // Aim for a roughly square block (characters being about 2.5 times as high as wide), within the line width.
    let columns = Math.round(Math.sqrt((2.5 * entries) / Math.max(cell - 3, 1)));
    columns = Math.max(1, Math.min(columns, Math.floor(width / cell), 15));
    if (columns <= 1) return output;
    const numeric = output.slice(0, entries).every((s) => /^-?[\d.e+n]+$|^NaN$|^-?Infinity$/.test(s));
    const colWidth = [];
    for (let c = 0; c < columns; c++) {
      let w = 0;
      for (let i = c; i < entries; i += columns) if (output[i].length > w) w = output[i].length;
      colWidth.push(w);
    }
    const lines = [];
    for (let i = 0; i < entries; i += columns) {
      const end = Math.min(i + columns, entries);
      let line = '';
      for (let j = i; j < end; j++) {
        const w = colWidth[j - i];
        const last = j === end - 1;
        if (numeric) line += output[j].padStart(w) + (last ? '' : ', ');
        else line += last ? output[j] : `${output[j]}, `.padEnd(w + 2);
      }
      lines.push(line);
    }
    if (hasMore) lines.push(output[output.length - 1]);
    return lines;
  }

  function reduceToSingleString(ctx, output, base, braces, extras, recurseTimes) {
    const entries = output.length;
    if (extras === ARRAY && entries > 6) output = groupArrayEntries(ctx, output);
    const head = base !== '' ? `${base} ` : '';
    // Combine the innermost levels (up to `compact` of them) on one line when the result is short enough.
    if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
      let total = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
      let fits = true;
      for (const s of output) {
        total += s.length + 1;
        if (total > ctx.breakLength) { fits = false; break; }
      }
      if (fits && !base.includes('\n')) {
        const joined = output.join(', ');
        if (!joined.includes('\n')) return `${head}${braces[0]} ${joined} ${braces[1]}`;
      }
    }
    const indentation = `\n${' '.repeat(ctx.indentationLvl)}`;
    return `${head}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
  }

  const makeContext = (options) => {
    const ctx = {
      seen: [], depth: 2, indentationLvl: 0, currentDepth: 0,
      breakLength: 80, compact: 3, maxArrayLength: 100, maxStringLength: 10000,
    };
    if (isObject(options)) {
      try {
        const d = options.depth;
        if (d === null || d === Infinity) ctx.depth = Infinity;
        else if (typeof d === 'number' && d >= 0) ctx.depth = d;
        if (typeof options.breakLength === 'number') ctx.breakLength = options.breakLength;
        if (typeof options.maxArrayLength === 'number') ctx.maxArrayLength = Math.max(0, options.maxArrayLength);
      } catch {
        // ignore weird options
      }
    }
    return ctx;
  };

  // Node-style util.inspect(value): a one-or-more-line description that never throws.
  function inspect(value, options = undefined) {
    try {
      return formatValue(makeContext(options), value, 0);
    } catch {
      return '[object]';
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Format specifiers (https://console.spec.whatwg.org/#formatter, with Node's %j %o %O)

  const safeStringOf = (v) => {
    // %s: strings as they are; objects without a toString of their own are inspected, others String()ed.
    if (typeof v === 'string') return v;
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'number') return formatNumber(v);
    if (typeof v === 'symbol') return symbolToString.call(v);
    if (!isObject(v)) return `${v}`;
    try {
      if (!isError(v)) {
        let o = v, own = false;
        while (o !== null && o !== ObjectProto && o !== FunctionProto && o !== Array.prototype) {
          if (hasOwn.call(o, 'toString')) { own = true; break; }
          o = getPrototypeOf(o);
        }
        if (own && !tryCall(dateGetTime, v)) return `${v}`;
      }
    } catch {
      // fall through to inspect
    }
    return inspect(v, { depth: 0 });
  };

  const toNumberString = (v, parse) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'symbol') return 'NaN';
    try {
      if (parse === 'int') return formatNumber(parseInt(v));
      if (parse === 'float') return formatNumber(parseFloat(v));
      return formatNumber(Number(v));
    } catch {
      return 'NaN';
    }
  };

  const jsonOf = (v) => {
    try {
      const s = jsonStringify(v);
      return s === undefined ? 'undefined' : s;
    } catch (e) {
      let msg = '';
      try { msg = `${e && e.message}`; } catch { /* */ }
      if (/circular/i.test(msg)) return '[Circular]';
      return '[object]';
    }
  };

  function formatLog(args) {
    try {
      let out = '';
      let start = 0;
      if (args.length > 0 && typeof args[0] === 'string') {
        const fmt = args[0];
        start = 1;
        if (args.length > 1) {
          let last = 0;
          for (let i = 0; i < fmt.length - 1; i++) {
            if (fmt.charCodeAt(i) !== 0x25) continue; // '%'
            const c = fmt[i + 1];
            let piece = null;
            if (c === '%') {
              piece = '%';
            } else if (start < args.length) {
              const arg = args[start];
              switch (c) {
                case 's': piece = safeStringOf(arg); break;
                case 'd': piece = toNumberString(arg, null); break;
                case 'i': piece = toNumberString(arg, 'int'); break;
                case 'f': piece = toNumberString(arg, 'float'); break;
                case 'j': piece = jsonOf(arg); break;
                case 'o': piece = inspect(arg, { depth: 4 }); break;
                case 'O': piece = inspect(arg); break;
                case 'c': piece = ''; break;
                default: break;
              }
              if (piece !== null) start++;
            }
            if (piece !== null) {
              out += fmt.slice(last, i) + piece;
              last = i + 2;
              i++;
            }
          }
          out += fmt.slice(last);
        } else {
          out = fmt;
        }
      }
      for (let i = start; i < args.length; i++) {
        const v = args[i];
        if (i > 0) out += ' ';
        out += typeof v === 'string' ? v : inspect(v);
      }
      return out;
    } catch {
      return '[unprintable]';
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The console namespace

  let groupIndent = '';
  const counts = new Map();
  const timers = new Map();

  const emit = (level, text) => {
    try {
      if (groupIndent !== '') text = groupIndent + text.split('\n').join(`\n${groupIndent}`);
      native.log(level, text);
    } catch {
      // Logging never throws into worker code.
    }
  };
  const labelOf = (label) => {
    if (label === undefined) return 'default';
    try { return `${label}`; } catch { return 'default'; }
  };
  const nowMs = () => {
    try { return native.now(); } catch { return 0; }
  };
  const formatDuration = (ms) => `${+ms.toFixed(3)}ms`;

  const cellOf = (v) => (typeof v === 'string' ? quoteString(v) : inspect(v, { depth: 0, breakLength: Infinity }));

  const renderTable = (header, rows) => {
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] || '').length)) + 2);
    const line = (l, m, r) => l + widths.map((w) => '\u2500'.repeat(w)).join(m) + r;
    const row = (cells) => `\u2502${cells.map((cell, c) => ` ${(cell || '').padEnd(widths[c] - 1)}`).join('\u2502')}\u2502`;
    return [line('\u250c', '\u252c', '\u2510'), row(header), line('\u251c', '\u253c', '\u2524'), ...rows.map(row), line('\u2514', '\u2534', '\u2518')].join('\n');
  };

  function table(data, properties) {
    try {
      if (!isObject(data)) return log(data);
      const rowKeys = [];
      const rowValues = [];
      const mapped = tryGet(mapSize, data) !== undefined;
      if (mapped) {
        let i = 0;
        const it = mapEntries.call(data);
        for (let r = it.next(); !r.done; r = it.next()) {
          rowKeys.push(`${i++}`);
          rowValues.push({ key: r.value[0], value: r.value[1], entry: true });
        }
      } else if (tryGet(setSize, data) !== undefined) {
        let i = 0;
        const it = setValues.call(data);
        for (let r = it.next(); !r.done; r = it.next()) {
          rowKeys.push(`${i++}`);
          rowValues.push({ value: r.value });
        }
      } else {
        for (const k of objectKeys(data)) {
          rowKeys.push(k);
          rowValues.push({ value: data[k] });
        }
      }
      const columns = [];
      let hasValues = false;
      const wanted = isArray(properties) ? properties.map((p) => `${p}`) : null;
      for (const rv of rowValues) {
        if (isObject(rv.value) && !rv.entry) {
          for (const k of objectKeys(rv.value)) if (!columns.includes(k)) columns.push(k);
        } else {
          hasValues = true;
        }
      }
      const cols = wanted !== null ? wanted : columns;
      const header = mapped ? ['(iteration index)', 'Key', 'Values'] : ['(index)', ...cols];
      if (!mapped && hasValues && wanted === null) header.push('Values');
      const rows = rowValues.map((rv, i) => {
        if (mapped) return [rowKeys[i], cellOf(rv.key), cellOf(rv.value)];
        const cells = [rowKeys[i]];
        for (const c of cols) {
          cells.push(isObject(rv.value) && hasOwn.call(rv.value, c) ? cellOf(rv.value[c]) : '');
        }
        if (!mapped && hasValues && wanted === null) cells.push(isObject(rv.value) ? '' : cellOf(rv.value));
        return cells;
      });
      emit('log', renderTable(header, rows));
    } catch {
      log(data);
    }
    return undefined;
  }

  function log(...args) { emit('log', formatLog(args)); }
  function info(...args) { emit('info', formatLog(args)); }
  function warn(...args) { emit('warn', formatLog(args)); }
  function error(...args) { emit('error', formatLog(args)); }
  function debug(...args) { emit('debug', formatLog(args)); }

  function trace(...args) {
    let stack = '';
    try {
      const holder = {};
      if (captureStackTrace !== null) {
        captureStackTrace(holder, trace);
        stack = `${holder.stack}`;
      } else {
        stack = `${new ErrorCtor().stack}`;
      }
      const nl = stack.indexOf('\n');
      stack = nl === -1 ? '' : stack.slice(nl);
    } catch {
      stack = '';
    }
    const msg = formatLog(args);
    emit('log', `Trace${msg === '' ? '' : `: ${msg}`}${stack}`);
  }

  function assert(condition = false, ...data) {
    if (condition) return;
    if (data.length === 0) data = ['Assertion failed'];
    else if (typeof data[0] === 'string') data[0] = `Assertion failed: ${data[0]}`;
    else data.unshift('Assertion failed');
    emit('error', formatLog(data));
  }

  function dir(item = undefined, options = undefined) {
    emit('log', inspect(item, options));
  }

  function dirxml(...data) { emit('log', formatLog(data)); }

  function count(label = undefined) {
    label = labelOf(label);
    const n = (counts.get(label) || 0) + 1;
    counts.set(label, n);
    emit('info', `${label}: ${n}`);
  }

  function countReset(label = undefined) {
    label = labelOf(label);
    if (counts.has(label)) counts.set(label, 0);
    else emit('warn', `Count for '${label}' does not exist`);
  }

  function group(...data) {
    if (data.length > 0) emit('log', formatLog(data));
    groupIndent += '  ';
  }

  function groupEnd() {
    groupIndent = groupIndent.slice(0, -2);
  }

  function time(label = undefined) {
    label = labelOf(label);
    if (timers.has(label)) {
      emit('warn', `Label '${label}' already exists for console.time()`);
      return;
    }
    timers.set(label, nowMs());
  }

  function timeLog(label = undefined, ...data) {
    label = labelOf(label);
    if (!timers.has(label)) {
      emit('warn', `No such label '${label}' for console.timeLog()`);
      return;
    }
    const text = `${label}: ${formatDuration(nowMs() - timers.get(label))}`;
    emit('info', data.length > 0 ? `${text} ${formatLog(data)}` : text);
  }

  function timeEnd(label = undefined) {
    label = labelOf(label);
    if (!timers.has(label)) {
      emit('warn', `No such label '${label}' for console.timeEnd()`);
      return;
    }
    const start = timers.get(label);
    timers.delete(label);
    emit('info', `${label}: ${formatDuration(nowMs() - start)}`);
  }

  const console = {};
  const methods = {
    assert, clear() {}, count, countReset, debug, dir, dirxml, error, group, groupCollapsed: group, groupEnd, info,
    log, table, time, timeEnd, timeLog, trace, warn,
  };
  for (const name of objectKeys(methods)) {
    let fn = methods[name];
    if (name === 'clear' || name === 'groupCollapsed') {
      // Give each its own function object with the right name.
      const impl = fn;
      fn = { [name](...a) { return Reflect.apply(impl, undefined, a); } }[name];
    }
    Object.defineProperty(console, name, { value: fn, writable: true, enumerable: true, configurable: true });
  }
  Object.defineProperty(console, Symbol.toStringTag, {
    value: 'console', writable: false, enumerable: false, configurable: true,
  });

  internal.inspect = inspect;
  internal.formatLog = formatLog;
  internal.console = console;
  internal.defineGlobal(g, 'console', console);
});
