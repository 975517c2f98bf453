// The Wasm half: the input is copied into the instance's memory once; each request hashes it there.
import mod from './sha256.wasm';
import { INPUT } from './input.js';

const { exports } = new WebAssembly.Instance(mod, {});
new Uint8Array(exports.memory.buffer, exports.input_ptr(), INPUT.length).set(INPUT);

export default {
  fetch() {
    exports.hash(INPUT.length);
    const digest = new Uint8Array(exports.memory.buffer, exports.digest_ptr(), 32);
    let hex = '';
    for (const b of digest) hex += b.toString(16).padStart(2, '0');
    return new Response(hex + '\n');
  },
};
