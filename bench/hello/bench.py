"""bench/hello: the same hello-world worker on islet (dev), workerd, and Deno's Deno.serve, one server thread
each, loaded by wrk on loopback, alternating, several rounds; prints medians and ratios.

Usage: bench/hello/run.sh [--rounds 3] [--seconds 10] [--connections 32]
"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import ROOT, TOOLS, HERE, Server, free_port, measure, median  # noqa: E402

WORKER = os.path.join(HERE, 'hello', 'worker.js')

WORKERD_CONFIG = '''using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .hello)],
  sockets = [(name = "http", address = "127.0.0.1:%d", http = (), service = "main")],
);
const hello :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "%s")],
  compatibilityDate = "2024-01-01",
);
'''


class IsletServe:
    """`islet serve` with one event-loop thread and the hello worker deployed through its API."""

    def __init__(self):
        sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
        from serve_process import Serve
        self.serve = Serve(extra=('--threads', '1'))
        acc = self.serve.create_account('bench')
        with open(WORKER) as f:
            self.serve.deploy_js(acc, 'hello', f.read())
        self.port = self.serve.public_port
        self.proc = self.serve.proc
        self.host = 'hello.bench.islet.localhost'

    def stop(self):
        self.serve.stop()
        shutil.rmtree(self.serve.data_dir)


def start(kind, tmp):
    if kind == 'islet-serve':
        return IsletServe()
    port = free_port()
    if kind == 'islet-dev':
        return Server(kind, [os.path.join(ROOT, 'build', 'islet'), 'dev', WORKER, '--port', str(port),
                             '--threads', '1'], port)
    if kind == 'workerd':
        config = os.path.join(tmp, 'hello.capnp')
        shutil.copy(WORKER, os.path.join(tmp, 'worker.js'))  # workerd embeds relative to its config
        with open(config, 'w') as f:
            f.write(WORKERD_CONFIG % (port, 'worker.js'))
        return Server(kind, [os.path.join(TOOLS, 'workerd'), 'serve', config], port)
    if kind == 'deno':
        return Server(kind, [os.path.join(TOOLS, 'deno'), 'run', '--allow-net', os.path.join(HERE, 'hello', 'deno.js'),
                             str(port)], port, env=dict(os.environ, DENO_NO_UPDATE_CHECK='1'))
    raise ValueError(kind)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--seconds', type=int, default=10)
    ap.add_argument('--connections', type=int, default=32)
    ap.add_argument('--only', default='islet-dev,islet-serve,workerd,deno')
    args = ap.parse_args()
    kinds = args.only.split(',')
    results = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        for rnd in range(args.rounds):
            for kind in kinds:
                server = start(kind, tmp)
                try:
                    r = measure(server, args.seconds, connections=args.connections)
                finally:
                    server.stop()
                results[kind].append(r)
                print('round %d %-8s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  %6.1f us CPU/req  RSS %6.1f MB  non-2xx %d'
                      % (rnd + 1, kind, r['rps'], r['p50'], r['p99'], r['cpu_us_per_req'], r['rss_mb'], r['errors']),
                      flush=True)
    print()
    print('| server | req/s | p50 ms | p99 ms | CPU µs/req | RSS after MB |')
    print('|---|---|---|---|---|---|')
    for kind in kinds:
        rows = results[kind]
        print('| %s | %.0f | %.2f | %.2f | %.1f | %.1f |' % (kind, median(rows, 'rps'), median(rows, 'p50'),
                                                           median(rows, 'p99'), median(rows, 'cpu_us_per_req'),
                                                           median(rows, 'rss_mb')))
    print()
    for mine in ('islet-dev', 'islet-serve'):
        if mine not in results:
            continue
        i = results[mine]
        if 'workerd' in results:
            w = results['workerd']
            print('%s vs workerd: %.2fx req/s, %.2fx less CPU per request' % (
                mine, median(i, 'rps') / median(w, 'rps'), median(w, 'cpu_us_per_req') / median(i, 'cpu_us_per_req')))
        if 'deno' in results:
            d = results['deno']
            print('%s vs deno:    %.2fx req/s, %.2fx CPU per request' % (
                mine, median(i, 'rps') / median(d, 'rps'), median(i, 'cpu_us_per_req') / median(d, 'cpu_us_per_req')))


if __name__ == '__main__':
    main()
