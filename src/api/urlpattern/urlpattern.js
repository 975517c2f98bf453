// URLPattern: the WHATWG URL Pattern Standard (https://urlpattern.spec.whatwg.org/), written from the spec's
// algorithms: the constructor string parser, the pattern tokenizer and parser, canonicalization of each piece of
// fixed text through the URL parser (url.js), and compilation of each component to a RegExp.
//
// Also URLPattern.compareComponent (tentative in WPT, shipped by Chromium): orders two patterns' components by
// their part lists, the way Chromium does. generate() is not implemented.
(function (g, native, internal) {
  'use strict';

  internal.requireApi('url/url.js');
  const { toUSVString, URLRecord, parseURL, parseURLWithStateOverride } = internal;

  // Matching calls the builtin exec (the spec's RegExpBuiltinExec), never one a worker put on RegExp.prototype.
  const RegExpCtor = RegExp;
  const regExpExec = RegExp.prototype.exec;
  const ReflectApply = Reflect.apply;
  const ReflectDefineProperty = Reflect.defineProperty;
  const execRegExp = (re, s) => ReflectApply(regExpExec, re, [s]);

  // The spec compiles with the `v` flag; V8 before 11.2 does not have it, and then `u` does the same for every
  // pattern except the v-only class syntax ([a--b], [a&&b]), which fails to compile (a TypeError). (V8 11.3's `v`
  // also mishandles "[^]+?", the segment wildcard of components without a delimiter: `v` must pass that too.)
  const UNICODE_FLAG = (() => {
    try {
      return execRegExp(new RegExpCtor('^[^]+?$', 'v'), 'ab') !== null ? 'v' : 'u';
    } catch {
      return 'u';
    }
  })();

  // Results are built with CreateDataProperty semantics: a setter on Object.prototype never sees a group name.
  function createDataProperty(o, key, value) {
    ReflectDefineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  }

  const COMPONENTS = ['protocol', 'username', 'password', 'hostname', 'port', 'pathname', 'search', 'hash'];
  const DEFAULT_PORTS = { __proto__: null, ftp: '21', file: null, http: '80', https: '443', ws: '80', wss: '443' };
  const SPECIAL_SCHEMES = ['ftp', 'file', 'http', 'https', 'ws', 'wss'];
  const isSpecialScheme = (s) => s !== undefined && s in DEFAULT_PORTS;

  // ---------------------------------------------------------------------------------------------------------
  // Code points

  // The code points of a string (already a USVString) as an array of strings.
  function codePoints(s) {
    const out = [];
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xDC00 && d <= 0xDFFF) {
          out.push(s.slice(i, i + 2));
          i++;
          continue;
        }
      }
      out.push(s[i]);
    }
    return out;
  }

  const firstCodePoint = (s) => String.fromCodePoint(s.codePointAt(0));
  const isASCIIDigit = (c) => c >= 0x30 && c <= 0x39;

  // IdentifierStart / IdentifierPart of ECMAScript.
  const ID_START = /^[$_\p{ID_Start}]$/u;
  const ID_PART = /^[$\u200C\u200D\p{ID_Continue}]$/u;
  const isValidNameCodePoint = (cp, first) => execRegExp(first ? ID_START : ID_PART, cp) !== null;

  // ---------------------------------------------------------------------------------------------------------
  // Tokenizing

  const T_OPEN = 0, T_CLOSE = 1, T_REGEXP = 2, T_NAME = 3, T_CHAR = 4, T_ESCAPED_CHAR = 5, T_OTHER_MODIFIER = 6,
    T_ASTERISK = 7, T_END = 8, T_INVALID_CHAR = 9;
  const STRICT = 0, LENIENT = 1;

  // -> a list of tokens { type, index, value }; `index` counts code points. A malformed construct throws a TypeError
  // under the strict policy and becomes an invalid-char token under the lenient one.
  function tokenize(input, policy) {
    const cps = codePoints(input);
    const n = cps.length;
    const tokens = [];
    let index = 0;
    let nextIndex = 0;
    let cp = '';
    const getNext = () => {
      cp = cps[nextIndex];
      nextIndex++;
    };
    const seek = (i) => {
      nextIndex = i;
      getNext();
    };
    const add = (type, nextPosition, valuePosition, valueLength) => {
      let value = '';
      for (let i = valuePosition; i < valuePosition + valueLength; i++) value += cps[i];
      tokens.push({ type, index, value });
      index = nextPosition;
    };
    const addWithDefaultLength = (type, nextPosition, valuePosition) =>
      add(type, nextPosition, valuePosition, nextPosition - valuePosition);
    const addWithDefaults = (type) => addWithDefaultLength(type, nextIndex, index);
    const tokenizingError = (nextPosition, valuePosition, what) => {
      if (policy === STRICT) throw new TypeError(`Invalid URLPattern: ${what} at ${valuePosition} in "${input}"`);
      addWithDefaultLength(T_INVALID_CHAR, nextPosition, valuePosition);
    };

    while (index < n) {
      seek(index);
      if (cp === '*') {
        addWithDefaults(T_ASTERISK);
        continue;
      }
      if (cp === '+' || cp === '?') {
        addWithDefaults(T_OTHER_MODIFIER);
        continue;
      }
      if (cp === '\\') {
        if (index === n - 1) {
          tokenizingError(nextIndex, index, 'a trailing backslash');
          continue;
        }
        const escapedIndex = nextIndex;
        getNext();
        addWithDefaultLength(T_ESCAPED_CHAR, nextIndex, escapedIndex);
        continue;
      }
      if (cp === '{') {
        addWithDefaults(T_OPEN);
        continue;
      }
      if (cp === '}') {
        addWithDefaults(T_CLOSE);
        continue;
      }
      if (cp === ':') {
        let namePosition = nextIndex;
        const nameStart = namePosition;
        while (namePosition < n) {
          seek(namePosition);
          if (!isValidNameCodePoint(cp, namePosition === nameStart)) break;
          namePosition = nextIndex;
        }
        if (namePosition <= nameStart) {
          tokenizingError(nameStart, index, 'a missing group name');
          continue;
        }
        addWithDefaultLength(T_NAME, namePosition, nameStart);
        continue;
      }
      if (cp === '(') {
        let depth = 1;
        let regexpPosition = nextIndex;
        const regexpStart = regexpPosition;
        let error = null;
        while (regexpPosition < n) {
          seek(regexpPosition);
          if (cp.charCodeAt(0) > 0x7F) {
            error = 'a non-ASCII code point in a regexp group';
            break;
          }
          if (regexpPosition === regexpStart && cp === '?') {
            error = 'a regexp group starting with "?"';
            break;
          }
          if (cp === '\\') {
            if (regexpPosition === n - 1) {
              error = 'a trailing backslash in a regexp group';
              break;
            }
            getNext();
            if (cp.charCodeAt(0) > 0x7F) {
              error = 'a non-ASCII code point in a regexp group';
              break;
            }
            regexpPosition = nextIndex;
            continue;
          }
          if (cp === ')') {
            depth--;
            if (depth === 0) {
              regexpPosition = nextIndex;
              break;
            }
          } else if (cp === '(') {
            depth++;
            if (regexpPosition === n - 1) {
              error = 'an unterminated regexp group';
              break;
            }
            const temporaryPosition = nextIndex;
            getNext();
            if (cp !== '?') {
              error = 'a capturing group inside a regexp group';
              break;
            }
            nextIndex = temporaryPosition;
          }
          regexpPosition = nextIndex;
        }
        if (error !== null) {
          tokenizingError(regexpStart, index, error);
          continue;
        }
        if (depth !== 0) {
          tokenizingError(regexpStart, index, 'an unterminated regexp group');
          continue;
        }
        const regexpLength = regexpPosition - regexpStart - 1;
        if (regexpLength === 0) {
          tokenizingError(regexpStart, index, 'an empty regexp group');
          continue;
        }
        add(T_REGEXP, regexpPosition, regexpStart, regexpLength);
        continue;
      }
      addWithDefaults(T_CHAR);
    }
    addWithDefaultLength(T_END, index, index);
    return tokens;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Parts and options

  const P_FIXED = 3, P_REGEXP = 2, P_SEGMENT_WILDCARD = 1, P_FULL_WILDCARD = 0;   // numbered for compareComponent
  const M_ZERO_OR_MORE = 0, M_OPTIONAL = 1, M_ONE_OR_MORE = 2, M_NONE = 3;         // likewise

  const modifierToString = (m) =>
    (m === M_ZERO_OR_MORE ? '*' : m === M_OPTIONAL ? '?' : m === M_ONE_OR_MORE ? '+' : '');

  // options: { delimiter, prefix, ignoreCase } (delimiter and prefix are one ASCII code point or '').
  const DEFAULT_OPTIONS = { delimiter: '', prefix: '', ignoreCase: false };
  const HOSTNAME_OPTIONS = { delimiter: '.', prefix: '', ignoreCase: false };
  const PATHNAME_OPTIONS = { delimiter: '/', prefix: '/', ignoreCase: false };

  const FULL_WILDCARD_REGEXP = '.*';
  const generateSegmentWildcardRegexp = (options) => '[^' + escapeRegexpString(options.delimiter) + ']+?';

  // ---------------------------------------------------------------------------------------------------------
  // Parsing a pattern string into a part list

  // encodingCallback(text) canonicalizes a piece of fixed text, or throws a TypeError.
  function parsePatternString(input, options, encodingCallback) {
    const tokens = tokenize(input, STRICT);
    const segmentWildcardRegexp = generateSegmentWildcardRegexp(options);
    const parts = [];
    let pendingFixedValue = '';
    let index = 0;
    let nextNumericName = 0;

    const tryConsume = (type) => {
      const token = tokens[index];
      if (token.type !== type) return null;
      index++;
      return token;
    };
    const tryConsumeModifier = () => tryConsume(T_OTHER_MODIFIER) ?? tryConsume(T_ASTERISK);
    const tryConsumeRegexpOrWildcard = (nameToken) => {
      const token = tryConsume(T_REGEXP);
      if (nameToken === null && token === null) return tryConsume(T_ASTERISK);
      return token;
    };
    const consumeRequired = (type) => {
      const token = tryConsume(type);
      if (token === null) {
        const at = tokens[index];
        throw new TypeError(`Invalid URLPattern: unexpected "${at.value}" at ${at.index} in "${input}"`);
      }
      return token;
    };
    const consumeText = () => {
      let result = '';
      for (;;) {
        const token = tryConsume(T_CHAR) ?? tryConsume(T_ESCAPED_CHAR);
        if (token === null) return result;
        result += token.value;
      }
    };
    const maybeAddPartFromPendingFixedValue = () => {
      if (pendingFixedValue === '') return;
      const value = encodingCallback(pendingFixedValue);
      pendingFixedValue = '';
      parts.push({ type: P_FIXED, value, modifier: M_NONE, name: '', prefix: '', suffix: '' });
    };
    const addPart = (prefix, nameToken, regexpOrWildcardToken, suffix, modifierToken) => {
      let modifier = M_NONE;
      if (modifierToken !== null) {
        const v = modifierToken.value;
        modifier = v === '?' ? M_OPTIONAL : v === '*' ? M_ZERO_OR_MORE : M_ONE_OR_MORE;
      }
      if (nameToken === null && regexpOrWildcardToken === null && modifier === M_NONE) {
        // "{foo}": plain text, merged with the text around it.
        pendingFixedValue += prefix;
        return;
      }
      maybeAddPartFromPendingFixedValue();
      if (nameToken === null && regexpOrWildcardToken === null) {
        // "{foo}?": fixed text with a modifier.
        if (prefix === '') return;
        parts.push({
          type: P_FIXED, value: encodingCallback(prefix), modifier, name: '', prefix: '', suffix: '',
        });
        return;
      }
      let regexpValue;
      if (regexpOrWildcardToken === null) regexpValue = segmentWildcardRegexp;
      else if (regexpOrWildcardToken.type === T_ASTERISK) regexpValue = FULL_WILDCARD_REGEXP;
      else regexpValue = regexpOrWildcardToken.value;
      let type = P_REGEXP;
      if (regexpValue === segmentWildcardRegexp) {
        type = P_SEGMENT_WILDCARD;
        regexpValue = '';
      } else if (regexpValue === FULL_WILDCARD_REGEXP) {
        type = P_FULL_WILDCARD;
        regexpValue = '';
      }
      let name = '';
      if (nameToken !== null) {
        name = nameToken.value;
      } else {
        name = String(nextNumericName);
        nextNumericName++;
      }
      for (const part of parts) {
        if (part.name === name) throw new TypeError(`Invalid URLPattern: duplicate group name "${name}" in "${input}"`);
      }
      parts.push({
        type, value: regexpValue, modifier, name, prefix: encodingCallback(prefix), suffix: encodingCallback(suffix),
      });
    };

    while (index < tokens.length) {
      // <prefix char><name><regexp><modifier>, each of them optional.
      const charToken = tryConsume(T_CHAR);
      let nameToken = tryConsume(T_NAME);
      let regexpOrWildcardToken = tryConsumeRegexpOrWildcard(nameToken);
      if (nameToken !== null || regexpOrWildcardToken !== null) {
        let prefix = charToken !== null ? charToken.value : '';
        if (prefix !== '' && prefix !== options.prefix) {
          pendingFixedValue += prefix;
          prefix = '';
        }
        maybeAddPartFromPendingFixedValue();
        const modifierToken = tryConsumeModifier();
        addPart(prefix, nameToken, regexpOrWildcardToken, '', modifierToken);
        continue;
      }
      const fixedToken = charToken ?? tryConsume(T_ESCAPED_CHAR);
      if (fixedToken !== null) {
        pendingFixedValue += fixedToken.value;
        continue;
      }
      // <open><text><name><regexp><text><close><modifier>
      if (tryConsume(T_OPEN) !== null) {
        const prefix = consumeText();
        nameToken = tryConsume(T_NAME);
        regexpOrWildcardToken = tryConsumeRegexpOrWildcard(nameToken);
        const suffix = consumeText();
        consumeRequired(T_CLOSE);
        const modifierToken = tryConsumeModifier();
        addPart(prefix, nameToken, regexpOrWildcardToken, suffix, modifierToken);
        continue;
      }
      maybeAddPartFromPendingFixedValue();
      consumeRequired(T_END);
    }
    return parts;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Part lists to regular expressions and back to pattern strings

  const REGEXP_SPECIAL = '.+*?^${}()[]|/\\';
  const PATTERN_SPECIAL = '+*?:{}()\\';

  function escapeWith(input, special) {
    let result = '';
    for (let i = 0; i < input.length; i++) {
      const c = input[i];
      if (special.includes(c)) result += '\\';
      result += c;
    }
    return result;
  }
  const escapeRegexpString = (s) => escapeWith(s, REGEXP_SPECIAL);
  const escapePatternString = (s) => escapeWith(s, PATTERN_SPECIAL);

  // -> [regular expression source, group names in capture order].
  function generateRegexpAndNameList(parts, options) {
    let result = '^';
    const names = [];
    for (const part of parts) {
      if (part.type === P_FIXED) {
        if (part.modifier === M_NONE) result += escapeRegexpString(part.value);
        else result += '(?:' + escapeRegexpString(part.value) + ')' + modifierToString(part.modifier);
        continue;
      }
      names.push(part.name);
      let regexpValue = part.value;
      if (part.type === P_SEGMENT_WILDCARD) regexpValue = generateSegmentWildcardRegexp(options);
      else if (part.type === P_FULL_WILDCARD) regexpValue = FULL_WILDCARD_REGEXP;
      const modifier = modifierToString(part.modifier);
      const repeating = part.modifier === M_ZERO_OR_MORE || part.modifier === M_ONE_OR_MORE;
      if (part.prefix === '' && part.suffix === '') {
        if (!repeating) result += '(' + regexpValue + ')' + modifier;
        else result += '((?:' + regexpValue + ')' + modifier + ')';
        continue;
      }
      const prefix = escapeRegexpString(part.prefix);
      const suffix = escapeRegexpString(part.suffix);
      if (!repeating) {
        result += '(?:' + prefix + '(' + regexpValue + ')' + suffix + ')' + modifier;
        continue;
      }
      // The prefix and suffix separate repetitions, but are not captured at either end.
      result += '(?:' + prefix + '((?:' + regexpValue + ')(?:' + suffix + prefix + '(?:' + regexpValue + '))*)' +
        suffix + ')';
      if (part.modifier === M_ZERO_OR_MORE) result += '?';
    }
    return [result + '$', names];
  }

  function generatePatternString(parts, options) {
    let result = '';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      const previous = i > 0 ? parts[i - 1] : null;
      const next = i < parts.length - 1 ? parts[i + 1] : null;
      if (part.type === P_FIXED) {
        if (part.modifier === M_NONE) result += escapePatternString(part.value);
        else result += '{' + escapePatternString(part.value) + '}' + modifierToString(part.modifier);
        continue;
      }
      const customName = !isASCIIDigit(part.name.charCodeAt(0));
      let needsGrouping = part.suffix !== '' || (part.prefix !== '' && part.prefix !== options.prefix);
      if (!needsGrouping && customName && part.type === P_SEGMENT_WILDCARD && part.modifier === M_NONE &&
          next !== null && next.prefix === '' && next.suffix === '') {
        // ":foo" followed by text that would read as more of the name, or by an unnamed group.
        if (next.type === P_FIXED) {
          needsGrouping = next.value !== '' && isValidNameCodePoint(firstCodePoint(next.value), false);
        } else {
          needsGrouping = isASCIIDigit(next.name.charCodeAt(0));
        }
      }
      if (!needsGrouping && part.prefix === '' && previous !== null && previous.type === P_FIXED &&
          previous.value !== '' && previous.value[previous.value.length - 1] === options.prefix) {
        needsGrouping = true;
      }
      if (needsGrouping) result += '{';
      result += escapePatternString(part.prefix);
      if (customName) result += ':' + part.name;
      if (part.type === P_REGEXP) {
        result += '(' + part.value + ')';
      } else if (part.type === P_SEGMENT_WILDCARD && !customName) {
        result += '(' + generateSegmentWildcardRegexp(options) + ')';
      } else if (part.type === P_FULL_WILDCARD) {
        if (!customName && (previous === null || previous.type === P_FIXED || previous.modifier !== M_NONE ||
            needsGrouping || part.prefix !== '')) {
          result += '*';
        } else {
          result += '(' + FULL_WILDCARD_REGEXP + ')';
        }
      }
      if (part.type === P_SEGMENT_WILDCARD && customName && part.suffix !== '' &&
          isValidNameCodePoint(firstCodePoint(part.suffix), false)) {
        result += '\\';
      }
      result += escapePatternString(part.suffix);
      if (needsGrouping) result += '}';
      result += modifierToString(part.modifier);
    }
    return result;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Canonicalization: the encoding callbacks, through the URL parser

  function canonicalizeProtocol(value) {
    if (value === '') return value;
    const url = parseURL(value + '://dummy.test');
    if (url === null) throw new TypeError(`Invalid URLPattern protocol: "${value}"`);
    return url.scheme;
  }

  // The URL setters "set the username/password" percent-encode with the userinfo set; captured so that a worker
  // redefining URL.prototype.username cannot change pattern canonicalization.
  const urlUserinfo = {};
  for (const name of ['username', 'password']) {
    const d = Reflect.getOwnPropertyDescriptor(internal.URL.prototype, name);
    urlUserinfo[name] = (value) => {
      const url = new internal.URL('http://dummy.test');
      ReflectApply(d.set, url, [value]);
      return ReflectApply(d.get, url, []);
    };
  }
  const canonicalizeUsername = (value) => (value === '' ? value : urlUserinfo.username(value));
  const canonicalizePassword = (value) => (value === '' ? value : urlUserinfo.password(value));

  // Hostnames are parsed as a special URL's host, so that domains go through IDNA (as every engine does, and as
  // the WPT data expects), not as an opaque host.
  function canonicalizeHostname(value) {
    if (value === '') return value;
    const url = new URLRecord();
    url.scheme = 'https';
    if (parseURLWithStateOverride(value, url, 'hostname') === null || url.host === null) {
      throw new TypeError(`Invalid URLPattern hostname: "${value}"`);
    }
    return url.host;
  }

  function canonicalizeIPv6Hostname(value) {
    let result = '';
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      const hex = isASCIIDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
      if (!hex && c !== 0x5B && c !== 0x5D && c !== 0x3A) {
        throw new TypeError(`Invalid URLPattern IPv6 hostname: "${value}"`);
      }
      result += c >= 0x41 && c <= 0x46 ? String.fromCharCode(c + 0x20) : value[i];
    }
    return result;
  }

  function canonicalizePort(value, protocol) {
    if (value === '') return value;
    const url = new URLRecord();
    if (protocol !== undefined) url.scheme = protocol;
    if (parseURLWithStateOverride(value, url, 'port') === null) {
      throw new TypeError(`Invalid URLPattern port: "${value}"`);
    }
    return url.port === null ? '' : String(url.port);
  }

  function canonicalizePathname(value) {
    if (value === '') return value;
    // "/-" keeps the parser from adding a leading slash or collapsing a leading dot segment; it is removed below.
    const leadingSlash = value[0] === '/';
    const url = new URLRecord();
    if (parseURLWithStateOverride(leadingSlash ? value : '/-' + value, url, 'path start') === null) {
      throw new TypeError(`Invalid URLPattern pathname: "${value}"`);
    }
    return leadingSlash ? url.path : url.path.slice(2);
  }

  function canonicalizeOpaquePathname(value) {
    if (value === '') return value;
    const url = new URLRecord();
    url.opaque = true;
    if (parseURLWithStateOverride(value, url, 'opaque path') === null) {
      throw new TypeError(`Invalid URLPattern pathname: "${value}"`);
    }
    return url.path;
  }

  function canonicalizeSearch(value) {
    if (value === '') return value;
    const url = new URLRecord();
    url.query = '';
    if (parseURLWithStateOverride(value, url, 'query') === null) {
      throw new TypeError(`Invalid URLPattern search: "${value}"`);
    }
    return url.query;
  }

  function canonicalizeHash(value) {
    if (value === '') return value;
    const url = new URLRecord();
    url.fragment = '';
    if (parseURLWithStateOverride(value, url, 'fragment') === null) {
      throw new TypeError(`Invalid URLPattern hash: "${value}"`);
    }
    return url.fragment;
  }

  // ---------------------------------------------------------------------------------------------------------
  // URLPatternInit processing. An init is a null-prototype object whose absent members are undefined.

  const PATTERN = 0, URL_TYPE = 1;

  const processBaseURLString = (input, type) => (type !== PATTERN ? input : escapePatternString(input));

  function isAbsolutePathname(input, type) {
    if (input === '') return false;
    if (input[0] === '/') return true;
    if (type === URL_TYPE) return false;
    if (input.length < 2) return false;
    return (input[0] === '\\' || input[0] === '{') && input[1] === '/';
  }

  function processProtocolForInit(value, type) {
    const stripped = value.endsWith(':') ? value.slice(0, -1) : value;
    return type === PATTERN ? stripped : canonicalizeProtocol(stripped);
  }

  function processPathnameForInit(value, protocol, type) {
    if (type === PATTERN) return value;
    if (protocol === '' || isSpecialScheme(protocol)) return canonicalizePathname(value);
    return canonicalizeOpaquePathname(value);
  }

  function processSearchForInit(value, type) {
    const stripped = value.startsWith('?') ? value.slice(1) : value;
    return type === PATTERN ? stripped : canonicalizeSearch(stripped);
  }

  function processHashForInit(value, type) {
    const stripped = value.startsWith('#') ? value.slice(1) : value;
    return type === PATTERN ? stripped : canonicalizeHash(stripped);
  }

  // `defaults` is null (type PATTERN: nothing preset) or the empty string for every component (type URL).
  function processInit(init, type, defaults) {
    const result = { __proto__: null };
    if (defaults !== null) for (const name of COMPONENTS) result[name] = defaults;
    const has = (name) => init[name] !== undefined;
    let baseURL = null;
    if (has('baseURL')) {
      // A component at least as specific as one the init gives is not inherited (username and password only when
      // matching).
      baseURL = parseURL(init.baseURL);
      if (baseURL === null) throw new TypeError(`Invalid base URL: "${init.baseURL}"`);
      if (!has('protocol')) result.protocol = processBaseURLString(baseURL.scheme, type);
      if (type !== PATTERN && !has('protocol') && !has('hostname') && !has('port') && !has('username')) {
        result.username = processBaseURLString(baseURL.username, type);
      }
      if (type !== PATTERN && !has('protocol') && !has('hostname') && !has('port') && !has('username') &&
          !has('password')) {
        result.password = processBaseURLString(baseURL.password, type);
      }
      if (!has('protocol') && !has('hostname')) {
        result.hostname = processBaseURLString(baseURL.host ?? '', type);
      }
      if (!has('protocol') && !has('hostname') && !has('port')) {
        result.port = baseURL.port === null ? '' : String(baseURL.port);
      }
      if (!has('protocol') && !has('hostname') && !has('port') && !has('pathname')) {
        result.pathname = processBaseURLString(baseURL.path, type);
      }
      if (!has('protocol') && !has('hostname') && !has('port') && !has('pathname') && !has('search')) {
        result.search = processBaseURLString(baseURL.query ?? '', type);
      }
      if (!has('protocol') && !has('hostname') && !has('port') && !has('pathname') && !has('search') &&
          !has('hash')) {
        result.hash = processBaseURLString(baseURL.fragment ?? '', type);
      }
    }
    if (has('protocol')) result.protocol = processProtocolForInit(init.protocol, type);
    if (has('username')) result.username = type === PATTERN ? init.username : canonicalizeUsername(init.username);
    if (has('password')) result.password = type === PATTERN ? init.password : canonicalizePassword(init.password);
    if (has('hostname')) result.hostname = type === PATTERN ? init.hostname : canonicalizeHostname(init.hostname);
    if (has('port')) result.port = type === PATTERN ? init.port : canonicalizePort(init.port, result.protocol);
    if (has('pathname')) {
      result.pathname = init.pathname;
      // A relative pathname resolves against the base URL's path (up to its last slash).
      if (baseURL !== null && !baseURL.opaque && !isAbsolutePathname(result.pathname, type)) {
        const baseURLPath = processBaseURLString(baseURL.path, type);
        const slashIndex = baseURLPath.lastIndexOf('/');
        if (slashIndex !== -1) result.pathname = baseURLPath.slice(0, slashIndex + 1) + result.pathname;
      }
      result.pathname = processPathnameForInit(result.pathname, result.protocol, type);
    }
    if (has('search')) result.search = processSearchForInit(init.search, type);
    if (has('hash')) result.hash = processHashForInit(init.hash, type);
    return result;
  }

  // ---------------------------------------------------------------------------------------------------------
  // The constructor string parser: "https://example.com/:id" -> an init

  const S_INIT = 'init', S_PROTOCOL = 'protocol', S_AUTHORITY = 'authority', S_USERNAME = 'username',
    S_PASSWORD = 'password', S_HOSTNAME = 'hostname', S_PORT = 'port', S_PATHNAME = 'pathname', S_SEARCH = 'search',
    S_HASH = 'hash', S_DONE = 'done';

  function parseConstructorString(input) {
    const cps = codePoints(input);
    const tokens = tokenize(input, LENIENT);
    const result = { __proto__: null };
    let state = S_INIT;
    let componentStart = 0;
    let tokenIndex = 0;
    let tokenIncrement = 1;
    let groupDepth = 0;
    let hostnameIPv6BracketDepth = 0;
    let protocolMatchesSpecialScheme = false;

    const getSafeToken = (i) => (i < tokens.length ? tokens[i] : tokens[tokens.length - 1]);
    const isNonSpecialPatternChar = (i, value) => {
      const token = getSafeToken(i);
      if (token.value !== value) return false;
      return token.type === T_CHAR || token.type === T_ESCAPED_CHAR || token.type === T_INVALID_CHAR;
    };
    const isProtocolSuffix = () => isNonSpecialPatternChar(tokenIndex, ':');
    const nextIsAuthoritySlashes = () =>
      isNonSpecialPatternChar(tokenIndex + 1, '/') && isNonSpecialPatternChar(tokenIndex + 2, '/');
    const isIdentityTerminator = () => isNonSpecialPatternChar(tokenIndex, '@');
    const isPasswordPrefix = () => isNonSpecialPatternChar(tokenIndex, ':');
    const isPortPrefix = () => isNonSpecialPatternChar(tokenIndex, ':');
    const isPathnameStart = () => isNonSpecialPatternChar(tokenIndex, '/');
    const isSearchPrefix = () => {
      if (isNonSpecialPatternChar(tokenIndex, '?')) return true;
      if (tokens[tokenIndex].value !== '?') return false;
      // A "?" modifier token after something it can modify is not a search prefix.
      if (tokenIndex - 1 < 0) return true;
      const previous = getSafeToken(tokenIndex - 1);
      return previous.type !== T_NAME && previous.type !== T_REGEXP && previous.type !== T_CLOSE &&
        previous.type !== T_ASTERISK;
    };
    const isHashPrefix = () => isNonSpecialPatternChar(tokenIndex, '#');
    const isIPv6Open = () => isNonSpecialPatternChar(tokenIndex, '[');
    const isIPv6Close = () => isNonSpecialPatternChar(tokenIndex, ']');
    const makeComponentString = () => {
      const start = getSafeToken(componentStart).index;
      const end = tokens[tokenIndex].index;
      let s = '';
      for (let i = start; i < end; i++) s += cps[i];
      return s;
    };
    const rewind = () => {
      tokenIndex = componentStart;
      tokenIncrement = 0;
    };
    const rewindAndSetState = (newState) => {
      rewind();
      state = newState;
    };
    const changeState = (newState, skip) => {
      if (state !== S_INIT && state !== S_AUTHORITY && state !== S_DONE) result[state] = makeComponentString();
      if (state !== S_INIT && newState !== S_DONE) {
        // Components skipped over between the old state and the new one get defaults.
        const fromAuthorityish = state === S_PROTOCOL || state === S_AUTHORITY || state === S_USERNAME ||
          state === S_PASSWORD;
        if (fromAuthorityish && (newState === S_PORT || newState === S_PATHNAME || newState === S_SEARCH ||
            newState === S_HASH) && result.hostname === undefined) {
          result.hostname = '';
        }
        const beforePathname = fromAuthorityish || state === S_HOSTNAME || state === S_PORT;
        if (beforePathname && (newState === S_SEARCH || newState === S_HASH) && result.pathname === undefined) {
          result.pathname = protocolMatchesSpecialScheme ? '/' : '';
        }
        if ((beforePathname || state === S_PATHNAME) && newState === S_HASH && result.search === undefined) {
          result.search = '';
        }
      }
      state = newState;
      tokenIndex += skip;
      componentStart = tokenIndex;
      tokenIncrement = 0;
    };
    const computeProtocolMatchesSpecialScheme = () => {
      const protocolComponent = compileComponent(makeComponentString(), canonicalizeProtocol, DEFAULT_OPTIONS);
      if (protocolComponentMatchesSpecialScheme(protocolComponent)) protocolMatchesSpecialScheme = true;
    };

    while (tokenIndex < tokens.length) {
      tokenIncrement = 1;
      if (tokens[tokenIndex].type === T_END) {
        if (state === S_INIT) {
          // No protocol: a relative pattern, starting with the pathname, the search or the hash.
          rewind();
          if (isHashPrefix()) changeState(S_HASH, 1);
          else if (isSearchPrefix()) changeState(S_SEARCH, 1);
          else changeState(S_PATHNAME, 0);
          tokenIndex += tokenIncrement;
          continue;
        }
        if (state === S_AUTHORITY) {
          // No "@": the authority is a hostname.
          rewindAndSetState(S_HOSTNAME);
          tokenIndex += tokenIncrement;
          continue;
        }
        changeState(S_DONE, 0);
        break;
      }
      // Component boundaries never fall inside a "{...}" group.
      if (tokens[tokenIndex].type === T_OPEN) {
        groupDepth++;
        tokenIndex += tokenIncrement;
        continue;
      }
      if (groupDepth > 0) {
        if (tokens[tokenIndex].type === T_CLOSE) {
          groupDepth--;
        } else {
          tokenIndex += tokenIncrement;
          continue;
        }
      }
      switch (state) {
        case S_INIT:
          if (isProtocolSuffix()) rewindAndSetState(S_PROTOCOL);
          break;
        case S_PROTOCOL:
          if (isProtocolSuffix()) {
            computeProtocolMatchesSpecialScheme();
            let nextState = S_PATHNAME;
            let skip = 1;
            if (nextIsAuthoritySlashes()) {
              nextState = S_AUTHORITY;
              skip = 3;
            } else if (protocolMatchesSpecialScheme) {
              nextState = S_AUTHORITY;
            }
            changeState(nextState, skip);
          }
          break;
        case S_AUTHORITY:
          if (isIdentityTerminator()) rewindAndSetState(S_USERNAME);
          else if (isPathnameStart() || isSearchPrefix() || isHashPrefix()) rewindAndSetState(S_HOSTNAME);
          break;
        case S_USERNAME:
          if (isPasswordPrefix()) changeState(S_PASSWORD, 1);
          else if (isIdentityTerminator()) changeState(S_HOSTNAME, 1);
          break;
        case S_PASSWORD:
          if (isIdentityTerminator()) changeState(S_HOSTNAME, 1);
          break;
        case S_HOSTNAME:
          if (isIPv6Open()) hostnameIPv6BracketDepth++;
          else if (isIPv6Close()) hostnameIPv6BracketDepth--;
          else if (isPortPrefix() && hostnameIPv6BracketDepth === 0) changeState(S_PORT, 1);
          else if (isPathnameStart()) changeState(S_PATHNAME, 0);
          else if (isSearchPrefix()) changeState(S_SEARCH, 1);
          else if (isHashPrefix()) changeState(S_HASH, 1);
          break;
        case S_PORT:
          if (isPathnameStart()) changeState(S_PATHNAME, 0);
          else if (isSearchPrefix()) changeState(S_SEARCH, 1);
          else if (isHashPrefix()) changeState(S_HASH, 1);
          break;
        case S_PATHNAME:
          if (isSearchPrefix()) changeState(S_SEARCH, 1);
          else if (isHashPrefix()) changeState(S_HASH, 1);
          break;
        case S_SEARCH:
          if (isHashPrefix()) changeState(S_HASH, 1);
          break;
        default:   // S_HASH
          break;
      }
      tokenIndex += tokenIncrement;
    }
    // A hostname without a port means the default port (write ":*" for any).
    if (result.hostname !== undefined && result.port === undefined) result.port = '';
    return result;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Components and URL patterns

  // The number of capturing groups in a regexp group's text: its own named groups, "(?<x>...)".
  function countCaptures(regexpValue, flags) {
    try {
      return execRegExp(new RegExpCtor('(?:' + regexpValue + ')|', flags), '').length - 1;
    } catch {
      return 0;   // it only compiles with the rest of the pattern (a reference to another group): assume none
    }
  }

  // A component: { patternString, regexp, names, captures, hasRegExpGroups, parts }; names[i] is the group whose
  // value is capture number captures[i] of the regexp.
  function compileComponent(input, encodingCallback, options) {
    const parts = parsePatternString(input, options, encodingCallback);
    const [source, names] = generateRegexpAndNameList(parts, options);
    const flags = options.ignoreCase ? UNICODE_FLAG + 'i' : UNICODE_FLAG;
    let regexp;
    try {
      regexp = new RegExpCtor(source, flags);
    } catch (e) {
      throw new TypeError(`Invalid URLPattern: "${input}" is not a valid regular expression (${e.message})`);
    }
    // A regexp group's own named groups capture too, and are not part of the result: skip over them.
    const captures = [];
    let capture = 1;
    let hasRegExpGroups = false;
    for (const part of parts) {
      if (part.type === P_FIXED) continue;
      captures.push(capture);
      capture++;
      if (part.type === P_REGEXP) {
        hasRegExpGroups = true;
        capture += countCaptures(part.value, flags);
      }
    }
    return { patternString: generatePatternString(parts, options), regexp, names, captures, hasRegExpGroups, parts };
  }

  function protocolComponentMatchesSpecialScheme(component) {
    for (const scheme of SPECIAL_SCHEMES) if (execRegExp(component.regexp, scheme) !== null) return true;
    return false;
  }

  function hostnamePatternIsIPv6(input) {
    if (input.length < 2) return false;
    return input[0] === '[' || ((input[0] === '{' || input[0] === '\\') && input[1] === '[');
  }

  // input: a string (constructor string) or an init; baseURL: a string or null; ignoreCase: a boolean.
  // -> a URL pattern: a null-prototype object with one component per COMPONENTS name.
  function createURLPattern(input, baseURL, ignoreCase) {
    let init;
    if (typeof input === 'string') {
      init = parseConstructorString(input);
      if (baseURL === null && init.protocol === undefined) {
        throw new TypeError(`Invalid URLPattern: "${input}" is relative and no base URL was given`);
      }
      if (baseURL !== null) init.baseURL = baseURL;
    } else {
      if (baseURL !== null) throw new TypeError('URLPattern: a base URL is only allowed with a string pattern');
      init = input;
    }
    const processed = processInit(init, PATTERN, null);
    for (const name of COMPONENTS) if (processed[name] === undefined) processed[name] = '*';
    if (isSpecialScheme(processed.protocol) && processed.port === DEFAULT_PORTS[processed.protocol]) {
      processed.port = '';
    }
    const p = { __proto__: null };
    p.protocol = compileComponent(processed.protocol, canonicalizeProtocol, DEFAULT_OPTIONS);
    p.username = compileComponent(processed.username, canonicalizeUsername, DEFAULT_OPTIONS);
    p.password = compileComponent(processed.password, canonicalizePassword, DEFAULT_OPTIONS);
    p.hostname = compileComponent(processed.hostname,
      hostnamePatternIsIPv6(processed.hostname) ? canonicalizeIPv6Hostname : canonicalizeHostname, HOSTNAME_OPTIONS);
    p.port = compileComponent(processed.port, (value) => canonicalizePort(value, undefined), DEFAULT_OPTIONS);
    const compileOptions = { ...DEFAULT_OPTIONS, ignoreCase };
    if (protocolComponentMatchesSpecialScheme(p.protocol)) {
      p.pathname = compileComponent(processed.pathname, canonicalizePathname, { ...PATHNAME_OPTIONS, ignoreCase });
    } else {
      p.pathname = compileComponent(processed.pathname, canonicalizeOpaquePathname, compileOptions);
    }
    p.search = compileComponent(processed.search, canonicalizeSearch, compileOptions);
    p.hash = compileComponent(processed.hash, canonicalizeHash, compileOptions);
    return p;
  }

  // The component strings `input` (a string, or an init) stands for, with baseURL (a string or undefined):
  // a null-prototype object with every COMPONENTS name, or null when input is not a URL. Throws a TypeError for an
  // init with a base URL string.
  function matchInputValues(input, baseURL) {
    if (typeof input !== 'string') {
      if (baseURL !== undefined) throw new TypeError('URLPattern: a base URL is only allowed with a string input');
      try {
        return processInit(input, URL_TYPE, '');
      } catch {
        return null;
      }
    }
    let base = null;
    if (baseURL !== undefined) {
      base = parseURL(baseURL);
      if (base === null) return null;
    }
    const url = parseURL(input, base);
    if (url === null) return null;
    return {
      __proto__: null,
      protocol: url.scheme,
      username: url.username,
      password: url.password,
      hostname: url.host ?? '',
      port: url.port === null ? '' : String(url.port),
      pathname: url.path,
      search: url.query ?? '',
      hash: url.fragment ?? '',
    };
  }

  // -> the URLPatternResult, or null. `inputs` is the list the result reports.
  function match(pattern, input, baseURL, inputs, wantResult) {
    const values = matchInputValues(input, baseURL);
    if (values === null) return null;
    const execResults = [];
    for (const name of COMPONENTS) {
      const r = execRegExp(pattern[name].regexp, values[name]);
      if (r === null) return null;
      execResults.push(r);
    }
    if (!wantResult) return true;
    const result = { inputs };
    for (let i = 0; i < COMPONENTS.length; i++) {
      const name = COMPONENTS[i];
      const component = pattern[name];
      const execResult = execResults[i];
      const groups = {};
      for (let k = 0; k < component.names.length; k++) {
        createDataProperty(groups, component.names[k], execResult[component.captures[k]]);
      }
      createDataProperty(result, name, { input: values[name], groups });
    }
    return result;
  }

  // Chromium's ordering of parts: by type (full wildcard < segment wildcard < regexp < fixed text), then modifier
  // (zero-or-more < optional < one-or-more < none), then prefix, value and suffix as strings. Names are ignored.
  const EMPTY_FIXED_PART = { type: P_FIXED, value: '', modifier: M_NONE, name: '', prefix: '', suffix: '' };
  function comparePart(a, b) {
    if (a.type !== b.type) return a.type < b.type ? -1 : 1;
    if (a.modifier !== b.modifier) return a.modifier < b.modifier ? -1 : 1;
    for (const key of ['prefix', 'value', 'suffix']) {
      if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
    }
    return 0;
  }
  function comparePartLists(left, right) {
    const n = Math.min(left.length, right.length);
    for (let i = 0; i < n; i++) {
      const r = comparePart(left[i], right[i]);
      if (r !== 0) return r;
    }
    // The longer list is compared at its next part with an empty fixed-text part.
    if (left.length > n) return comparePart(left[n], EMPTY_FIXED_PART);
    if (right.length > n) return comparePart(EMPTY_FIXED_PART, right[n]);
    return 0;
  }

  // ---------------------------------------------------------------------------------------------------------
  // WebIDL conversions

  const INIT_MEMBERS =
    ['baseURL', 'hash', 'hostname', 'password', 'pathname', 'port', 'protocol', 'search', 'username'];
  const isObjectLike = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function';

  // A URLPatternInit dictionary: the members present, as USVStrings.
  function toInit(v) {
    const init = { __proto__: null };
    if (v === undefined || v === null) return init;
    for (const key of INIT_MEMBERS) {
      const value = v[key];
      if (value !== undefined) init[key] = toUSVString(value);
    }
    return init;
  }

  // (USVString or URLPatternInit): objects, undefined and null are dictionaries.
  const toURLPatternInput = (v) => (v === undefined || v === null || isObjectLike(v) ? toInit(v) : toUSVString(v));

  function toIgnoreCase(v) {
    if (v === undefined || v === null) return false;
    if (!isObjectLike(v)) throw new TypeError('URLPattern: options must be an object');
    return !!v.ignoreCase;
  }

  // The dictionary as JS sees it again in a result's inputs: a new object with the members present.
  function initToObject(init) {
    const o = {};
    for (const key of INIT_MEMBERS) if (init[key] !== undefined) createDataProperty(o, key, init[key]);
    return o;
  }

  // ---------------------------------------------------------------------------------------------------------
  // The URLPattern interface

  const COMPONENT_NAMES = new Set(COMPONENTS);

  class URLPattern {
    #pattern;

    // new URLPattern(input, baseURL, options) or new URLPattern(input, options), by WebIDL overload resolution:
    // with two arguments, an object (or undefined, or null) second argument is the options.
    constructor(input = undefined, baseURLOrOptions = undefined, options = undefined) {
      const pattern = toURLPatternInput(input);
      let baseURL = null;
      let ignoreCase = false;
      if (arguments.length >= 3) {
        baseURL = toUSVString(baseURLOrOptions);
        ignoreCase = toIgnoreCase(options);
      } else if (arguments.length === 2) {
        if (baseURLOrOptions === undefined || baseURLOrOptions === null || isObjectLike(baseURLOrOptions)) {
          ignoreCase = toIgnoreCase(baseURLOrOptions);
        } else {
          baseURL = toUSVString(baseURLOrOptions);
        }
      }
      this.#pattern = createURLPattern(pattern, baseURL, ignoreCase);
    }

    static #of(self) {
      if (!isObjectLike(self) || !(#pattern in self)) throw new TypeError('Illegal invocation: not a URLPattern');
      return self.#pattern;
    }

    static #run(self, args, wantResult) {
      const pattern = URLPattern.#of(self);
      const input = toURLPatternInput(args[0]);
      const baseURL = args.length > 1 && args[1] !== undefined ? toUSVString(args[1]) : undefined;
      let inputs;
      if (wantResult) {
        const reported = typeof input === 'string' ? input : initToObject(input);
        inputs = typeof input === 'string' && baseURL !== undefined ? [reported, baseURL] : [reported];
      }
      return match(pattern, input, baseURL, inputs, wantResult);
    }

    test(input = undefined, baseURL = undefined) {
      return URLPattern.#run(this, arguments, false) !== null;
    }

    exec(input = undefined, baseURL = undefined) {
      return URLPattern.#run(this, arguments, true);
    }

    get protocol() { return URLPattern.#of(this).protocol.patternString; }
    get username() { return URLPattern.#of(this).username.patternString; }
    get password() { return URLPattern.#of(this).password.patternString; }
    get hostname() { return URLPattern.#of(this).hostname.patternString; }
    get port() { return URLPattern.#of(this).port.patternString; }
    get pathname() { return URLPattern.#of(this).pathname.patternString; }
    get search() { return URLPattern.#of(this).search.patternString; }
    get hash() { return URLPattern.#of(this).hash.patternString; }

    get hasRegExpGroups() {
      const pattern = URLPattern.#of(this);
      for (const name of COMPONENTS) if (pattern[name].hasRegExpGroups) return true;
      return false;
    }

    // -> -1, 0 or 1: how left's `component` orders against right's (more specific patterns sort later).
    static compareComponent(component, left, right) {
      if (arguments.length < 3) throw new TypeError('URLPattern.compareComponent: 3 arguments required');
      const name = toUSVString(component);
      if (!COMPONENT_NAMES.has(name)) {
        throw new TypeError(`URLPattern.compareComponent: "${name}" is not a URLPatternComponent`);
      }
      return comparePartLists(URLPattern.#of(left)[name].parts, URLPattern.#of(right)[name].parts);
    }
  }

  for (const target of [URLPattern.prototype, URLPattern]) {
    for (const key of Reflect.ownKeys(target)) {
      if (key === 'constructor' || key === 'prototype' || key === 'length' || key === 'name') continue;
      const d = Reflect.getOwnPropertyDescriptor(target, key);
      d.enumerable = true;
      Reflect.defineProperty(target, key, d);
    }
  }
  Reflect.defineProperty(URLPattern.prototype, Symbol.toStringTag,
    { value: 'URLPattern', writable: false, enumerable: false, configurable: true });

  internal.defineGlobal(g, 'URLPattern', URLPattern);
  internal.URLPattern = URLPattern;
})
