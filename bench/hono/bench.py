"""bench/hono: the same Hono app, bundled once with esbuild (the options `islet deploy` uses), on islet (`islet dev`
and `islet serve`, one event-loop thread each) and on workerd, loaded by wrk on loopback, alternating, several
rounds; prints medians. ISLET_BIN picks the islet binary (default build/islet).

Usage: bench/hono/run.sh [--rounds 3] [--seconds 10] [--connections 32] [--path /users/42]
"""
import argparse
import http.client
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import ROOT, TOOLS, HERE, IsletServe, islet_dev, measure, median, workerd  # noqa: E402

APP = os.path.join(HERE, 'hono', 'app.js')
# The same options as src/cli/bundle.cc.
ESBUILD_OPTIONS = ['--bundle', '--format=esm', '--platform=neutral', '--target=es2022',
                   '--conditions=workerd,worker,browser', '--main-fields=browser,module,main',
                   '--define:process.env.NODE_ENV="production"', '--log-level=warning']


def bundle(tmp):
    """Bundles app.js with bench/.tools' hono and esbuild; returns the bundle's path."""
    out = os.path.join(tmp, 'worker.js')
    env = dict(os.environ, NODE_PATH=os.path.join(HERE, '.tools', 'node_modules'))  # where 'hono' resolves
    subprocess.run([os.path.join(TOOLS, 'esbuild'), APP, *ESBUILD_OPTIONS, '--outfile=' + out], env=env, check=True)
    return out


def start(kind, worker, tmp):
    if kind == 'islet-serve':
        return IsletServe('hono', worker)
    if kind == 'islet-dev':
        return islet_dev(kind, worker)
    if kind == 'workerd':
        return workerd(kind, tmp, [('worker.js', worker)])
    raise ValueError(kind)


def check(server, path):
    """The app's answer on `path`, which must be a 200, before it is measured."""
    conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
    try:
        conn.request('GET', path, headers={'Host': server.host} if server.host else {})
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    if r.status != 200:
        raise RuntimeError('%s answered %d on %s: %r' % (server.name, r.status, path, body[:200]))
    return body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--seconds', type=int, default=10)
    ap.add_argument('--connections', type=int, default=32)
    ap.add_argument('--path', default='/users/42', help='the route wrk requests')
    ap.add_argument('--only', default='islet-dev,islet-serve,workerd')
    args = ap.parse_args()
    kinds = args.only.split(',')
    results = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        worker = bundle(tmp)
        print('bundled %s: %d bytes; wrk GET %s' % (os.path.relpath(APP, ROOT), os.path.getsize(worker), args.path))
        for rnd in range(args.rounds):
            for kind in kinds:
                server = start(kind, worker, tmp)
                try:
                    body = check(server, args.path)
                    if rnd == 0:
                        print('%s: %s' % (kind, body.decode(errors='replace')[:100]))
                    r = measure(server, args.seconds, connections=args.connections, path=args.path)
                finally:
                    server.stop()
                results[kind].append(r)
                print('round %d %-11s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  %6.1f us CPU/req  RSS %6.1f MB  non-2xx %d'
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
    if 'workerd' in results:
        print()
        w = results['workerd']
        for mine in ('islet-dev', 'islet-serve'):
            if mine in results:
                i = results[mine]
                print('%s vs workerd: %.2fx req/s, %.2fx less CPU per request' % (
                    mine, median(i, 'rps') / median(w, 'rps'), median(w, 'cpu_us_per_req') / median(i, 'cpu_us_per_req')))

if __name__ == '__main__':
    main()
