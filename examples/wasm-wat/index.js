// The JS shim for a module with no WASI: one instance for the worker's lifetime; each request's text is copied
// into its memory (grown when needed), transformed there, and read back.
import app from './app.wasm';

const instance = await WebAssembly.instantiate(app, {});
const { memory, rot13, adler32 } = instance.exports;
const PAGE = 65536;

function intoMemory(bytes) {
  if (bytes.length > memory.buffer.byteLength) {
    const pages = Math.ceil((bytes.length - memory.buffer.byteLength) / PAGE);
    if (memory.grow(pages) < 0) throw new RangeError('the body does not fit in Wasm memory');
  }
  new Uint8Array(memory.buffer).set(bytes, 0);
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const text = request.method === 'POST' ? await request.text() : url.searchParams.get('text') ?? 'Hello, WebAssembly!';
    const bytes = new TextEncoder().encode(text);
    intoMemory(bytes);
    if (url.pathname === '/adler32') {
      const sum = adler32(0, bytes.length) >>> 0;
      return Response.json({ length: bytes.length, adler32: sum.toString(16).padStart(8, '0') });
    }
    if (url.pathname === '/rot13') {
      rot13(0, bytes.length);
      return new Response(new TextDecoder().decode(new Uint8Array(memory.buffer, 0, bytes.length)));
    }
    return new Response('try /rot13?text=... or POST /adler32\n', { status: 404 });
  },
};
