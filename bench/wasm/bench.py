"""bench/wasm: a compute-heavy request — SHA-256 of 1 MB — as plain JS and as Rust compiled to Wasm, on islet
(`islet dev --threads 1`) and on workerd (one thread by design), loaded by wrk on loopback, alternating, several
rounds; prints medians: requests/s and CPU ms per request (user+sys of the server process / requests).

Usage: bench/wasm/run.sh [--rounds 3] [--seconds 10] [--connections 4]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import ROOT, TOOLS, Server, free_port, measure, median  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = '06b7bbfb7824aa03382051691630eb26de85102d1b08a81e907ec0744cd8a286'  # hashlib.sha256 of the input
ISLET = os.environ.get('ISLET_BIN', os.path.join(ROOT, 'build', 'islet'))

WORKERD_CONFIG = '''using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .bench)],
  sockets = [(name = "http", address = "127.0.0.1:%d", http = (), service = "main")],
);
const bench :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "%s"),
             (name = "sha256_js.js", esModule = embed "sha256_js.js"),
             (name = "input.js", esModule = embed "input.js"),
             (name = "sha256.wasm", wasm = embed "sha256.wasm")],
  compatibilityDate = "2024-01-01",
);
'''


def build_wasm():
    rustc = '/usr/bin/rustc' if os.path.exists('/usr/bin/rustc') else 'rustc'
    subprocess.run([rustc, '--edition', '2021', '--target', 'wasm32-unknown-unknown', '--crate-type', 'cdylib',
                    '-C', 'opt-level=3', '-C', 'strip=symbols', '-o', os.path.join(HERE, 'sha256.wasm'),
                    os.path.join(HERE, 'sha256.rs')], check=True)


def start(kind, tmp):
    runtime, lang = kind.split('-')
    worker = 'js_worker.js' if lang == 'js' else 'wasm_worker.js'
    port = free_port()
    if runtime == 'islet':
        # A worker file: islet loads every module file of its folder (the other .js files and sha256.wasm).
        # The CPU limit is raised so that a slow round cannot be cut off.
        return Server(kind, [ISLET, 'dev', os.path.join(HERE, worker), '--port', str(port), '--threads', '1',
                             '--cpu-limit-ms', '1000'], port)
    # workerd embeds files relative to its config: the config and the modules go side by side.
    for name in ('js_worker.js', 'wasm_worker.js', 'sha256_js.js', 'input.js', 'sha256.wasm'):
        shutil.copy(os.path.join(HERE, name), os.path.join(tmp, name))
    config = os.path.join(tmp, 'bench.capnp')
    with open(config, 'w') as f:
        f.write(WORKERD_CONFIG % (port, worker))
    return Server(kind, [os.path.join(TOOLS, 'workerd'), 'serve', config], port)


def check(server):
    body = urllib.request.urlopen('http://127.0.0.1:%d/' % server.port, timeout=30).read().decode().strip()
    if body != EXPECTED:
        raise RuntimeError('%s answered %r, expected the SHA-256 %s' % (server.name, body, EXPECTED))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--seconds', type=int, default=10)
    ap.add_argument('--connections', type=int, default=4)
    ap.add_argument('--only', default='islet-js,islet-wasm,workerd-wasm,workerd-js')
    args = ap.parse_args()
    build_wasm()
    kinds = args.only.split(',')
    results = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        for rnd in range(args.rounds):
            for kind in kinds:
                server = start(kind, tmp)
                try:
                    check(server)
                    r = measure(server, args.seconds, connections=args.connections)
                finally:
                    server.stop()
                results[kind].append(r)
                print('round %d %-13s %7.1f req/s  p50 %7.2f ms  p99 %7.2f ms  %6.2f ms CPU/req  RSS %6.1f MB  non-2xx %d'
                      % (rnd + 1, kind, r['rps'], r['p50'], r['p99'], r['cpu_us_per_req'] / 1000, r['rss_mb'],
                         r['errors']), flush=True)
    print()
    print('| server | req/s | p50 ms | p99 ms | CPU ms/req | RSS after MB |')
    print('|---|---|---|---|---|---|')
    for kind in kinds:
        rows = results[kind]
        print('| %s | %.1f | %.2f | %.2f | %.2f | %.1f |' % (kind, median(rows, 'rps'), median(rows, 'p50'),
                                                           median(rows, 'p99'), median(rows, 'cpu_us_per_req') / 1000,
                                                           median(rows, 'rss_mb')))
    def ratio(a, b):
        if a in results and b in results:
            print('%s vs %s: %.2fx req/s, %.2fx less CPU per request' % (
                a, b, median(results[a], 'rps') / median(results[b], 'rps'),
                median(results[b], 'cpu_us_per_req') / median(results[a], 'cpu_us_per_req')))
    print()
    ratio('islet-wasm', 'islet-js')
    ratio('islet-wasm', 'workerd-wasm')
    ratio('islet-js', 'workerd-js')


if __name__ == '__main__':
    main()
