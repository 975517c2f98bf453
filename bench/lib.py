"""Shared benchmark helpers: start a server, load it with wrk, read its CPU time and RSS from /proc."""
import os
import re
import socket
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOOLS = os.path.join(HERE, '.tools', 'node_modules', '.bin')
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
