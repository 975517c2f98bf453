"""WebAssembly workers end to end on `islet serve`: each example in examples/wasm-* is built with Debian's toolchain,
uploaded through the management API (multipart, an application/wasm part) and called over HTTP; runtime
compilation is refused; Wasm limits (memory cap, CPU limit, memory accounting) stop a tenant and nobody else."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

from islet_process import ROOT
from serve_process import Serve

EXAMPLES = os.path.join(ROOT, 'examples')


def build_example(name):
    """Runs examples/<name>/build.sh; returns the example's folder."""
    folder = os.path.join(EXAMPLES, name)
    result = subprocess.run(['bash', os.path.join(folder, 'build.sh')], capture_output=True, text=True, timeout=240)
    if result.returncode != 0:
        raise AssertionError('%s/build.sh failed:\n%s%s' % (name, result.stdout, result.stderr))
    return folder


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def wat2wasm(source):
    with tempfile.TemporaryDirectory() as tmp:
        wat, wasm = os.path.join(tmp, 'm.wat'), os.path.join(tmp, 'm.wasm')
        with open(wat, 'w') as f:
            f.write(source)
        subprocess.run(['wat2wasm', wat, '-o', wasm], check=True, capture_output=True)
        return read(wasm)


def require(tool, package):
    if shutil.which(tool) is None and not os.path.exists(tool):
        raise unittest.SkipTest('%s is not installed (Debian package %s; scripts/setup.sh installs it)' % (tool, package))


def host(script, account):
    return '%s.%s.islet.localhost' % (script, account['name'])


class WasmExamples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.serve = Serve()
        cls.acc = cls.serve.create_account('wasm')

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir)

    def deploy_example(self, name, extra_js=(), bindings=()):
        folder = build_example('wasm-' + name)
        modules = [('index.js', 'application/javascript+module', read(os.path.join(folder, 'index.js'))),
                   ('app.wasm', 'application/wasm', read(os.path.join(folder, 'app.wasm')))]
        for js in extra_js:
            modules.append((js, 'application/javascript+module', read(os.path.join(folder, js))))
        status, r = self.serve.upload(self.acc, name, modules, {'main_module': 'index.js', 'bindings': list(bindings)})
        self.assertEqual(status, 200, r)
        return host(name, self.acc)

    def test_c_example(self):
        require('clang', 'clang')
        if not os.path.isdir('/usr/lib/wasm32-wasi'):
            self.skipTest('wasi-libc is not installed (scripts/setup.sh installs it)')
        h = self.deploy_example('c', bindings=[{'type': 'plain_text', 'name': 'GREETING', 'text': 'Howdy'}])
        status, _, headers, body = self.serve.get(h, '/')
        self.assertEqual((status, body), (200, b'Howdy from C on wasm32-wasi! GET /\n'))
        self.assertEqual(headers['content-type'], ['text/plain; charset=utf-8'])
        status, _, _, body = self.serve.get(h, '/fib?n=90')
        self.assertEqual(json.loads(body), {'n': 90, 'fib': 2880067194370816120})
        self.assertEqual(self.serve.get(h, '/upper', method='POST', body=b'shout this')[3], b'SHOUT THIS')
        self.assertEqual(self.serve.get(h, '/fib?n=100')[0], 400)
        self.assertEqual(self.serve.get(h, '/missing')[0], 404)
        # A non-zero exit is a 500, and what the program wrote to stderr reaches the log tagged with the script.
        self.assertEqual(self.serve.get(h, '/exit')[0], 500)
        self.assertIn('[c] exiting with code 3 as asked', self.serve.log())
        self.assertIn('the WASI program exited with code 3', self.serve.log())

    def test_rust_example(self):
        require('/usr/bin/rustc', 'rustc')
        if not os.path.isdir('/usr/lib/rustlib/wasm32-wasi'):
            self.skipTest('the wasm32-wasi standard library is not installed (libstd-rust-dev-wasm32)')
        h = self.deploy_example('rust')
        self.assertEqual(self.serve.get(h, '/')[3], b'Hello from Rust on wasm32-wasi! GET /\n')
        self.assertEqual(json.loads(self.serve.get(h, '/primes?n=1000000')[3]),
                         {'below': 1000000, 'count': 78498, 'last': 999983})
        self.assertEqual(self.serve.get(h, '/words', method='POST', body=b'The cat and the hat')[3],
                         b'and 1\ncat 1\nhat 1\nthe 2\n')
        names = self.serve.get(h, '/env', headers={'X-Trace': '1'})[3].decode().split()
        for name in ('REQUEST_METHOD', 'PATH_INFO', 'QUERY_STRING', 'HTTP_HOST', 'HTTP_X_TRACE', 'X_FULL_URL'):
            self.assertIn(name, names)
        self.assertEqual(self.serve.get(h, '/nowhere')[0], 404)

    def test_go_example(self):
        require('go', 'golang-go')
        h = self.deploy_example('go', extra_js=['wasm_exec.js'])
        self.assertEqual(self.serve.get(h, '/')[3], b'Hello from Go on js/wasm! GET /\n')
        self.assertEqual(self.serve.get(h, '/reverse', method='POST', body='héllo'.encode())[3], 'olléh'.encode())
        self.assertEqual(self.serve.get(h, '/query?b=2&a=1&a=3')[3], b'a=1,3\nb=2\n')
        self.assertEqual(self.serve.get(h, '/nope')[0], 404)
        self.assertIn('[go] Go program ready', self.serve.log())

    def test_wat_example(self):
        require('wat2wasm', 'wabt')
        h = self.deploy_example('wat')
        self.assertEqual(self.serve.get(h, '/rot13?text=Hello,%20World')[3], b'Uryyb, Jbeyq')
        self.assertEqual(json.loads(self.serve.get(h, '/adler32', method='POST', body=b'Wikipedia')[3]),
                         {'length': 9, 'adler32': '11e60398'})
        # A body larger than the memory's first page makes the shim grow it.
        big = b'x' * 200000
        self.assertEqual(json.loads(self.serve.get(h, '/adler32', method='POST', body=big)[3])['length'], 200000)


