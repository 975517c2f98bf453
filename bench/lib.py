"""Shared benchmark helpers: start a server, load it with wrk, read its CPU time and RSS from /proc."""
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOOLS = os.path.join(HERE, '.tools', 'node_modules', '.bin')
ISLET = os.environ.get('ISLET_BIN', os.path.join(ROOT, 'build', 'islet'))
CLK_TCK = os.sysconf('SC_CLK_TCK')


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('server on port %d did not come up' % port)


def cpu_seconds(pid):
    """user+sys CPU of the process and all its threads (and children it waited for)."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLK_TCK


def rss_mb(pid):
    with open('/proc/%d/status' % pid) as f:
        m = re.search(r'VmRSS:\s+(\d+) kB', f.read())
    return int(m.group(1)) / 1024


def wrk(port, seconds, connections=32, threads=1, path='/', host=None):
    extra = ['-H', 'Host: ' + host] if host else []
    out = subprocess.run(['wrk', '-t%d' % threads, '-c%d' % connections, '-d%ds' % seconds, '--latency'] + extra +
                         ['http://127.0.0.1:%d%s' % (port, path)], capture_output=True, text=True, check=True).stdout
    def latency(label):
        m = re.search(r'^\s+%s\s+([\d.]+)(us|ms|s)\s*$' % label, out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value * {'us': 0.001, 'ms': 1, 's': 1000}[unit]
    requests = int(re.search(r'(\d+) requests in', out).group(1))
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    return {
        'requests': requests,
        'rps': float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1)),
        'p50': latency('50%'),
        'p99': latency('99%'),
        'errors': int(errors.group(1)) if errors else 0,
    }


class Server:
    host = None  # the Host header to send, where the server routes by it

    def __init__(self, name, argv, port, cwd=None, env=None):
        self.name = name
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=self.log, stderr=self.log, env=env)
        self.port = port
        wait_port(port)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def islet_dev(name, worker, *extra):
    """`islet dev WORKER --threads 1` on a free port; `extra` adds options (e.g. '--cpu-limit-ms', '1000')."""
    port = free_port()
    return Server(name, [ISLET, 'dev', worker, '--port', str(port), '--threads', '1', *extra], port)


WORKERD_CONFIG = '''using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .main)],
  sockets = [(name = "http", address = "127.0.0.1:%d", http = (), service = "main")],
);
const main :Workerd.Worker = (
  modules = [%s],
  compatibilityDate = "2024-01-01",
);
'''


def workerd(name, tmp, modules):
    """`workerd serve` (one worker thread by design) on a free port, with a config written into `tmp`.
    `modules` are (module name, path) pairs, the entry first; '.wasm' files are Wasm modules, the rest ES modules.
    workerd embeds files relative to its config, so each path must be inside `tmp`."""
    port = free_port()
    entries = ['(name = "%s", %s = embed "%s")' % (module, 'wasm' if path.endswith('.wasm') else 'esModule',
                                                    os.path.relpath(path, tmp)) for module, path in modules]
    config = os.path.join(tmp, name + '.capnp')
    with open(config, 'w') as f:
        f.write(WORKERD_CONFIG % (port, ',\n             '.join(entries)))
    return Server(name, [os.path.join(TOOLS, 'workerd'), 'serve', config], port)


class IsletServe:
    """`islet serve --threads 1` with one script deployed through its API, answering at SCRIPT.bench.islet.localhost."""

    def __init__(self, script, worker, name='islet-serve'):
        sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
        os.environ.setdefault('ISLET_BIN', ISLET)
        from serve_process import Serve
        self.name = name
        self.serve = Serve(extra=('--threads', '1'))
        acc = self.serve.create_account('bench')
        with open(worker) as f:
            self.serve.deploy_js(acc, script, f.read())
        self.port = self.serve.public_port
        self.proc = self.serve.proc
        self.host = '%s.bench.islet.localhost' % script

    def stop(self):
        self.serve.stop()
        shutil.rmtree(self.serve.data_dir)


def measure(server, seconds, warmup=2, **wrk_args):
    wrk_args.setdefault('host', server.host)
    wrk(server.port, warmup, **wrk_args)
    cpu0 = cpu_seconds(server.proc.pid)
    r = wrk(server.port, seconds, **wrk_args)
    cpu1 = cpu_seconds(server.proc.pid)
    r['cpu_us_per_req'] = (cpu1 - cpu0) * 1e6 / max(1, r['requests'])
    r['rss_mb'] = rss_mb(server.proc.pid)
    return r


def median(rows, key):
    return statistics.median(r[key] for r in rows)
