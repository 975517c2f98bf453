// atob() and btoa(), per the HTML Standard: https://html.spec.whatwg.org/multipage/webappapis.html#atob
// atob uses the Infra "forgiving-base64 decode": https://infra.spec.whatwg.org/#forgiving-base64-decode
(function (g, native, internal) {
  'use strict';

  const DOMException = internal.DOMException;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const decodeTable = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) decodeTable[alphabet.charCodeAt(i)] = i;
  const fromCharCode = String.fromCharCode;
  const CHUNK = 8192; // code units per String.fromCharCode.apply call

  const invalid = (msg) => new DOMException(msg, 'InvalidCharacterError');
  const isAsciiWhitespace = (c) => c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;

  function atob(data) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'atob': 1 argument required");
    data = `${data}`;
    // 1. Remove all ASCII whitespace, collecting the 6-bit values; '=' is only kept track of for the tail checks.
    const values = [];
    let padding = 0; // '=' seen so far; nothing but '=' (and whitespace) may follow the first one
    for (let i = 0; i < data.length; i++) {
      const c = data.charCodeAt(i);
      if (isAsciiWhitespace(c)) continue;
      if (c === 0x3d) {
        padding++;
        continue;
      }
      if (padding > 0) throw invalid('The string to be decoded is not correctly encoded.');
      const v = c < 128 ? decodeTable[c] : -1;
      if (v < 0) throw invalid('The string to be decoded is not correctly encoded.');
      values.push(v);
    }
    // 2-3. With the '=' counted in, the length must be a multiple of 4 for padding to be stripped (1 or 2 of it);
    // 4. then a remainder of 1 is an error.
    if (padding > 0) {
      if (padding > 2 || (values.length + padding) % 4 !== 0) {
        throw invalid('The string to be decoded is not correctly encoded.');
      }
    }
    if (values.length % 4 === 1) throw invalid('The string to be decoded is not correctly encoded.');

    const codes = [];
    let out = '';
    let buffer = 0, bits = 0;
    for (let i = 0; i < values.length; i++) {
      buffer = (buffer << 6) | values[i];
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        codes.push((buffer >> bits) & 0xff);
        buffer &= (1 << bits) - 1;
        if (codes.length === CHUNK) {
          out += fromCharCode.apply(null, codes);
          codes.length = 0;
        }
      }
    }
    // Leftover bits (4 or 2) are discarded, as the spec says.
    if (codes.length > 0) out += fromCharCode.apply(null, codes);
    return out;
  }

  function btoa(data) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'btoa': 1 argument required");
    data = `${data}`;
    const n = data.length;
    for (let i = 0; i < n; i++) {
      if (data.charCodeAt(i) > 0xff) {
        throw invalid('The string to be encoded contains characters outside of the Latin1 range.');
      }
    }
    let out = '';
    let part = [];
    let i = 0;
    for (; i + 2 < n; i += 3) {
      const v = (data.charCodeAt(i) << 16) | (data.charCodeAt(i + 1) << 8) | data.charCodeAt(i + 2);
      part.push(alphabet[v >> 18] + alphabet[(v >> 12) & 63] + alphabet[(v >> 6) & 63] + alphabet[v & 63]);
      if (part.length === CHUNK) {
        out += part.join('');
        part = [];
      }
    }
    if (n - i === 1) {
      const v = data.charCodeAt(i) << 16;
      part.push(`${alphabet[v >> 18]}${alphabet[(v >> 12) & 63]}==`);
    } else if (n - i === 2) {
      const v = (data.charCodeAt(i) << 16) | (data.charCodeAt(i + 1) << 8);
      part.push(`${alphabet[v >> 18]}${alphabet[(v >> 12) & 63]}${alphabet[(v >> 6) & 63]}=`);
    }
    return out + part.join('');
  }

  internal.atob = atob;
  internal.btoa = btoa;
  internal.defineGlobal(g, 'atob', atob);
  internal.defineGlobal(g, 'btoa', btoa);
});