PROBE_JS = '''import probe from './probe.wasm';
export default {
  async fetch(request) {
    const before = Date.now();
    const wasi = new WASI({ args: ['probe', 'two words'], env: { PROBE_A: '1', PROBE_B: 'b=c', OTHER: 'x' },
                            stdin: 'hello stdin', stdout: 'buffer', stderr: 'buffer' });
    const instance = await WebAssembly.instantiate(probe, wasi.getImportObject());
    const code = wasi.start(instance);
    return Response.json({ code, stdout: wasi.stdoutText(), stderr: wasi.stderrText(), now: before });
  },
};'''

GROW_WAT = '''(module
  (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "pages") (result i32) (memory.size)))'''

SPIN_WAT = '''(module (func (export "spin") (loop (br 0))))'''

# Answers "grow N" with what memory.grow returned inside the guest, then the page count.
GROW_JS = '''import mod from './grow.wasm';
export default {
  async fetch(request) {
    const n = +new URL(request.url).searchParams.get('pages');
    const { exports } = await WebAssembly.instantiate(mod, {});
    const got = exports.grow(n);
    return new Response(`${got} ${exports.pages()}`);
  },
};'''

SPIN_JS = '''import mod from './spin.wasm';
const instance = new WebAssembly.Instance(mod, {});
export default { fetch() { instance.exports.spin(); return new Response('unreachable'); } };'''

# Many memories in one isolate, each under the per-memory cap: together they meet the isolate's limit.
HOARD_JS = '''const keep = [];
export default {
  fetch() {
    for (let i = 0; i < 10; i++) keep.push(new WebAssembly.Memory({ initial: 160 }));
    return new Response('kept ' + keep.length);
  },
};'''

RUNTIME_COMPILE_JS = '''const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
export default {
  async fetch() {
    const out = [];
    const attempt = async (name, f) => {
      try { await f(); out.push(name + ': allowed'); } catch (e) { out.push(name + ': ' + e.name + ': ' + e.message); }
    };
    await attempt('Module', () => new WebAssembly.Module(bytes));
    await attempt('compile', () => WebAssembly.compile(bytes));
    await attempt('instantiate', () => WebAssembly.instantiate(bytes));
    await attempt('compileStreaming', () => WebAssembly.compileStreaming(new Response(bytes, { headers: { 'content-type': 'application/wasm' } })));
    await attempt('instantiateStreaming', () => WebAssembly.instantiateStreaming(new Response(bytes, { headers: { 'content-type': 'application/wasm' } })));
    out.push('validate: ' + WebAssembly.validate(bytes));
    return new Response(out.join('\\n'));
  },
};'''


