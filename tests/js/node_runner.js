// Development aid: runs a JS test file against islet's JS API files under Node.js, with the `native` functions
// shimmed by Node's own. The tests that count run inside islet (`build/islet test`); this only lets an API
// family be worked on without a C++ build. Usage:
//   node tests/js/node_runner.js src/api/web/dom_exception.js src/api/url/url.js -- tests/js/url_test.js
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const crypto = require('crypto');
const nodeUrl = require('url');

const args = process.argv.slice(2);
const sep = args.indexOf('--');
const apiFiles = args.slice(0, sep);
const testFile = args[sep + 1];
const repo = path.resolve(__dirname, '../..');

const context = vm.createContext({});
const g = vm.runInContext('globalThis', context);
const toU8 = (v) => (v instanceof ArrayBuffer || Object.prototype.toString.call(v) === '[object ArrayBuffer]')
  ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
const U8 = vm.runInContext('Uint8Array', context);
const internal = {
  defineGlobal(obj, name, value) {
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  },
};
const timers = new Map();
const native = {
  domainToASCII(host, beStrict) {
    const r = nodeUrl.domainToASCII(host);
    return r === '' && host !== '' ? null : r;
  },
  domainToUnicode: (host) => nodeUrl.domainToUnicode(host),
  utf8Encode: (s) => { const b = Buffer.from(String(s), 'utf8'); const u = new U8(b.length); u.set(b); return u; },
  utf8EncodeInto(s, u8) { const r = new TextEncoder().encodeInto(s, toU8(u8)); return [r.read, r.written]; },
  utf8Decode(view, fatal) {
    try { return new TextDecoder('utf-8', { fatal, ignoreBOM: true }).decode(toU8(view)); } catch { return null; }
  },
  randomFill: (ta) => { crypto.randomFillSync(toU8(ta)); return ta; },
  randomUUID: () => crypto.randomUUID(),
  structuredClone: (v) => structuredClone(v),
  log: (level, msg) => console.log(`[${level}] ${msg}`),
  timerStart(id, ms, repeat) {
    const fire = () => internal.runTimer(id);
    timers.set(id, repeat ? setInterval(fire, ms) : setTimeout(fire, ms));
  },
  timerCancel(id) { clearTimeout(timers.get(id)); clearInterval(timers.get(id)); timers.delete(id); },
  now: () => Date.now(),
  timeOrigin: () => performance.timeOrigin,
};

for (const f of apiFiles) {
  const fn = vm.runInContext(fs.readFileSync(f, 'utf8'), context, { filename: f });
  fn(g, native, internal);
}
g.loadTestData = (rel) => JSON.parse(fs.readFileSync(path.join(repo, '..', 'shared', rel), 'utf8'));
g.loadTestExpectations = (rel) => JSON.parse(fs.readFileSync(path.join(path.dirname(path.resolve(testFile)), rel), 'utf8'));
vm.runInContext(fs.readFileSync(path.join(__dirname, 'harness.js'), 'utf8'), context, { filename: 'harness.js' });
vm.runInContext(fs.readFileSync(testFile, 'utf8'), context, { filename: testFile });
g.__runTests((line) => console.log(line)).then((failed) => { process.exitCode = failed ? 1 : 0; });
