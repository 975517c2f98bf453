// The JS shim: wasm_exec.js (Go's own glue, copied from Debian's Go by build.sh) defines globalThis.Go; the Go
// program starts once, at the worker's top level, and registers goHandle(), which each request calls.
import './wasm_exec.js';
import app from './app.wasm';

const go = new Go();
const instance = await WebAssembly.instantiate(app, go.importObject);
go.run(instance); // returns a promise that settles when the program exits; it never does

export default {
  async fetch(request) {
    const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
    const r = globalThis.goHandle(request.method, request.url, body);
    return new Response(r.body, { status: r.status, headers: { 'content-type': r.contentType } });
  },
};
