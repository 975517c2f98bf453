// The JS shim: islet compiled app.wasm at deploy time (a .wasm import is a WebAssembly.Module); WASI.serve runs it
// once per request with islet's CGI-style HTTP ABI.
import app from './app.wasm';

export default {
  fetch(request, env) {
    return WASI.serve(app, request, { env: { GREETING: env.GREETING } });
  },
};
