// URL and URLSearchParams: the WHATWG URL Standard (https://url.spec.whatwg.org/), written from the spec's
// state machine. Hosts go through native.domainToASCII (UTS #46); everything else is plain JS.
//
// A URL record (internal.parseURL's result) is a URLRecord: { scheme, username, password, host, port, path,
// opaque, query, fragment }. `host` is the serialized host (null when absent, '' for the empty host); `port` is a
// number or null; `path` is the serialized path: for an opaque path (opaque === true) the path string itself,
// otherwise '' for the empty list and '/' + segments.join('/') for a list (a segment never contains '/').
(function (g, native, internal) {
  'use strict';

  // ---------------------------------------------------------------------------------------------------------
  // Strings and characters

  const EOF = -1;
  const hasWellFormed = typeof String.prototype.isWellFormed === 'function' &&
    typeof String.prototype.toWellFormed === 'function';

  function toWellFormedSlow(s) {
    let out = '';
    let run = 0;
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0xD800 || c > 0xDFFF) continue;
      if (c <= 0xDBFF && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xDC00 && d <= 0xDFFF) { i++; continue; }
      }
      out += s.slice(run, i) + '\uFFFD';
      run = i + 1;
    }
    return run === 0 ? s : out + s.slice(run);
  }

  // WebIDL USVString conversion: ToString (throws on a Symbol), then lone surrogates become U+FFFD.
  function toUSVString(v) {
    const s = typeof v === 'string' ? v : `${v}`;
    if (hasWellFormed) return s.isWellFormed() ? s : s.toWellFormed();
    return toWellFormedSlow(s);
  }

  const isAlpha = (c) => (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A);
  const isDigit = (c) => c >= 0x30 && c <= 0x39;
  const hexValue = (c) => {
    if (c >= 0x30 && c <= 0x39) return c - 0x30;
    if (c >= 0x61 && c <= 0x66) return c - 0x57;
    if (c >= 0x41 && c <= 0x46) return c - 0x37;
    return -1;
  };

  // ---------------------------------------------------------------------------------------------------------
  // Percent-encode sets, as bit masks over a table of ASCII code points. Every code point >= 0x7F is in every set.

  const S_C0 = 1, S_FRAGMENT = 2, S_QUERY = 4, S_SPECIAL_QUERY = 8, S_PATH = 16, S_USERINFO = 32,
    S_COMPONENT = 64, S_FORM = 128;
  const ENCODE = new Uint8Array(128);
  {
    const add = (mask, chars) => { for (let i = 0; i < chars.length; i++) ENCODE[chars.charCodeAt(i)] |= mask; };
    for (let c = 0; c < 0x20; c++) ENCODE[c] = 0xFF;
    ENCODE[0x7F] = 0xFF;
    add(S_FRAGMENT, ' "<>`');
    add(S_QUERY | S_SPECIAL_QUERY | S_PATH | S_USERINFO | S_COMPONENT | S_FORM, ' "#<>');
    add(S_SPECIAL_QUERY, "'");
    add(S_PATH | S_USERINFO | S_COMPONENT | S_FORM, '?^`{}');
    add(S_USERINFO | S_COMPONENT | S_FORM, '/:;=@[\\]|');
    add(S_COMPONENT | S_FORM, '$%&+,');
    add(S_FORM, "!'()~");
  }
  const PCT = [];
  for (let i = 0; i < 256; i++) PCT.push('%' + (i < 16 ? '0' : '') + i.toString(16).toUpperCase());

  // UTF-8 percent-encodes every code point of `s` in the set `mask` (space as '+' when spaceAsPlus).
  function percentEncode(s, mask, spaceAsPlus) {
    const n = s.length;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80 || (ENCODE[c] & mask) !== 0) break;
    }
    if (i === n) return s;
    let out = s.slice(0, i);
    let run = i;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if ((ENCODE[c] & mask) === 0) continue;
        if (run < i) out += s.slice(run, i);
        out += spaceAsPlus && c === 0x20 ? '+' : PCT[c];
      } else {
        if (run < i) out += s.slice(run, i);
        if (c < 0x800) {
          out += PCT[0xC0 | (c >> 6)] + PCT[0x80 | (c & 0x3F)];
        } else if (c >= 0xD800 && c <= 0xDFFF) {
          const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
          if (c <= 0xDBFF && d >= 0xDC00 && d <= 0xDFFF) {
            const cp = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
            out += PCT[0xF0 | (cp >> 18)] + PCT[0x80 | ((cp >> 12) & 0x3F)] + PCT[0x80 | ((cp >> 6) & 0x3F)] +
              PCT[0x80 | (cp & 0x3F)];
            i++;
          } else {
            out += '%EF%BF%BD';
          }
        } else {
          out += PCT[0xE0 | (c >> 12)] + PCT[0x80 | ((c >> 6) & 0x3F)] + PCT[0x80 | (c & 0x3F)];
        }
      }
      run = i + 1;
    }
    return run < n ? out + s.slice(run) : out;
  }

  // Decodes bytes[0, count) when it is well-formed UTF-8 (short runs, as in URLs); null otherwise, and the caller
  // falls back to the native decoder, which replaces ill-formed sequences as the Encoding Standard says.
  function decodeUTF8Strict(bytes, count) {
    let out = '';
    let i = 0;
    while (i < count) {
      const b = bytes[i];
      if (b < 0x80) {
        out += String.fromCharCode(b);
        i++;
        continue;
      }
      let need, lo = 0x80, hi = 0xBF, cp;
      if (b >= 0xC2 && b <= 0xDF) { need = 1; cp = b & 0x1F; }
      else if (b >= 0xE0 && b <= 0xEF) {
        need = 2; cp = b & 0x0F;
        if (b === 0xE0) lo = 0xA0; else if (b === 0xED) hi = 0x9F;
      } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3; cp = b & 0x07;
        if (b === 0xF0) lo = 0x90; else if (b === 0xF4) hi = 0x8F;
      } else {
        return null;
      }
      if (i + need >= count) return null;
      for (let k = 1; k <= need; k++) {
        const d = bytes[i + k];
        if (d < lo || d > hi) return null;
        lo = 0x80;
        hi = 0xBF;
        cp = (cp << 6) | (d & 0x3F);
      }
      out += String.fromCodePoint(cp);
      i += need + 1;
    }
    return out;
  }

  // Percent-decodes `s` (as UTF-8 bytes) and UTF-8 decodes the result without BOM handling, lossily. Each run of
  // %XX escapes is decoded on its own: a literal code point's UTF-8 never starts with a continuation byte, so this
  // equals decoding the whole byte sequence.
  let scratch = new Uint8Array(64);
  function percentDecode(s) {
    let i = s.indexOf('%');
    if (i === -1) return s;
    const n = s.length;
    let out = '';
    let last = 0;
    while (i !== -1) {
      let j = i;
      let count = 0;
      let high = false;
      while (j + 2 < n && s.charCodeAt(j) === 0x25) {
        const h = hexValue(s.charCodeAt(j + 1));
        const l = hexValue(s.charCodeAt(j + 2));
        if (h < 0 || l < 0) break;
        const b = (h << 4) | l;
        if (count === scratch.length) {
          const bigger = new Uint8Array(count * 2);
          bigger.set(scratch);
          scratch = bigger;
        }
        scratch[count++] = b;
        if (b >= 0x80) high = true;
        j += 3;
      }
      if (count === 0) {
        i = s.indexOf('%', i + 1);
        continue;
      }
      if (last < i) out += s.slice(last, i);
      if (high) {
        const decoded = decodeUTF8Strict(scratch, count);
        out += decoded !== null ? decoded : native.utf8Decode(scratch.subarray(0, count), false);
      } else {
        for (let k = 0; k < count; k++) out += String.fromCharCode(scratch[k]);
      }
      last = j;
      i = s.indexOf('%', j);
    }
    return last < n ? out + s.slice(last) : out;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Hosts

  const FORBIDDEN_HOST = new Uint8Array(128);   // 1: forbidden host code point, 2: forbidden domain code point
  {
    const hostChars = '\u0000\t\n\r #/:<>?@[\\]^|';
    for (let i = 0; i < hostChars.length; i++) FORBIDDEN_HOST[hostChars.charCodeAt(i)] = 3;
    for (let c = 0; c < 0x20; c++) FORBIDDEN_HOST[c] |= 2;
    FORBIDDEN_HOST[0x25] |= 2;
    FORBIDDEN_HOST[0x7F] |= 2;
  }

  function parseIPv4Number(s) {
    const n = s.length;
    if (n === 0) return -1;
    let radix = 10;
    let i = 0;
    if (n >= 2 && s.charCodeAt(0) === 0x30 && (s.charCodeAt(1) | 0x20) === 0x78) {
      radix = 16;
      i = 2;
    } else if (n >= 2 && s.charCodeAt(0) === 0x30) {
      radix = 8;
      i = 1;
    }
    if (i === n) return 0;
    let value = 0;
    for (; i < n; i++) {
      const d = hexValue(s.charCodeAt(i));
      if (d < 0 || d >= radix) return -1;
      value = value * radix + d;
    }
    return value;
  }

  function endsInNumber(s) {
    let end = s.length;
    if (end > 0 && s.charCodeAt(end - 1) === 0x2E) end--;
    if (end === 0) return false;
    const start = s.lastIndexOf('.', end - 1) + 1;
    if (start === end) return false;
    let digits = true;
    for (let i = start; i < end; i++) {
      if (!isDigit(s.charCodeAt(i))) { digits = false; break; }
    }
    if (digits) return true;
    return parseIPv4Number(s.slice(start, end)) >= 0;
  }

  // Returns the serialized IPv4 address, or null.
  function parseIPv4(s) {
    let end = s.length;
    if (end > 1 && s.charCodeAt(end - 1) === 0x2E) end--;
    const numbers = [];
    let start = 0;
    for (;;) {
      let dot = s.indexOf('.', start);
      if (dot === -1 || dot > end) dot = end;
      if (numbers.length === 4) return null;
      const v = parseIPv4Number(start === 0 && dot === s.length ? s : s.slice(start, dot));
      if (v < 0) return null;
      numbers.push(v);
      if (dot >= end) break;
      start = dot + 1;
    }
    const last = numbers.length - 1;
    for (let i = 0; i < last; i++) if (numbers[i] > 255) return null;
    if (numbers[last] >= 256 ** (4 - last)) return null;
    let ipv4 = numbers[last];
    for (let i = 0; i < last; i++) ipv4 += numbers[i] * 256 ** (3 - i);
    return (ipv4 >>> 24) + '.' + ((ipv4 >>> 16) & 255) + '.' + ((ipv4 >>> 8) & 255) + '.' + (ipv4 & 255);
  }

  // Parses s[start, end) as an IPv6 address: an array of 8 pieces, or null.
  function parseIPv6(s, start, end) {
    const address = [0, 0, 0, 0, 0, 0, 0, 0];
    let pieceIndex = 0;
    let compress = -1;
    let p = start;
    const at = (i) => (i < end ? s.charCodeAt(i) : EOF);
    if (at(p) === 0x3A) {
      if (at(p + 1) !== 0x3A) return null;
      p += 2;
      pieceIndex++;
      compress = pieceIndex;
    }
    while (at(p) !== EOF) {
      if (pieceIndex === 8) return null;
      if (at(p) === 0x3A) {
        if (compress !== -1) return null;
        p++;
        pieceIndex++;
        compress = pieceIndex;
        continue;
      }
      let value = 0;
      let length = 0;
      while (length < 4) {
        const d = hexValue(at(p));
        if (d < 0) break;
        value = value * 16 + d;
        p++;
        length++;
      }
      if (at(p) === 0x2E) {
        if (length === 0) return null;
        p -= length;
        if (pieceIndex > 6) return null;
        let numbersSeen = 0;
        while (at(p) !== EOF) {
          let ipv4Piece = -1;
          if (numbersSeen > 0) {
            if (at(p) === 0x2E && numbersSeen < 4) p++;
            else return null;
          }
          if (!isDigit(at(p))) return null;
          while (isDigit(at(p))) {
            const number = at(p) - 0x30;
            if (ipv4Piece === -1) ipv4Piece = number;
            else if (ipv4Piece === 0) return null;
            else ipv4Piece = ipv4Piece * 10 + number;
            if (ipv4Piece > 255) return null;
            p++;
          }
          address[pieceIndex] = address[pieceIndex] * 0x100 + ipv4Piece;
          numbersSeen++;
          if (numbersSeen === 2 || numbersSeen === 4) pieceIndex++;
        }
        if (numbersSeen !== 4) return null;
        break;
      } else if (at(p) === 0x3A) {
        p++;
        if (at(p) === EOF) return null;
      } else if (at(p) !== EOF) {
        return null;
      }
      address[pieceIndex] = value;
      pieceIndex++;
    }
    if (compress !== -1) {
      let swaps = pieceIndex - compress;
      pieceIndex = 7;
      while (pieceIndex !== 0 && swaps > 0) {
        const t = address[pieceIndex];
        address[pieceIndex] = address[compress + swaps - 1];
        address[compress + swaps - 1] = t;
        pieceIndex--;
        swaps--;
      }
    } else if (pieceIndex !== 8) {
      return null;
    }
    return address;
  }

  function serializeIPv6(a) {
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8;) {
      if (a[i] !== 0) { i++; continue; }
      let j = i;
      while (j < 8 && a[j] === 0) j++;
      if (j - i > bestLen) { best = i; bestLen = j - i; }
      i = j;
    }
    let out = '';
    for (let i = 0; i < 8; i++) {
      if (i === best) {
        out += i === 0 ? '::' : ':';
        i += bestLen - 1;
        continue;
      }
      out += a[i].toString(16);
      if (i !== 7) out += ':';
    }
    return out;
  }

  function parseOpaqueHost(s) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80 && (FORBIDDEN_HOST[c] & 1) !== 0) return null;
    }
    return percentEncode(s, S_C0, false);
  }

  // The URL Standard's "domain to ASCII" with beStrict false, then the forbidden domain code point check. An
  // ASCII domain is only ASCII-lowercased (as the standard and its tests now have it: no IDNA for ASCII input,
  // so "xn--" labels are not validated); anything else goes through UTS #46 ToASCII.
  function domainToASCII(domain) {
    const n = domain.length;
    let upper = false;
    let forbidden = false;
    let i = 0;
    for (; i < n; i++) {
      const c = domain.charCodeAt(i);
      if (c >= 0x80) break;
      if ((FORBIDDEN_HOST[c] & 2) !== 0) forbidden = true;
      else if (c >= 0x41 && c <= 0x5A) upper = true;
    }
    if (i === n) {
      if (forbidden || n === 0) return null;
      return upper ? domain.toLowerCase() : domain;
    }
    // A forbidden ASCII code point other than < and > survives ToASCII unchanged (UseSTD3ASCIIRules=false keeps
    // them, and only <, =, > take part in a canonical composition, with U+0338), so such input fails either way:
    // failing early spares the native call.
    for (i = 0; i < n; i++) {
      const c = domain.charCodeAt(i);
      if (c < 0x80 && (FORBIDDEN_HOST[c] & 2) !== 0 && c !== 0x3C && c !== 0x3E) return null;
    }
    const result = native.domainToASCII(domain, false);
    if (typeof result !== 'string' || result === '') return null;
    for (i = 0; i < result.length; i++) {
      const c = result.charCodeAt(i);
      if (c < 0x80 && (FORBIDDEN_HOST[c] & 2) !== 0) return null;
    }
    return result;
  }

  // The host parser: returns the serialized host, or null on failure.
  function parseHost(input, isOpaque) {
    if (input.charCodeAt(0) === 0x5B) {
      if (input.charCodeAt(input.length - 1) !== 0x5D || input.length < 2) return null;
      const address = parseIPv6(input, 1, input.length - 1);
      return address === null ? null : '[' + serializeIPv6(address) + ']';
    }
    if (isOpaque) return parseOpaqueHost(input);
    const ascii = domainToASCII(percentDecode(input));
    if (ascii === null) return null;
    if (endsInNumber(ascii)) return parseIPv4(ascii);
    return ascii;
  }

  // ---------------------------------------------------------------------------------------------------------
  // URL records

  // Special schemes (plain comparisons: a Map lookup would hash every freshly sliced scheme string).
  function isSpecialScheme(s) {
    switch (s.length) {
      case 2: return s === 'ws';
      case 3: return s === 'ftp' || s === 'wss';
      case 4: return s === 'http' || s === 'file';
      case 5: return s === 'https';
      default: return false;
    }
  }

  // The default port of a special scheme, or null (file, and non-special schemes).
  function defaultPort(s) {
    switch (s) {
      case 'http': case 'ws': return 80;
      case 'https': case 'wss': return 443;
      case 'ftp': return 21;
      default: return null;
    }
  }

  class URLRecord {
    constructor() {
      this.scheme = '';
      this.username = '';
      this.password = '';
      this.host = null;
      this.port = null;
      this.path = '';
      this.opaque = false;
      this.query = null;
      this.fragment = null;
    }

    clone() {
      const u = new URLRecord();
      u.scheme = this.scheme;
      u.username = this.username;
      u.password = this.password;
      u.host = this.host;
      u.port = this.port;
      u.path = this.path;
      u.opaque = this.opaque;
      u.query = this.query;
      u.fragment = this.fragment;
      return u;
    }
  }

  const includesCredentials = (u) => u.username !== '' || u.password !== '';
  const cannotHaveUserinfoOrPort = (u) => u.host === null || u.host === '' || u.scheme === 'file';

  const isWindowsDriveLetter = (s) => s.length === 2 && isAlpha(s.charCodeAt(0)) &&
    (s.charCodeAt(1) === 0x3A || s.charCodeAt(1) === 0x7C);

  function startsWithWindowsDriveLetter(s, p) {
    const n = s.length;
    if (n - p < 2 || !isAlpha(s.charCodeAt(p))) return false;
    const c1 = s.charCodeAt(p + 1);
    if (c1 !== 0x3A && c1 !== 0x7C) return false;
    if (n - p === 2) return true;
    const c2 = s.charCodeAt(p + 2);
    return c2 === 0x2F || c2 === 0x5C || c2 === 0x3F || c2 === 0x23;
  }

  // url's path[0] is a normalized Windows drive letter (a serialized path starting "/X:" then "/" or its end).
  function firstSegmentIsNormalizedDriveLetter(path) {
    return path.length >= 3 && path.charCodeAt(0) === 0x2F && isAlpha(path.charCodeAt(1)) &&
      path.charCodeAt(2) === 0x3A && (path.length === 3 || path.charCodeAt(3) === 0x2F);
  }

  function shortenPath(url) {
    const p = url.path;
    if (url.scheme === 'file' && p.length === 3 && firstSegmentIsNormalizedDriveLetter(p)) return;
    const i = p.lastIndexOf('/');
    if (i >= 0) url.path = p.slice(0, i);
  }

  function isSingleDot(s) {
    if (s.length === 1) return s === '.';
    return s.length === 3 && s.charCodeAt(0) === 0x25 && s.charCodeAt(1) === 0x32 && (s.charCodeAt(2) | 0x20) === 0x65;
  }

  function isDoubleDot(s) {
    switch (s.length) {
      case 2: return s === '..';
      case 4: return s.charCodeAt(0) === 0x2E ? isSingleDot(s.slice(1)) : s.charCodeAt(3) === 0x2E && isSingleDot(s.slice(0, 3));
      case 6: return isSingleDot(s.slice(0, 3)) && isSingleDot(s.slice(3));
      default: return false;
    }
  }

  // Leading and trailing C0 control or space trimmed (when trim), then all ASCII tab or newline removed.
  function preprocess(input, trim) {
    let start = 0;
    let end = input.length;
    if (trim) {
      while (start < end && input.charCodeAt(start) <= 0x20) start++;
      while (end > start && input.charCodeAt(end - 1) <= 0x20) end--;
    }
    if (input.indexOf('\t') === -1 && input.indexOf('\n') === -1 && input.indexOf('\r') === -1) {
      return start === 0 && end === input.length ? input : input.slice(start, end);
    }
    let out = '';
    let run = start;
    for (let i = start; i < end; i++) {
      const c = input.charCodeAt(i);
      if (c === 0x09 || c === 0x0A || c === 0x0D) {
        if (run < i) out += input.slice(run, i);
        run = i + 1;
      }
    }
    return run < end ? out + input.slice(run, end) : out;
  }

  // States of the basic URL parser.
  const SCHEME_START = 1, SCHEME = 2, NO_SCHEME = 3, SPECIAL_RELATIVE_OR_AUTHORITY = 4, PATH_OR_AUTHORITY = 5,
    RELATIVE = 6, RELATIVE_SLASH = 7, SPECIAL_AUTHORITY_SLASHES = 8, SPECIAL_AUTHORITY_IGNORE_SLASHES = 9,
    AUTHORITY = 10, HOST = 11, HOSTNAME = 12, PORT = 13, FILE = 14, FILE_SLASH = 15, FILE_HOST = 16,
    PATH_START = 17, PATH = 18, OPAQUE_PATH = 19, QUERY = 20, FRAGMENT = 21;

  // A fast path for the common absolute URL: http(s)://host[:port][/path][?query][#fragment] in plain ASCII,
  // with an ASCII domain or a canonical dotted-decimal IPv4 address, no userinfo, and no dot segments, nothing to
  // percent-encode and no tab, newline or surrounding spaces. Returns null when the input is not that simple;
  // the general parser then decides.
  function parseSimpleHttp(input) {
    const n = input.length;
    let p;
    let scheme;
    if (n > 8 && (input.charCodeAt(0) | 0x20) === 0x68 && (input.charCodeAt(1) | 0x20) === 0x74 &&
        (input.charCodeAt(2) | 0x20) === 0x74 && (input.charCodeAt(3) | 0x20) === 0x70) {
      if (input.charCodeAt(4) === 0x3A) { scheme = 'http'; p = 5; }
      else if ((input.charCodeAt(4) | 0x20) === 0x73 && input.charCodeAt(5) === 0x3A) { scheme = 'https'; p = 6; }
      else return null;
    } else {
      return null;
    }
    if (input.charCodeAt(p) !== 0x2F || input.charCodeAt(p + 1) !== 0x2F) return null;
    p += 2;
    // host: [A-Za-z0-9-.]+ without empty labels; if the last label starts with a digit, only a canonical
    // dotted-decimal IPv4 address (which serializes to itself).
    const hostStart = p;
    let labelStart = p;
    let upper = false;
    let c = 0;
    for (; p < n; p++) {
      c = input.charCodeAt(p);
      if ((c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c === 0x2D) continue;
      if (c >= 0x41 && c <= 0x5A) { upper = true; continue; }
      if (c === 0x2E) {
        if (p === labelStart) return null;   // empty label: leave to the general parser
        labelStart = p + 1;
        continue;
      }
      break;
    }
    if (p === hostStart || p === labelStart) return null;
    let host = input.slice(hostStart, p);
    if (isDigit(input.charCodeAt(labelStart)) && !isCanonicalIPv4(input, hostStart, p)) return null;
    if (upper) host = host.toLowerCase();
    let port = null;
    if (c === 0x3A) {
      p++;
      const portStart = p;
      let v = 0;
      for (; p < n; p++) {
        c = input.charCodeAt(p);
        if (!isDigit(c)) break;
        v = v * 10 + (c - 0x30);
        if (v > 65535) return null;
      }
      if (p === portStart || p - portStart > 5) return null;
      if (p < n && c !== 0x2F && c !== 0x3F && c !== 0x23) return null;
      port = v === (scheme === 'http' ? 80 : 443) ? null : v;
    } else if (p < n && c !== 0x2F && c !== 0x3F && c !== 0x23) {
      return null;
    }
    // path
    let path = '/';
    if (p < n && c === 0x2F) {
      const pathStart = p;
      let segStart = p + 1;
      for (p = p + 1; p <= n; p++) {
        c = p < n ? input.charCodeAt(p) : 0x2F;
        if (c === 0x2F || c === 0x3F || c === 0x23 || p === n) {
          // dot segments (".", "..", "%2e" forms) go to the general parser
          const len = p - segStart;
          if (len > 0 && len <= 6) {
            const c0 = input.charCodeAt(segStart);
            if (c0 === 0x2E || c0 === 0x25) return null;
          }
          if (c !== 0x2F || p === n) break;
          segStart = p + 1;
          continue;
        }
        if (c >= 0x80 || c === 0x5C || (ENCODE[c] & S_PATH) !== 0) return null;
      }
      path = input.slice(pathStart, p);
    }
    let query = null;
    if (p < n && c === 0x3F) {
      const qStart = p + 1;
      for (p = qStart; p < n; p++) {
        c = input.charCodeAt(p);
        if (c === 0x23) break;
        if (c >= 0x80 || (ENCODE[c] & S_SPECIAL_QUERY) !== 0) return null;
      }
      query = input.slice(qStart, p);
    }
    let fragment = null;
    if (p < n && c === 0x23) {
      const fStart = p + 1;
      for (p = fStart; p < n; p++) {
        c = input.charCodeAt(p);
        if (c >= 0x80 || (ENCODE[c] & S_FRAGMENT) !== 0) return null;
      }
      fragment = input.slice(fStart, n);
    }
    if (p !== n) return null;
    const url = new URLRecord();
    url.scheme = scheme;
    url.host = host;
    url.port = port;
    url.path = path;
    url.query = query;
    url.fragment = fragment;
    return url;
  }

  // s[start, end) is four decimal numbers 0-255 without leading zeros, separated by dots.
  function isCanonicalIPv4(s, start, end) {
    let parts = 0;
    let p = start;
    while (p < end) {
      const first = p;
      let v = 0;
      while (p < end && isDigit(s.charCodeAt(p))) v = v * 10 + (s.charCodeAt(p++) - 0x30);
      const len = p - first;
      if (len === 0 || len > 3 || v > 255 || (len > 1 && s.charCodeAt(first) === 0x30)) return false;
      parts++;
      if (p < end) {
        if (s.charCodeAt(p) !== 0x2E || parts === 4) return false;
        p++;
        if (p === end) return false;
      }
    }
    return parts === 4;
  }

  // The basic URL parser. Without a state override: returns a new URLRecord, or null on failure. With one
  // (`url` given): modifies url and returns it, or null on failure (url may be partly modified, as specified).
  function basicParse(input, base, url, stateOverride) {
    const override = stateOverride !== 0;
    if (url === null) {
      if (base === null) {
        const simple = parseSimpleHttp(input);
        if (simple !== null) return simple;
      }
      url = new URLRecord();
      input = preprocess(input, true);
    } else {
      input = preprocess(input, false);
    }
    let state = override ? stateOverride : SCHEME_START;
    let buffer = '';
    let atSignSeen = false;
    let insideBrackets = false;
    let passwordTokenSeen = false;
    let special = isSpecialScheme(url.scheme);
    const len = input.length;
    let pointer = 0;

    for (;;) {
      const c = pointer < len ? input.charCodeAt(pointer) : EOF;
      switch (state) {
        case SCHEME_START:
          if (isAlpha(c)) {
            buffer += String.fromCharCode(c | 0x20);
            state = SCHEME;
          } else if (!override) {
            state = NO_SCHEME;
            pointer--;
          } else {
            return null;
          }
          break;

        case SCHEME:
          if (isAlpha(c) || isDigit(c) || c === 0x2B || c === 0x2D || c === 0x2E) {
            let j = pointer;
            let upper = false;
            for (; j < len; j++) {
              const d = input.charCodeAt(j);
              if (d >= 0x41 && d <= 0x5A) upper = true;
              else if (!((d >= 0x61 && d <= 0x7A) || isDigit(d) || d === 0x2B || d === 0x2D || d === 0x2E)) break;
            }
            const run = input.slice(pointer, j);
            buffer += upper ? run.toLowerCase() : run;
            pointer = j - 1;
          } else if (c === 0x3A) {
            if (override) {
              const bufferSpecial = isSpecialScheme(buffer);
              if (special !== bufferSpecial) return url;
              if ((includesCredentials(url) || url.port !== null) && buffer === 'file') return url;
              if (url.scheme === 'file' && url.host === '') return url;
            }
            url.scheme = buffer;
            special = isSpecialScheme(buffer);
            if (override) {
              if (url.port !== null && url.port === defaultPort(url.scheme)) url.port = null;
              return url;
            }
            buffer = '';
            if (url.scheme === 'file') {
              state = FILE;
            } else if (special && base !== null && base.scheme === url.scheme) {
              state = SPECIAL_RELATIVE_OR_AUTHORITY;
            } else if (special) {
              state = SPECIAL_AUTHORITY_SLASHES;
            } else if (pointer + 1 < len && input.charCodeAt(pointer + 1) === 0x2F) {
              state = PATH_OR_AUTHORITY;
              pointer++;
            } else {
              url.opaque = true;
              url.path = '';
              state = OPAQUE_PATH;
            }
          } else if (!override) {
            buffer = '';
            state = NO_SCHEME;
            pointer = -1;
          } else {
            return null;
          }
          break;

        case NO_SCHEME:
          if (base === null || (base.opaque && c !== 0x23)) return null;
          if (base.opaque) {
            url.scheme = base.scheme;
            special = isSpecialScheme(url.scheme);
            url.path = base.path;
            url.opaque = true;
            url.query = base.query;
            url.fragment = '';
            state = FRAGMENT;
          } else if (base.scheme !== 'file') {
            state = RELATIVE;
            pointer--;
          } else {
            state = FILE;
            pointer--;
          }
          break;

        case SPECIAL_RELATIVE_OR_AUTHORITY:
          if (c === 0x2F && input.charCodeAt(pointer + 1) === 0x2F) {
            state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
            pointer++;
          } else {
            state = RELATIVE;
            pointer--;
          }
          break;

        case PATH_OR_AUTHORITY:
          if (c === 0x2F) {
            state = AUTHORITY;
          } else {
            state = PATH;
            pointer--;
          }
          break;

        case RELATIVE:
          url.scheme = base.scheme;
          special = isSpecialScheme(url.scheme);
          if (c === 0x2F || (special && c === 0x5C)) {
            state = RELATIVE_SLASH;
          } else {
            url.username = base.username;
            url.password = base.password;
            url.host = base.host;
            url.port = base.port;
            url.path = base.path;
            url.query = base.query;
            if (c === 0x3F) {
              url.query = '';
              state = QUERY;
            } else if (c === 0x23) {
              url.fragment = '';
              state = FRAGMENT;
            } else if (c !== EOF) {
              url.query = null;
              shortenPath(url);
              state = PATH;
              pointer--;
            }
          }
          break;

        case RELATIVE_SLASH:
          if (special && (c === 0x2F || c === 0x5C)) {
            state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
          } else if (c === 0x2F) {
            state = AUTHORITY;
          } else {
            url.username = base.username;
            url.password = base.password;
            url.host = base.host;
            url.port = base.port;
            state = PATH;
            pointer--;
          }
          break;

        case SPECIAL_AUTHORITY_SLASHES:
          state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
          if (c === 0x2F && input.charCodeAt(pointer + 1) === 0x2F) pointer++;
          else pointer--;
          break;

        case SPECIAL_AUTHORITY_IGNORE_SLASHES:
          if (c !== 0x2F && c !== 0x5C) {
            state = AUTHORITY;
            pointer--;
          }
          break;

        case AUTHORITY:
          if (c === 0x40) {
            if (atSignSeen) buffer = '%40' + buffer;
            atSignSeen = true;
            if (!passwordTokenSeen) {
              const colon = buffer.indexOf(':');
              if (colon === -1) {
                url.username += percentEncode(buffer, S_USERINFO, false);
              } else {
                passwordTokenSeen = true;
                url.username += percentEncode(buffer.slice(0, colon), S_USERINFO, false);
                url.password += percentEncode(buffer.slice(colon + 1), S_USERINFO, false);
              }
            } else {
              url.password += percentEncode(buffer, S_USERINFO, false);
            }
            buffer = '';
          } else if (c === EOF || c === 0x2F || c === 0x3F || c === 0x23 || (special && c === 0x5C)) {
            if (atSignSeen && buffer === '') return null;
            pointer -= buffer.length + 1;
            buffer = '';
            state = HOST;
          } else {
            let j = pointer + 1;
            for (; j < len; j++) {
              const d = input.charCodeAt(j);
              if (d === 0x40 || d === 0x2F || d === 0x3F || d === 0x23 || d === 0x5C) break;
            }
            buffer += input.slice(pointer, j);
            pointer = j - 1;
          }
          break;

        case HOST:
        case HOSTNAME:
          if (override && url.scheme === 'file') {
            pointer--;
            state = FILE_HOST;
          } else if (c === 0x3A && !insideBrackets) {
            if (buffer === '') return null;
            if (stateOverride === HOSTNAME) return null;
            const host = parseHost(buffer, !special);
            if (host === null) return null;
            url.host = host;
            buffer = '';
            state = PORT;
          } else if (c === EOF || c === 0x2F || c === 0x3F || c === 0x23 || (special && c === 0x5C)) {
            pointer--;
            if (special && buffer === '') return null;
            if (override && buffer === '' && (includesCredentials(url) || url.port !== null)) return null;
            const host = parseHost(buffer, !special);
            if (host === null) return null;
            url.host = host;
            buffer = '';
            state = PATH_START;
            if (override) return url;
          } else {
            if (c === 0x5B) insideBrackets = true;
            else if (c === 0x5D) insideBrackets = false;
            let j = pointer + 1;
            for (; j < len; j++) {
              const d = input.charCodeAt(j);
              if (d === 0x3A || d === 0x2F || d === 0x3F || d === 0x23 || d === 0x5C || d === 0x5B || d === 0x5D) break;
            }
            buffer += input.slice(pointer, j);
            pointer = j - 1;
          }
          break;

        case PORT:
          if (isDigit(c)) {
            buffer += String.fromCharCode(c);
          } else if (c === EOF || c === 0x2F || c === 0x3F || c === 0x23 || (special && c === 0x5C) || override) {
            if (buffer !== '') {
              let port = 0;
              for (let i = 0; i < buffer.length; i++) {
                port = port * 10 + (buffer.charCodeAt(i) - 0x30);
                if (port > 65535) return null;
              }
              url.port = port === defaultPort(url.scheme) ? null : port;
              buffer = '';
              if (override) return url;
            }
            if (override) return null;
            state = PATH_START;
            pointer--;
          } else {
            return null;
          }
          break;

        case FILE:
          url.scheme = 'file';
          special = true;
          url.host = '';
          if (c === 0x2F || c === 0x5C) {
            state = FILE_SLASH;
          } else if (base !== null && base.scheme === 'file') {
            url.host = base.host;
            url.path = base.path;
            url.query = base.query;
            if (c === 0x3F) {
              url.query = '';
              state = QUERY;
            } else if (c === 0x23) {
              url.fragment = '';
              state = FRAGMENT;
            } else if (c !== EOF) {
              url.query = null;
              if (!startsWithWindowsDriveLetter(input, pointer)) shortenPath(url);
              else url.path = '';
              state = PATH;
              pointer--;
            }
          } else {
            state = PATH;
            pointer--;
          }
          break;

        case FILE_SLASH:
          if (c === 0x2F || c === 0x5C) {
            state = FILE_HOST;
          } else {
            if (base !== null && base.scheme === 'file') {
              url.host = base.host;
              if (!startsWithWindowsDriveLetter(input, pointer) && firstSegmentIsNormalizedDriveLetter(base.path)) {
                url.path += base.path.slice(0, 3);
              }
            }
            state = PATH;
            pointer--;
          }
          break;

        case FILE_HOST:
          if (c === EOF || c === 0x2F || c === 0x5C || c === 0x3F || c === 0x23) {
            pointer--;
            if (!override && isWindowsDriveLetter(buffer)) {
              state = PATH;   // the buffer is kept: the path state uses it
            } else if (buffer === '') {
              url.host = '';
              if (override) return url;
              state = PATH_START;
            } else {
              let host = parseHost(buffer, !special);
              if (host === null) return null;
              if (host === 'localhost') host = '';
              url.host = host;
              if (override) return url;
              buffer = '';
              state = PATH_START;
            }
          } else {
            let j = pointer + 1;
            for (; j < len; j++) {
              const d = input.charCodeAt(j);
              if (d === 0x2F || d === 0x5C || d === 0x3F || d === 0x23) break;
            }
            buffer += input.slice(pointer, j);
            pointer = j - 1;
          }
          break;

        case PATH_START:
          if (special) {
            state = PATH;
            if (c !== 0x2F && c !== 0x5C) pointer--;
          } else if (!override && c === 0x3F) {
            url.query = '';
            state = QUERY;
          } else if (!override && c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          } else if (c !== EOF) {
            state = PATH;
            if (c !== 0x2F) pointer--;
          } else if (override && url.host === null) {
            url.path += '/';
          }
          break;

        case PATH:
          if (c === EOF || c === 0x2F || (special && c === 0x5C) || (!override && (c === 0x3F || c === 0x23))) {
            const slash = c === 0x2F || (special && c === 0x5C);
            if (isDoubleDot(buffer)) {
              shortenPath(url);
              if (!slash) url.path += '/';
            } else if (isSingleDot(buffer)) {
              if (!slash) url.path += '/';
            } else {
              if (url.scheme === 'file' && url.path === '' && isWindowsDriveLetter(buffer)) {
                buffer = buffer[0] + ':';
              }
              url.path += '/' + percentEncode(buffer, S_PATH, false);
            }
            buffer = '';
            if (c === 0x3F) {
              url.query = '';
              state = QUERY;
            } else if (c === 0x23) {
              url.fragment = '';
              state = FRAGMENT;
            }
          } else {
            let j = pointer + 1;
            for (; j < len; j++) {
              const d = input.charCodeAt(j);
              if (d === 0x2F || (special && d === 0x5C) || (!override && (d === 0x3F || d === 0x23))) break;
            }
            buffer += input.slice(pointer, j);
            pointer = j - 1;
          }
          break;

        case OPAQUE_PATH:
          if (c === 0x3F) {
            url.query = '';
            state = QUERY;
          } else if (c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          } else if (c === 0x20) {
            const d = input.charCodeAt(pointer + 1);
            url.path += d === 0x3F || d === 0x23 ? '%20' : ' ';
          } else if (c !== EOF) {
            let j = pointer + 1;
            for (; j < len; j++) {
              const d = input.charCodeAt(j);
              if (d === 0x3F || d === 0x23 || d === 0x20) break;
            }
            url.path += percentEncode(input.slice(pointer, j), S_C0, false);
            pointer = j - 1;
          }
          break;

        case QUERY:
          if ((!override && c === 0x23) || c === EOF) {
            url.query += percentEncode(buffer, special ? S_SPECIAL_QUERY : S_QUERY, false);
            buffer = '';
            if (c === 0x23) {
              url.fragment = '';
              state = FRAGMENT;
            }
          } else {
            let j = override ? len : input.indexOf('#', pointer + 1);
            if (j === -1) j = len;
            buffer += input.slice(pointer, j);
            pointer = j - 1;
          }
          break;

        case FRAGMENT:
          if (c !== EOF) {
            url.fragment += percentEncode(input.slice(pointer), S_FRAGMENT, false);
            pointer = len - 1;
          }
          break;
      }
      if (pointer >= len) break;
      pointer++;
    }
    return url;
  }

  function serializeURL(u, excludeFragment) {
    let out = u.scheme + ':';
    if (u.host !== null) {
      out += '//';
      if (u.username !== '' || u.password !== '') {
        out += u.username;
        if (u.password !== '') out += ':' + u.password;
        out += '@';
      }
      out += u.host;
      if (u.port !== null) out += ':' + u.port;
    } else if (!u.opaque && u.path.length > 1 && u.path.charCodeAt(1) === 0x2F) {
      out += '/.';
    }
    out += u.path;
    if (u.query !== null) out += '?' + u.query;
    if (!excludeFragment && u.fragment !== null) out += '#' + u.fragment;
    return out;
  }

  function serializeOrigin(u) {
    switch (u.scheme) {
      case 'blob': {
        const pathURL = basicParse(u.path, null, null, 0);
        if (pathURL !== null && (pathURL.scheme === 'http' || pathURL.scheme === 'https')) {
          return serializeOrigin(pathURL);
        }
        return 'null';
      }
      case 'ftp': case 'http': case 'https': case 'ws': case 'wss':
        return u.scheme + '://' + u.host + (u.port !== null ? ':' + u.port : '');
      default:
        return 'null';
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // application/x-www-form-urlencoded. Lists are flat: [name0, value0, name1, value1, ...].

  function decodeFormComponent(s) {
    if (s.indexOf('+') !== -1) s = s.replaceAll('+', ' ');
    return percentDecode(s);
  }

  function parseForm(input) {
    const list = [];
    const n = input.length;
    let start = 0;
    while (start < n) {
      let amp = input.indexOf('&', start);
      if (amp === -1) amp = n;
      if (amp > start) {
        let eq = start;
        while (eq < amp && input.charCodeAt(eq) !== 0x3D) eq++;
        if (eq < amp) {
          list.push(decodeFormComponent(input.slice(start, eq)), decodeFormComponent(input.slice(eq + 1, amp)));
        } else {
          list.push(decodeFormComponent(input.slice(start, amp)), '');
        }
      }
      start = amp + 1;
    }
    return list;
  }

  function serializeForm(list) {
    let out = '';
    for (let i = 0; i < list.length; i += 2) {
      if (i > 0) out += '&';
      out += percentEncode(list[i], S_FORM, true) + '=' + percentEncode(list[i + 1], S_FORM, true);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------
  // WebIDL helpers

  function requireArgs(count, needed, what) {
    if (count < needed) {
      throw new TypeError(`${what}: ${needed} argument${needed > 1 ? 's' : ''} required, but only ${count} present`);
    }
  }

  const shown = (s) => (s.length > 200 ? JSON.stringify(s.slice(0, 200)) + '\u2026' : JSON.stringify(s));

  // Makes a class's prototype members enumerable (WebIDL operations and attributes are) and adds its toStringTag.
  function finishInterface(cls, tag) {
    for (const target of [cls.prototype, cls]) {
      for (const key of Reflect.ownKeys(target)) {
        if (key === 'constructor' || key === 'prototype' || key === 'length' || key === 'name') continue;
        const d = Reflect.getOwnPropertyDescriptor(target, key);
        d.enumerable = true;
        Reflect.defineProperty(target, key, d);
      }
    }
    if (tag !== null) {
      Reflect.defineProperty(cls.prototype, Symbol.toStringTag,
        { value: tag, writable: false, enumerable: false, configurable: true });
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // URLSearchParams

  let paramsList;        // (params) => its list
  let paramsAttach;      // (params, urlObject, list) => void
  let paramsSetList;     // (params, list) => void
  let urlQueryUpdated;   // (urlObject, serializedQuery) => void
  let urlRecordOf;       // (urlObject) => its URLRecord

  const KIND_KEYS = 0, KIND_VALUES = 1, KIND_ENTRIES = 2;

  class URLSearchParams {
    #list = [];
    #url = null;

    constructor(init = '') {
      if (init !== null && (typeof init === 'object' || typeof init === 'function')) {
        const method = init[Symbol.iterator];
        if (method !== undefined && method !== null) {
          if (typeof method !== 'function') throw new TypeError("URLSearchParams: init's @@iterator is not callable");
          const list = this.#list;
          const iterable = { [Symbol.iterator]: () => Reflect.apply(method, init, []) };
          for (const pair of iterable) {
            if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function')) {
              throw new TypeError('URLSearchParams: each pair must be an iterable [name, value]');
            }
            const items = [...pair];
            if (items.length !== 2) {
              throw new TypeError(`URLSearchParams: a pair must have exactly 2 items, not ${items.length}`);
            }
            list.push(toUSVString(items[0]), toUSVString(items[1]));
          }
        } else {
          const record = new Map();
          for (const key of Reflect.ownKeys(init)) {
            const desc = Reflect.getOwnPropertyDescriptor(init, key);
            if (desc === undefined || !desc.enumerable) continue;
            const name = toUSVString(key);
            record.set(name, toUSVString(init[key]));
          }
          const list = this.#list;
          for (const [name, value] of record) list.push(name, value);
        }
      } else {
        let s = toUSVString(init);
        if (s.charCodeAt(0) === 0x3F) s = s.slice(1);
        this.#list = parseForm(s);
      }
    }

    #update() {
      if (this.#url !== null) urlQueryUpdated(this.#url, serializeForm(this.#list));
    }

    get size() {
      return this.#list.length >> 1;
    }

    append(name, value) {
      void this.#list;   // brand check first
      requireArgs(arguments.length, 2, "Failed to execute 'append' on 'URLSearchParams'");
      this.#list.push(toUSVString(name), toUSVString(value));
      this.#update();
    }

    delete(name, value = undefined) {
      void this.#list;   // brand check first
      requireArgs(arguments.length, 1, "Failed to execute 'delete' on 'URLSearchParams'");
      name = toUSVString(name);
      const list = this.#list;
      const out = [];
      if (value === undefined) {
        for (let i = 0; i < list.length; i += 2) if (list[i] !== name) out.push(list[i], list[i + 1]);
      } else {
        value = toUSVString(value);
        for (let i = 0; i < list.length; i += 2) {
          if (list[i] !== name || list[i + 1] !== value) out.push(list[i], list[i + 1]);
        }
      }
      this.#list = out;
      this.#update();
    }

    get(name) {
      void this.#list;   // brand check first
      requireArgs(arguments.length, 1, "Failed to execute 'get' on 'URLSearchParams'");
      name = toUSVString(name);
      const list = this.#list;
      for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
      return null;
    }

    getAll(name) {
      void this.#list;   // brand check first
      requireArgs(arguments.length, 1, "Failed to execute 'getAll' on 'URLSearchParams'");
      name = toUSVString(name);
      const list = this.#list;
      const out = [];
      for (let i = 0; i < list.length; i += 2) if (list[i] === name) out.push(list[i + 1]);
      return out;
    }

    has(name, value = undefined) {
      void this.#list;   // brand check first
      requireArgs(arguments.length, 1, "Failed to execute 'has' on 'URLSearchParams'");
      name = toUSVString(name);
      const list = this.#list;
      if (value === undefined) {
        for (let i = 0; i < list.length; i += 2) if (list[i] === name) return true;
      } else {
        value = toUSVString(value);
        for (let i = 0; i < list.length; i += 2) if (list[i] === name && list[i + 1] === value) return true;
      }
      return false;
    }

    set(name, value) {
      void this.#list;   // brand check first
      requireArgs(arguments.length, 2, "Failed to execute 'set' on 'URLSearchParams'");
      name = toUSVString(name);
      value = toUSVString(value);
      const list = this.#list;
      let found = false;
      const out = [];
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] !== name) {
          out.push(list[i], list[i + 1]);
        } else if (!found) {
          found = true;
          out.push(name, value);
        }
      }
      if (!found) out.push(name, value);
      this.#list = out;
      this.#update();
    }

    sort() {
      const list = this.#list;
      const pairs = [];
      for (let i = 0; i < list.length; i += 2) pairs.push([list[i], list[i + 1]]);
      // Array.prototype.sort is stable; `<` on strings compares UTF-16 code units.
      pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const out = [];
      for (let i = 0; i < pairs.length; i++) out.push(pairs[i][0], pairs[i][1]);
      this.#list = out;
      this.#update();
    }

    toString() {
      return serializeForm(this.#list);
    }

    forEach(callback, thisArg = undefined) {
      void this.#list;   // brand check first
      requireArgs(arguments.length, 1, "Failed to execute 'forEach' on 'URLSearchParams'");
      if (typeof callback !== 'function') {
        throw new TypeError("Failed to execute 'forEach' on 'URLSearchParams': the callback is not a function");
      }
      for (let i = 0; i < this.#list.length; i += 2) {
        const list = this.#list;
        Reflect.apply(callback, thisArg, [list[i + 1], list[i], this]);
      }
    }

    keys() {
      this.#list;   // brand check
      return new URLSearchParamsIterator(this, KIND_KEYS);
    }

    values() {
      this.#list;
      return new URLSearchParamsIterator(this, KIND_VALUES);
    }

    entries() {
      this.#list;
      return new URLSearchParamsIterator(this, KIND_ENTRIES);
    }

    static {
      paramsList = (p) => p.#list;
      paramsAttach = (p, urlObject, list) => {
        p.#url = urlObject;
        p.#list = list;
      };
      paramsSetList = (p, list) => { p.#list = list; };
    }
  }

  class URLSearchParamsIterator {
    #params;
    #kind;
    #index = 0;

    constructor(params, kind) {
      this.#params = params;
      this.#kind = kind;
    }

    next() {
      if (this === null || typeof this !== 'object' || !(#index in this)) {
        throw new TypeError("next called on an object that is not a URLSearchParams Iterator");
      }
      const list = paramsList(this.#params);
      const i = this.#index * 2;
      if (i >= list.length) return { value: undefined, done: true };
      this.#index++;
      const kind = this.#kind;
      const value = kind === KIND_KEYS ? list[i] : kind === KIND_VALUES ? list[i + 1] : [list[i], list[i + 1]];
      return { value, done: false };
    }
  }
  {
    const proto = URLSearchParamsIterator.prototype;
    const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
    Object.setPrototypeOf(proto, iteratorPrototype);
    delete proto.constructor;
    finishInterface(URLSearchParamsIterator, 'URLSearchParams Iterator');
  }

  finishInterface(URLSearchParams, 'URLSearchParams');
  Reflect.defineProperty(URLSearchParams.prototype, Symbol.iterator, {
    value: URLSearchParams.prototype.entries, writable: true, enumerable: false, configurable: true,
  });

  // ---------------------------------------------------------------------------------------------------------
  // URL

  // The API URL parser's two steps; throws a TypeError on failure.
  function parseForAPI(url, base, hasBase) {
    let parsedBase = null;
    if (hasBase) {
      parsedBase = basicParse(base, null, null, 0);
      if (parsedBase === null) throw new TypeError(`Invalid base URL: ${shown(base)}`);
    }
    const record = basicParse(url, parsedBase, null, 0);
    if (record === null) {
      throw new TypeError(hasBase ? `Invalid URL: ${shown(url)} (base ${shown(base)})` : `Invalid URL: ${shown(url)}`);
    }
    return record;
  }

  const FROM_RECORD = Object.freeze({});   // never reachable from worker code
  let pendingRecord = null;

  class URL {
    #url;
    #href;
    #query = null;

    constructor(url, base = undefined) {
      if (url === FROM_RECORD && pendingRecord !== null) {
        this.#url = pendingRecord;
        pendingRecord = null;
        this.#href = serializeURL(this.#url, false);
        return;
      }
      requireArgs(arguments.length, 1, "Failed to construct 'URL'");
      url = toUSVString(url);
      const hasBase = base !== undefined;
      if (hasBase) base = toUSVString(base);
      this.#url = parseForAPI(url, base, hasBase);
      this.#href = serializeURL(this.#url, false);
    }

    static parse(url, base = undefined) {
      requireArgs(arguments.length, 1, "Failed to execute 'parse' on 'URL'");
      url = toUSVString(url);
      let parsedBase = null;
      if (base !== undefined) {
        parsedBase = basicParse(toUSVString(base), null, null, 0);
        if (parsedBase === null) return null;
      }
      const record = basicParse(url, parsedBase, null, 0);
      return record === null ? null : urlFromRecord(record);
    }

    static canParse(url, base = undefined) {
      requireArgs(arguments.length, 1, "Failed to execute 'canParse' on 'URL'");
      url = toUSVString(url);
      let parsedBase = null;
      if (base !== undefined) {
        parsedBase = basicParse(toUSVString(base), null, null, 0);
        if (parsedBase === null) return false;
      }
      return basicParse(url, parsedBase, null, 0) !== null;
    }

    #changed() {
      this.#href = serializeURL(this.#url, false);
    }

    get href() {
      return this.#href;
    }

    set href(value) {
      void this.#url;   // brand check before converting the value, as WebIDL orders it
      value = toUSVString(value);
      const record = basicParse(value, null, null, 0);
      if (record === null) throw new TypeError(`Invalid URL: ${shown(value)}`);
      this.#url = record;
      this.#changed();
      if (this.#query !== null) paramsSetList(this.#query, record.query === null ? [] : parseForm(record.query));
    }

    get origin() {
      return serializeOrigin(this.#url);
    }

    get protocol() {
      return this.#url.scheme + ':';
    }

    set protocol(value) {
      void this.#url;   // brand check before converting the value, as WebIDL orders it
      value = toUSVString(value);
      basicParse(value + ':', null, this.#url, SCHEME_START);
      this.#changed();
    }

    get username() {
      return this.#url.username;
    }

    set username(value) {
      void this.#url;   // brand check before converting the value, as WebIDL orders it
      value = toUSVString(value);
      const url = this.#url;
      if (cannotHaveUserinfoOrPort(url)) return;
      url.username = percentEncode(value, S_USERINFO, false);
      this.#changed();
    }

    get password() {
      return this.#url.password;
    }

    set password(value) {
      void this.#url;   // brand check before converting the value, as WebIDL orders it
      value = toUSVString(value);
      const url = this.#url;
      if (cannotHaveUserinfoOrPort(url)) return;
      url.password = percentEncode(value, S_USERINFO, false);
      this.#changed();
    }

    get host() {
      const url = this.#url;
      if (url.host === null) return '';
      return url.port === null ? url.host : url.host + ':' + url.port;
    }

    set host(value) {
      void this.#url;   // brand check before converting the value, as WebIDL orders it
      value = toUSVString(value);
      const url = this.#url;
      if (url.opaque) return;
      basicParse(value, null, url, HOST);
      this.#changed();
    }

    get hostname() {
      const host = this.#url.host;
      return host === null ? '' : host;
    }

    set hostname(value) {
      void this.#url;   // brand check before converting the value, as WebIDL orders it
      value = toUSVString(value);
      const url = this.#url;
      if (url.opaque) return;
      basicParse(value, null, url, HOSTNAME);
      this.#changed();
    }

    get port() {
      const port = this.#url.port;
      return port === null ? '' : String(port);
    }

    set port(value) {
      void this.#url;   // brand check before converting the value, as WebIDL orders it
      value = toUSVString(value);
      const url = this.#url;
      if (cannotHaveUserinfoOrPort(url)) return;
      if (value === '') url.port = null;
      else basicParse(value, null, url, PORT);
      this.#changed();
    }

    get pathname() {
      return this.#url.path;
    }

    set pathname(value) {
      void this.#url;   // brand check before converting the value, as WebIDL orders it
      value = toUSVString(value);
      const url = this.#url;
      if (url.opaque) return;
      const old = url.path;
      url.path = '';
      if (basicParse(value, null, url, PATH_START) === null) url.path = old;   // cannot happen; defensive
      this.#changed();
    }

    get search() {
      const query = this.#url.query;
      return query === null || query === '' ? '' : '?' + query;
    }

    set search(value) {
      void this.#url;   // brand check before converting the value, as WebIDL orders it
      value = toUSVString(value);
      const url = this.#url;
      if (value === '') {
        url.query = null;
        if (this.#query !== null) paramsSetList(this.#query, []);
        this.#changed();
        return;
      }
      const input = value.charCodeAt(0) === 0x3F ? value.slice(1) : value;
      url.query = '';
      basicParse(input, null, url, QUERY);
      this.#changed();
      const list = parseForm(input);
      if (this.#query !== null) paramsSetList(this.#query, list);
      else this.#makeQueryObject(list);
    }

    #makeQueryObject(list) {
      const params = new URLSearchParams();
      paramsAttach(params, this, list);
      this.#query = params;
      return params;
    }

    get searchParams() {
      const q = this.#query;
      if (q !== null) return q;
      const query = this.#url.query;
      return this.#makeQueryObject(query === null ? [] : parseForm(query));
    }

    get hash() {
      const fragment = this.#url.fragment;
      return fragment === null || fragment === '' ? '' : '#' + fragment;
    }

    set hash(value) {
      void this.#url;   // brand check before converting the value, as WebIDL orders it
      value = toUSVString(value);
      const url = this.#url;
      if (value === '') {
        url.fragment = null;
        this.#changed();
        return;
      }
      const input = value.charCodeAt(0) === 0x23 ? value.slice(1) : value;
      url.fragment = '';
      basicParse(input, null, url, FRAGMENT);
      this.#changed();
    }

    toString() {
      return this.#href;
    }

    toJSON() {
      return this.#href;
    }

    static {
      urlQueryUpdated = (u, serialized) => {
        u.#url.query = serialized === '' ? null : serialized;
        u.#changed();
      };
      urlRecordOf = (u) => u.#url;
    }
  }

  // Builds a URL object around an existing record without re-parsing (URL.parse, internal.urlFromRecord).
  function urlFromRecord(record) {
    pendingRecord = record;
    return new URL(FROM_RECORD);
  }

  finishInterface(URL, 'URL');

  internal.defineGlobal(g, 'URL', URL);
  internal.defineGlobal(g, 'URLSearchParams', URLSearchParams);

  // ---------------------------------------------------------------------------------------------------------
  // For the other API families.

  internal.URL = URL;
  internal.URLSearchParams = URLSearchParams;
  internal.URLRecord = URLRecord;
  if (internal.toUSVString === undefined) internal.toUSVString = toUSVString;
  // (input string, base: undefined | null | string | URLRecord | URL) -> URLRecord, or null on failure.
  internal.parseURL = (input, base) => {
    let parsedBase = null;
    if (base !== undefined && base !== null) {
      if (base instanceof URLRecord) parsedBase = base;
      else if (typeof base === 'object' && urlRecordOfSafe(base) !== null) parsedBase = urlRecordOfSafe(base);
      else {
        parsedBase = basicParse(toUSVString(base), null, null, 0);
        if (parsedBase === null) return null;
      }
    }
    return basicParse(toUSVString(input), parsedBase, null, 0);
  };
  function urlRecordOfSafe(u) {
    try { return urlRecordOf(u); } catch { return null; }
  }
  // The basic URL parser with a state override (URLPattern canonicalizes pattern pieces this way): parses `input`
  // into `record`, a URLRecord it modifies, starting in `state`: 'hostname', 'port', 'path start', 'opaque path',
  // 'query' or 'fragment'. -> record, or null on failure.
  const OVERRIDE_STATES = {
    __proto__: null, hostname: HOSTNAME, port: PORT, 'path start': PATH_START, 'opaque path': OPAQUE_PATH,
    query: QUERY, fragment: FRAGMENT,
  };
  internal.parseURLWithStateOverride = (input, record, state) =>
    basicParse(toUSVString(input), null, record, OVERRIDE_STATES[state]);
  internal.serializeURL = (record, excludeFragment = false) => serializeURL(record, excludeFragment);
  internal.serializeURLOrigin = (record) => serializeOrigin(record);
  internal.urlFromRecord = (record) => urlFromRecord(record.clone());
  internal.isURL = (v) => v !== null && typeof v === 'object' && urlRecordOfSafe(v) !== null;
  internal.isURLSearchParams = (v) => {
    try { paramsList(v); return true; } catch { return false; }
  };
  // The urlencoded serializer over a URLSearchParams' list (for fetch bodies), and the parser (for formData()).
  internal.serializeURLSearchParams = (params) => serializeForm(paramsList(params));
  internal.urlencodedParse = (input) => {
    const flat = parseForm(toUSVString(input));
    const pairs = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
    return pairs;
  };
  internal.urlencodedSerialize = (pairs) => {
    const flat = [];
    for (const [name, value] of pairs) flat.push(name, value);
    return serializeForm(flat);
  };
})
