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
from lib import TOOLS, HERE, IsletServe, Server, free_port, islet_dev, measure, median, workerd  # noqa: E402

WORKER = os.path.join(HERE, 'hello', 'worker.js')


def start(kind, tmp):
    if kind == 'islet-serve':
        return IsletServe('hello', WORKER)
    if kind == 'islet-dev':
        return islet_dev(kind, WORKER)
    if kind == 'workerd':
        worker = os.path.join(tmp, 'worker.js')  # workerd embeds relative to its config
        shutil.copy(WORKER, worker)
        return workerd(kind, tmp, [('worker', worker)])
    if kind == 'deno':
        port = free_port()
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
