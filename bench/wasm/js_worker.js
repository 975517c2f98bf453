import { sha256 } from './sha256_js.js';
import { INPUT } from './input.js';

export default {
  fetch() {
    return new Response(sha256(INPUT) + '\n');
  },
};