class Wasi(unittest.TestCase):
    def test_wasi_preview1_calls_from_c(self):
        require('clang', 'clang')
        if not os.path.isdir('/usr/lib/wasm32-wasi'):
            self.skipTest('wasi-libc is not installed (scripts/setup.sh installs it)')
        with tempfile.TemporaryDirectory() as tmp:
            wasm = os.path.join(tmp, 'probe.wasm')
            clang = shutil.which('clang') or shutil.which('clang-14')
            subprocess.run([clang, '--target=wasm32-wasi', '-O2', '-Wl,--strip-all', '-o', wasm,
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), 'wasm', 'wasi_probe.c')],
                           check=True, capture_output=True)
            probe = read(wasm)
        with Serve() as serve:
            acc = serve.create_account('wasi')
            status, r = serve.upload(acc, 'probe', [('index.js', 'application/javascript+module', PROBE_JS.encode()),
                                                    ('probe.wasm', 'application/wasm', probe)], {'main_module': 'index.js'})
            self.assertEqual(status, 200, r)
            status, _, _, body = serve.get(host('probe', acc))
            self.assertEqual(status, 200, body)
        result = json.loads(body)
        self.assertEqual(result['code'], 7)  # exit(7): proc_exit, caught by start()
        self.assertEqual(result['stderr'], 'probe wrote to stderr\n')
        lines = result['stdout'].splitlines()
        facts = dict(line.split(' ', 1) for line in lines if not line.startswith(('arg ', 'env ')))
        self.assertEqual(facts['argc'], '2')
        self.assertEqual([l for l in lines if l.startswith('arg ')], ['arg probe', 'arg two words'])
        self.assertEqual(sorted(l for l in lines if l.startswith('env ')), ['env PROBE_A=1', 'env PROBE_B=b=c'])
        self.assertEqual(facts['stdin'], '11 hello stdin')
        # The frozen clock: whole milliseconds, the same instant JS saw, and it does not move during the request.
        self.assertEqual(int(facts['realtime_ms']), result['now'])
        self.assertEqual(facts['realtime_sub_ms_ns'], '0')
        self.assertEqual(facts['resolution_ns'], '1000000')
        self.assertEqual(facts['nanosleep'], '0 monotonic_moved 0')
        self.assertEqual(facts['getentropy'], '0 zeros_below_1000 1')
        self.assertEqual(facts['open'], '-1 errno_set 1')  # no preopened directories: no file system
        self.assertEqual(facts['lseek'], '-1 espipe 1')
        self.assertEqual(facts['isatty'], '1')


class WasmLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require('wat2wasm', 'wabt')
        cls.serve = Serve(extra=('--heap-limit-mb', '64'))
        cls.good = cls.serve.create_account('good')
        cls.evil = cls.serve.create_account('evil')
        cls.serve.deploy_js(cls.good, 'app', 'export default { fetch() { return new Response("fine") } }')

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir)

    def upload(self, name, modules, meta=None):
        status, r = self.serve.upload(self.evil, name, modules, meta or {'main_module': 'index.js'})
        self.assertEqual(status, 200, r)
        return host(name, self.evil)

    def test_runtime_compilation_is_refused(self):
        h = self.upload('compiler', [('index.js', 'application/javascript+module', RUNTIME_COMPILE_JS.encode())])
        status, _, _, body = self.serve.get(h)
        self.assertEqual(status, 200, body)
        lines = body.decode().split('\n')
        for line in lines[:5]:
            self.assertIn('CompileError', line)
            self.assertIn('Wasm code generation disallowed by embedder', line)
        self.assertEqual(lines[5], 'validate: true')

    def test_memory_grow_past_the_cap_fails_inside_the_guest(self):
        # --heap-limit-mb 64 caps one Wasm memory at 1024 pages of 64 KiB (and all of an isolate's memories
        # together at 64 MB, checked before a response leaves).
        h = self.upload('grower', [('index.js', 'application/javascript+module', GROW_JS.encode()),
                                   ('grow.wasm', 'application/wasm', wat2wasm(GROW_WAT))])
        self.assertEqual(self.serve.get(h, '/?pages=10')[3], b'1 11')
        self.assertEqual(self.serve.get(h, '/?pages=500')[3], b'1 501')
        self.assertEqual(self.serve.get(h, '/?pages=1024')[3], b'-1 1')
        self.assertEqual(self.serve.get(h, '/?pages=65535')[3], b'-1 1')
        self.assertEqual(self.serve.get('app.good.islet.localhost')[3], b'fine')

    def test_many_memories_count_toward_the_isolate_limit(self):
        # 10 memories of 10 MB each, every one under the per-memory cap: together past the isolate's 64 MB.
        h = self.upload('hoarder', [('index.js', 'application/javascript+module', HOARD_JS.encode())])
        status, _, _, body = self.serve.get(h)
        self.assertEqual(status, 503, body)
        self.assertIn(b'memory limit', body)
        self.assertIn('ArrayBuffers and Wasm memory', self.serve.log())
        # The isolate was discarded: the next request starts a fresh one, and stops it again.
        self.assertEqual(self.serve.get(h)[0], 503)
        self.assertEqual(self.serve.get('app.good.islet.localhost')[3], b'fine')

    def test_memories_nothing_references_do_not_count(self):
        # 20 MB per request, dropped at once: garbage until a GC, which runs before any isolate is condemned.
        source = (b'export default { fetch() { const m = new WebAssembly.Memory({ initial: 320 });'
                  b' new Uint8Array(m.buffer)[0] = 1; return new Response("ok"); } };')
        h = self.upload('churn', [('index.js', 'application/javascript+module', source)])
        statuses = [self.serve.get(h)[0] for _ in range(20)]
        self.assertEqual(set(statuses), {200})

    def test_wasm_infinite_loop_hits_the_cpu_limit_while_a_neighbour_answers(self):
        h = self.upload('spinner', [('index.js', 'application/javascript+module', SPIN_JS.encode()),
                                    ('spin.wasm', 'application/wasm', wat2wasm(SPIN_WAT))])
        stop = threading.Event()
        statuses = []

        def neighbour():
            while not stop.is_set():
                statuses.append(self.serve.get('app.good.islet.localhost')[0])
        t = threading.Thread(target=neighbour)
        t.start()
        try:
            for _ in range(6):
                status, _, _, body = self.serve.get(h)
                self.assertEqual(status, 503, body)
                self.assertIn(b'CPU time limit', body)
        finally:
            stop.set()
            t.join()
        self.assertGreater(len(statuses), 3)
        self.assertEqual(set(statuses), {200})

    def test_invalid_wasm_is_refused_at_upload(self):
        status, r = self.serve.upload(self.evil, 'broken', [
            ('index.js', 'application/javascript+module', b'import m from "./bad.wasm"; export default { fetch() { return new Response("x") } }'),
            ('bad.wasm', 'application/wasm', b'\0asm\1\0\0\0garbage')], {'main_module': 'index.js'})
        self.assertEqual(status, 400, r)
        self.assertIn('CompileError', json.dumps(r))

    def test_service_worker_wasm_module_binding(self):
        source = b'''addEventListener('fetch', (event) => {
          const instance = new WebAssembly.Instance(MOD, {});
          event.respondWith(new Response(`${MOD instanceof WebAssembly.Module} ${instance.exports.grow(2)}`));
        });'''
        status, r = self.serve.upload(self.evil, 'classic', [
            ('worker.js', 'application/javascript', source), ('grow.wasm', 'application/wasm', wat2wasm(GROW_WAT))],
            {'body_part': 'worker.js', 'bindings': [{'type': 'wasm_module', 'name': 'MOD', 'part': 'grow.wasm'}]})
        self.assertEqual(status, 200, r)
        self.assertEqual(self.serve.get(host('classic', self.evil))[3], b'true 1')
        # The part a binding names must be an application/wasm part of the same upload.
        status, r = self.serve.upload(self.evil, 'classic2', [('worker.js', 'application/javascript', source)],
                                      {'body_part': 'worker.js', 'bindings': [{'type': 'wasm_module', 'name': 'MOD', 'part': 'nope.wasm'}]})
        self.assertEqual(status, 400, r)
        self.assertIn('nope.wasm', json.dumps(r))


if __name__ == '__main__':
    unittest.main()
