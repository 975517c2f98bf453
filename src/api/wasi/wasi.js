// WASI preview 1 (https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md) for wasm32-wasi
// programs, as a global `WASI` class shaped like Node's `node:wasi`: no file system, no sockets; stdin from bytes,
// stdout/stderr to the log or a buffer; clocks that obey islet's frozen clock. `WASI.serve` runs a WASI command
// once per HTTP request with the CGI-style ABI described in README.md beside this file.
(function (g, native, internal) {
  'use strict';

  const Response = g.Response;
  internal.requireApi('url/url.js');
  const URLClass = internal.URL;
  const { apply } = Reflect;
  const { isView } = ArrayBuffer;
  // V8 adds `WebAssembly` to each context it creates, not to the snapshot's: take it on first use.
  let wasm = null;
  const wa = () => {
    if (wasm === null) {
      const W = g.WebAssembly;
      wasm = {
        Instance: W.Instance,
        Memory: W.Memory,
        Module: W.Module,
        instantiate: W.instantiate,
        memoryBuffer: Object.getOwnPropertyDescriptor(W.Memory.prototype, 'buffer').get,
      };
    }
    return wasm;
  };
  const BigIntCtor = BigInt;
  const MathFloor = Math.floor;
  const MathRound = Math.round;

  // errno (wasi_snapshot_preview1)
  const SUCCESS = 0, E2BIG = 1, EBADF = 8, EFAULT = 21, EINVAL = 28, ENOSYS = 52, ENOTCAPABLE = 76, ESPIPE = 70;
  const FILETYPE_CHARACTER_DEVICE = 2;
  // rights
  const RIGHT_FD_READ = 1n << 1n, RIGHT_FD_WRITE = 1n << 6n, RIGHT_POLL_FD_READWRITE = 1n << 27n;
  const EVENTTYPE_CLOCK = 0, EVENTTYPE_FD_READ = 1, EVENTTYPE_FD_WRITE = 2;
  // Clocks report whole milliseconds: that is all the frozen clock has.
  const CLOCK_RESOLUTION_NS = 1000000n;
  const RANDOM_CHUNK = 65536;
  const MAX_LINE = 64 * 1024;

  // Thrown by proc_exit through the guest's frames; start() turns it into the exit code.
  class ExitSignal {
    constructor(code) { this.code = code; }
  }

  function bytesOf(value, what) {
    if (value === undefined || value === null) return new Uint8Array(0);
    if (typeof value === 'string') return native.utf8Encode(value);
    if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
    if (isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
    throw new TypeError(`WASI: ${what} must be a string, an ArrayBuffer or a typed array`);
  }

  const concat = internal.concatBytes;

  // Where fd 1 or fd 2 goes: 'console' (whole lines to the log, at `level`), 'buffer', 'ignore', or a function
  // called with each chunk (a fresh Uint8Array).
  class Sink {
    constructor(mode, level, name) {
      if (mode === undefined) mode = 'console';
      if (typeof mode !== 'function' && mode !== 'console' && mode !== 'buffer' && mode !== 'ignore') {
        throw new TypeError(`WASI: ${name} must be 'console', 'buffer', 'ignore' or a function`);
      }
      this.mode = mode;
      this.level = level;
      this.chunks = [];
      this.length = 0;
      this.closed = false;
    }
    write(bytes) {
      if (this.mode === 'ignore') return;
      if (typeof this.mode === 'function') {
        this.mode(bytes);
        return;
      }
      this.chunks.push(bytes);
      this.length += bytes.length;
      if (this.mode === 'console') this.emitLines(false);
    }
    // Logs each complete line; with `all`, the unterminated rest too. A line longer than MAX_LINE is cut.
    emitLines(all) {
      if (this.length === 0) return;
      const data = concat(this.chunks, this.length);
      let start = 0;
      for (let i = 0; i < data.length; i++) {
        if (data[i] === 10 || i - start >= MAX_LINE) {
          native.log(this.level, native.utf8Decode(data.subarray(start, i), false));
          start = data[i] === 10 ? i + 1 : i;
        }
      }
      if (all && start < data.length) {
        native.log(this.level, native.utf8Decode(data.subarray(start), false));
        start = data.length;
      }
      this.chunks = start < data.length ? [data.subarray(start)] : [];
      this.length = data.length - start;
    }
    bytes() { return concat(this.chunks, this.length); }
  }

  class WASI {
    #args;
    #env;
    #stdin;
    #stdinAt = 0;
    #stdout;
    #stderr;
    #memory = null;
    #started = false;
    #closed = [false, false, false];
    #imports;

    // options: { args: string[], env: { NAME: value }, stdin: string | BufferSource,
    //            stdout / stderr: 'console' (default) | 'buffer' | 'ignore' | (chunk: Uint8Array) => void }
    constructor(options = {}) {
      if (options === null || typeof options !== 'object') throw new TypeError('WASI: options must be an object');
      const args = options.args === undefined ? [] : options.args;
      if (!Array.isArray(args)) throw new TypeError('WASI: args must be an array of strings');
      this.#args = args.map((a) => native.utf8Encode(String(a)));
      const env = options.env === undefined ? {} : options.env;
      if (env === null || typeof env !== 'object') throw new TypeError('WASI: env must be an object');
      this.#env = [];
      for (const name of Object.keys(env)) {
        const value = env[name];
        if (value === undefined) continue;
        this.#env.push(native.utf8Encode(`${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`));
      }
      this.#stdin = bytesOf(options.stdin, 'stdin');
      this.#stdout = new Sink(options.stdout, 'log', 'stdout');
      this.#stderr = new Sink(options.stderr, 'error', 'stderr');
      this.#imports = this.#makeImports();
    }

    // The functions to pass as the `wasi_snapshot_preview1` import namespace.
    get wasiImport() { return this.#imports; }
    getImportObject() { return { wasi_snapshot_preview1: this.#imports }; }

    // Runs a command's `_start` and returns its exit code: 0 when it returns, the code it gave proc_exit otherwise.
    // A trap or any other exception propagates. A WASI object starts one instance, once.
    start(instance) {
      const exports = this.#attach(instance);
      const start = exports._start;
      if (typeof start !== 'function') throw new TypeError('WASI.start: the instance exports no _start function');
      try {
        start();
        return 0;
      } catch (e) {
        if (e instanceof ExitSignal) return e.code;
        throw e;
      } finally {
        this.#flush();
      }
    }

    // Prepares a reactor (a module exporting functions to call, not a command): runs `_initialize` if exported.
    initialize(instance) {
      const exports = this.#attach(instance);
      if (typeof exports._start === 'function') throw new TypeError('WASI.initialize: a command (with _start) is run by start()');
      if (typeof exports._initialize === 'function') exports._initialize();
    }

    // What the program wrote to stdout / stderr, when that stream is 'buffer'.
    stdoutBytes() { return this.#stdout.bytes(); }
    stderrBytes() { return this.#stderr.bytes(); }
    stdoutText() { return native.utf8Decode(this.#stdout.bytes(), false); }
    stderrText() { return native.utf8Decode(this.#stderr.bytes(), false); }

    #attach(instance) {
      if (!(instance instanceof wa().Instance)) throw new TypeError('WASI: expected a WebAssembly.Instance');
      if (this.#started) throw new Error('WASI: this WASI object already started an instance');
      const exports = instance.exports;
      if (!(exports.memory instanceof wa().Memory)) throw new TypeError('WASI: the instance exports no memory');
      this.#started = true;
      this.#memory = exports.memory;
      return exports;
    }

    #flush() {
      if (this.#stdout.mode === 'console') this.#stdout.emitLines(true);
      if (this.#stderr.mode === 'console') this.#stderr.emitLines(true);
    }

    #makeImports() {
      const self = this;
      let buffer = null;
      let view = null;
      let bytes = null;
      // The memory's buffer changes when it grows: views are remade then.
      const mem = () => {
        if (self.#memory === null) throw new Error('WASI: a WASI function was called before start()/initialize()');
        const b = apply(wa().memoryBuffer, self.#memory, []);
        if (b !== buffer) {
          buffer = b;
          view = new DataView(b);
          bytes = new Uint8Array(b);
        }
        return view;
      };
      const u8 = () => {
        mem();
        return bytes;
      };
      const isStd = (fd) => fd >= 0 && fd <= 2 && !self.#closed[fd];
      const sinkOf = (fd) => (fd === 1 ? self.#stdout : fd === 2 ? self.#stderr : null);

      // Every import returns an errno; a pointer outside memory is EFAULT rather than a JS exception.
      const guarded = (fn) => function (...args) {
        try {
          return apply(fn, undefined, args);
        } catch (e) {
          if (e instanceof ExitSignal) throw e;
          if (e instanceof RangeError) return EFAULT;
          throw e;
        }
      };

      // Writes `list` (Uint8Arrays) NUL-terminated at bufPtr, their addresses at ptrsPtr.
      const writeStrings = (list, ptrsPtr, bufPtr) => {
        const v = mem();
        const m = u8();
        let at = bufPtr;
        for (let i = 0; i < list.length; i++) {
          v.setUint32(ptrsPtr + i * 4, at, true);
          if (at + list[i].length + 1 > m.length) throw new RangeError('out of bounds');
          m.set(list[i], at);
          m[at + list[i].length] = 0;
          at += list[i].length + 1;
        }
        return SUCCESS;
      };
      const writeSizes = (list, countPtr, sizePtr) => {
        const v = mem();
        let size = 0;
        for (const s of list) size += s.length + 1;
        v.setUint32(countPtr, list.length, true);
        v.setUint32(sizePtr, size, true);
        return SUCCESS;
      };

      const nowNs = (id) => {
        switch (id) {
          case 0: return BigIntCtor(MathRound(native.now())) * 1000000n;  // realtime: Date.now()
          case 1:  // monotonic: performance.now()
          case 2:  // process CPU time: islet gives no finer timer than the frozen clock
          case 3: return BigIntCtor(MathFloor(native.now() - native.timeOrigin())) * 1000000n;
          default: return null;
        }
      };

      const imports = {
        args_get: (argv, argvBuf) => writeStrings(self.#args, argv, argvBuf),
        args_sizes_get: (countPtr, sizePtr) => writeSizes(self.#args, countPtr, sizePtr),
        environ_get: (environ, environBuf) => writeStrings(self.#env, environ, environBuf),
        environ_sizes_get: (countPtr, sizePtr) => writeSizes(self.#env, countPtr, sizePtr),

        clock_res_get: (id, resPtr) => {
          if (nowNs(id) === null) return EINVAL;
          mem().setBigUint64(resPtr, CLOCK_RESOLUTION_NS, true);
          return SUCCESS;
        },
        clock_time_get: (id, precision, timePtr) => {
          const t = nowNs(id);
          if (t === null) return EINVAL;
          mem().setBigUint64(timePtr, t, true);
          return SUCCESS;
        },

        fd_read: (fd, iovs, iovsLen, nreadPtr) => {
          if (fd !== 0 || !isStd(0)) return EBADF;
          const v = mem();
          const m = u8();
          let n = 0;
          for (let i = 0; i < iovsLen && self.#stdinAt < self.#stdin.length; i++) {
            const ptr = v.getUint32(iovs + i * 8, true);
            const len = v.getUint32(iovs + i * 8 + 4, true);
            if (ptr + len > m.length) return EFAULT;
            const chunk = self.#stdin.subarray(self.#stdinAt, self.#stdinAt + len);
            m.set(chunk, ptr);
            self.#stdinAt += chunk.length;
            n += chunk.length;
          }
          v.setUint32(nreadPtr, n, true);
          return SUCCESS;
        },
        fd_write: (fd, iovs, iovsLen, nwrittenPtr) => {
          const sink = isStd(fd) ? sinkOf(fd) : null;
          if (sink === null) return EBADF;
          const v = mem();
          const m = u8();
          let n = 0;
          for (let i = 0; i < iovsLen; i++) {
            const ptr = v.getUint32(iovs + i * 8, true);
            const len = v.getUint32(iovs + i * 8 + 4, true);
            if (ptr + len > m.length) return EFAULT;
            if (len === 0) continue;
            sink.write(m.slice(ptr, ptr + len));
            n += len;
          }
          v.setUint32(nwrittenPtr, n, true);
          return SUCCESS;
        },
        fd_pread: (fd) => (isStd(fd) ? ESPIPE : EBADF),
        fd_pwrite: (fd) => (isStd(fd) ? ESPIPE : EBADF),
        fd_seek: (fd) => (isStd(fd) ? ESPIPE : EBADF),
        fd_tell: (fd) => (isStd(fd) ? ESPIPE : EBADF),
        fd_close: (fd) => {
          if (!isStd(fd)) return EBADF;
          self.#closed[fd] = true;
          return SUCCESS;
        },
        fd_fdstat_get: (fd, statPtr) => {
          if (!isStd(fd)) return EBADF;
          const v = mem();
          // fdstat: filetype u8, flags u16 at 2, rights_base u64 at 8, rights_inheriting u64 at 16.
          for (let i = 0; i < 24; i += 4) v.setUint32(statPtr + i, 0, true);
          v.setUint8(statPtr, FILETYPE_CHARACTER_DEVICE);
          v.setBigUint64(statPtr + 8, (fd === 0 ? RIGHT_FD_READ : RIGHT_FD_WRITE) | RIGHT_POLL_FD_READWRITE, true);
          return SUCCESS;
        },
        fd_fdstat_set_flags: (fd) => (isStd(fd) ? SUCCESS : EBADF),
        fd_fdstat_set_rights: (fd) => (isStd(fd) ? SUCCESS : EBADF),
        fd_filestat_get: (fd, statPtr) => {
          if (!isStd(fd)) return EBADF;
          const v = mem();
          // filestat: dev, ino, filetype (u8 at 16), nlink, size, atim, mtim, ctim: 64 bytes.
          for (let i = 0; i < 64; i += 4) v.setUint32(statPtr + i, 0, true);
          v.setUint8(statPtr + 16, FILETYPE_CHARACTER_DEVICE);
          return SUCCESS;
        },
        fd_filestat_set_size: (fd) => (isStd(fd) ? EINVAL : EBADF),
        fd_filestat_set_times: (fd) => (isStd(fd) ? ENOSYS : EBADF),
        fd_advise: (fd) => (isStd(fd) ? ESPIPE : EBADF),
        fd_allocate: (fd) => (isStd(fd) ? EINVAL : EBADF),
        fd_datasync: (fd) => (isStd(fd) ? SUCCESS : EBADF),
        fd_sync: (fd) => (isStd(fd) ? SUCCESS : EBADF),
        fd_readdir: (fd) => (isStd(fd) ? ENOTCAPABLE : EBADF),
        fd_renumber: (fd, to) => (isStd(fd) && isStd(to) ? ENOSYS : EBADF),
        // No preopened directories: there is no file system.
        fd_prestat_get: () => EBADF,
        fd_prestat_dir_name: () => EBADF,

        path_create_directory: (fd) => (isStd(fd) ? ENOTCAPABLE : EBADF),
        path_filestat_get: (fd) => (isStd(fd) ? ENOTCAPABLE : EBADF),
        path_filestat_set_times: (fd) => (isStd(fd) ? ENOTCAPABLE : EBADF),
        path_link: (fd) => (isStd(fd) ? ENOTCAPABLE : EBADF),
        path_open: (fd) => (isStd(fd) ? ENOTCAPABLE : EBADF),
        path_readlink: (fd) => (isStd(fd) ? ENOTCAPABLE : EBADF),
        path_remove_directory: (fd) => (isStd(fd) ? ENOTCAPABLE : EBADF),
        path_rename: (fd) => (isStd(fd) ? ENOTCAPABLE : EBADF),
        path_symlink: (oldPath, oldLen, fd) => (isStd(fd) ? ENOTCAPABLE : EBADF),
        path_unlink_file: (fd) => (isStd(fd) ? ENOTCAPABLE : EBADF),

        // Answers every subscription at once: clocks as expired (islet does not sleep inside a request), stdin as
        // readable with what is left, stdout/stderr as writable.
        poll_oneoff: (inPtr, outPtr, nsubscriptions, neventsPtr) => {
          if (nsubscriptions === 0) return EINVAL;
          const v = mem();
          let n = 0;
          for (let i = 0; i < nsubscriptions; i++) {
            const sub = inPtr + i * 48;
            const ev = outPtr + n * 32;
            const userdata = v.getBigUint64(sub, true);
            const tag = v.getUint8(sub + 8);
            let error = SUCCESS, type, nbytes = 0n;
            if (tag === EVENTTYPE_CLOCK) {
              type = EVENTTYPE_CLOCK;
              if (nowNs(v.getUint32(sub + 16, true)) === null) error = EINVAL;
            } else if (tag === EVENTTYPE_FD_READ || tag === EVENTTYPE_FD_WRITE) {
              type = tag;
              const fd = v.getUint32(sub + 16, true);
              if (tag === EVENTTYPE_FD_READ && fd === 0 && isStd(0)) {
                nbytes = BigIntCtor(self.#stdin.length - self.#stdinAt);
              } else if (!(tag === EVENTTYPE_FD_WRITE && (fd === 1 || fd === 2) && isStd(fd))) {
                error = EBADF;
              }
            } else {
              return EINVAL;
            }
            v.setBigUint64(ev, userdata, true);
            v.setUint16(ev + 8, error, true);
            v.setUint8(ev + 10, type);
            v.setBigUint64(ev + 16, nbytes, true);
            v.setUint16(ev + 24, 0, true);
            n++;
          }
          v.setUint32(neventsPtr, n, true);
          return SUCCESS;
        },

        proc_exit: (code) => {
          throw new ExitSignal(code >>> 0);
        },
        proc_raise: () => ENOSYS,
        sched_yield: () => SUCCESS,
        random_get: (ptr, len) => {
          const m = u8();
          if (ptr + len > m.length) return EFAULT;
          for (let at = 0; at < len; at += RANDOM_CHUNK) {
            native.randomFill(new Uint8Array(m.buffer, ptr + at, Math.min(RANDOM_CHUNK, len - at)));
          }
          return SUCCESS;
        },

        sock_accept: () => ENOSYS,
        sock_recv: () => ENOSYS,
        sock_send: () => ENOSYS,
        sock_shutdown: () => ENOSYS,
      };
      for (const name of Object.keys(imports)) {
        imports[name] = name === 'proc_exit' ? imports[name] : guarded(imports[name]);
      }
      return Object.freeze(imports);
    }

    // Runs the WASI command `module` (a WebAssembly.Module) for `request` with islet's CGI-style HTTP ABI and
    // returns its Response: see src/api/wasi/README.md. options: { env, args, argv0, imports }.
    static async serve(module, request, options = {}) {
      if (!(module instanceof wa().Module)) throw new TypeError('WASI.serve: expected a WebAssembly.Module');
      if (!internal.isRequest(request)) throw new TypeError('WASI.serve: expected a Request');
      if (options === null || typeof options !== 'object') throw new TypeError('WASI.serve: options must be an object');
      const body = new Uint8Array(await request.arrayBuffer());
      const env = cgiEnvironment(request, body.length, options.env);
      const args = [options.argv0 === undefined ? 'app.wasm' : String(options.argv0)];
      if (options.args !== undefined) {
        if (!Array.isArray(options.args)) throw new TypeError('WASI.serve: args must be an array');
        for (const a of options.args) args.push(String(a));
      }
      const wasi = new WASI({ args, env, stdin: body, stdout: 'buffer', stderr: 'console' });
      const imports = Object.assign({}, options.imports, { wasi_snapshot_preview1: wasi.wasiImport });
      const instance = await wa().instantiate(module, imports);
      const code = wasi.start(instance);
      if (code !== 0) throw new Error(`the WASI program exited with code ${code}`);
      return cgiResponse(wasi.stdoutBytes());
    }
  }

  // CGI/1.1 meta-variables (RFC 3875 section 4.1) for `request`; `extra` (the worker's own variables) go first and
  // the request's replace any of the same name.
  function cgiEnvironment(request, bodyLength, extra) {
    const env = {};
    if (extra !== undefined && extra !== null) {
      if (typeof extra !== 'object') throw new TypeError('WASI.serve: env must be an object');
      for (const name of Object.keys(extra)) {
        const v = extra[name];
        if (typeof v === 'string') env[name] = v;
        else if (typeof v === 'number' || typeof v === 'boolean') env[name] = String(v);
      }
    }
    const url = new URLClass(request.url);
    env.GATEWAY_INTERFACE = 'CGI/1.1';
    env.SERVER_PROTOCOL = 'HTTP/1.1';
    env.SERVER_SOFTWARE = 'islet';
    env.REQUEST_METHOD = request.method;
    env.REQUEST_URI = url.pathname + url.search;
    env.SCRIPT_NAME = '';
    env.PATH_INFO = url.pathname;
    env.QUERY_STRING = url.search.length > 0 ? url.search.slice(1) : '';
    env.SERVER_NAME = url.hostname;
    env.SERVER_PORT = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
    env.X_FULL_URL = url.href;
    if (bodyLength > 0) env.CONTENT_LENGTH = String(bodyLength);
    for (const [name, value] of request.headers) {
      if (name === 'content-type') {
        env.CONTENT_TYPE = value;
      } else if (name !== 'content-length') {
        const key = 'HTTP_' + name.toUpperCase().replace(/-/g, '_');
        env[key] = key in env ? env[key] + ', ' + value : value;
      }
    }
    return env;
  }

  const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;
  const MAX_HEAD = 64 * 1024;
  const NULL_BODY_STATUS = [101, 204, 205, 304];

  // A CGI response: header lines, an empty line, the body. `Status: 404 Not Found` sets the status (default 200,
  // or 302 with a Location). Output that does not start with a header block is all body (200, text/plain).
  function cgiResponse(out) {
    const headers = [];
    let status = 200, statusText = '', bodyStart = -1;
    let lineStart = 0;
    for (let i = 0; i < out.length && i < MAX_HEAD; i++) {
      if (out[i] !== 10) continue;
      const end = i > lineStart && out[i - 1] === 13 ? i - 1 : i;
      if (end === lineStart) {
        bodyStart = i + 1;
        break;
      }
      let line = '';
      for (let k = lineStart; k < end; k++) line += String.fromCharCode(out[k]);
      const m = HEADER_LINE.exec(line);
      if (m === null) break;
      headers.push([m[1], m[2]]);
      lineStart = i + 1;
    }
    if (bodyStart < 0) {
      return new Response(out.length > 0 ? out : null, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }
    const list = [];
    let hasLocation = false, hasStatus = false;
    for (const [name, value] of headers) {
      const lower = name.toLowerCase();
      if (lower === 'status') {
        const m = /^(\d{3})(?:\s+(.*))?$/.exec(value);
        if (m === null) throw new TypeError(`the WASI program sent an invalid Status header: ${value}`);
        status = +m[1];
        statusText = m[2] || '';
        hasStatus = true;
      } else {
        if (lower === 'location') hasLocation = true;
        list.push([name, value]);
      }
    }
    if (hasLocation && !hasStatus) status = 302;
    const body = out.subarray(bodyStart);
    const nullBody = NULL_BODY_STATUS.includes(status) || body.length === 0;
    return new Response(nullBody ? null : body, { status, statusText, headers: list });
  }

  internal.defineGlobal(g, 'WASI', WASI);
})
