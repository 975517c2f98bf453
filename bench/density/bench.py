"""bench/density: many tenants in one process — cold starts, memory per loaded worker, round-robin throughput,
a noisy neighbour, CPU-limit precision and metering overhead; workerd measured beside islet where it applies.

Usage: bench/density/run.sh [--scripts 1000] [--more 5000] [--seconds 10]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), 'tests', 'integration'))
from lib import TOOLS, free_port, rss_mb, cpu_seconds, wait_port  # noqa: E402
from serve_process import Serve  # noqa: E402

PADDING = '// ' + 'x' * 100 + '\n'


# islet serve for the many-tenant parts: one event loop, a budget and idle timeout that evict nothing.
MANY_TENANTS = ('--threads', '1', '--memory-budget', '16000', '--idle-timeout', '3600')


def serving(*extra):
    """islet serve with these flags, for `with`: stopped and its data removed afterwards."""
    return Serve(extra=extra)


def script_source(i):
    # A ~10 KB hello-world module.
    return ('export default { fetch(request) { return new Response("hello from script %d\\n"); } };\n' % i) + PADDING * 98


def timed_get(port, host, allowed=(200,), path='/'):
    s = socket.create_connection(('127.0.0.1', port))
    start = time.perf_counter()
    s.sendall(('GET %s HTTP/1.1\r\nHost: %s\r\n\r\n' % (path, host)).encode())
    data = b''
    while b'\r\n\r\n' not in data:
        data += s.recv(4096)
    head, rest = data.split(b'\r\n\r\n', 1)
    length = int([l for l in head.split(b'\r\n') if l.lower().startswith(b'content-length')][0].split(b':')[1])
    while len(rest) < length:
        rest += s.recv(4096)
    elapsed = (time.perf_counter() - start) * 1000
    s.close()
    status = int(head.split(b' ', 2)[1])
    assert status in allowed, head[:100]
    return elapsed if allowed == (200,) else (elapsed, status)


def workers_loaded(serve):
    # islet's own count: at the mapping cap, idle workers are evicted as others load.
    return int(serve.metric('islet_workers_loaded'))


def mappings(pid):
    with open('/proc/%d/maps' % pid) as f:
        return len(f.readlines())


def page_tables_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        return int([l for l in f if l.startswith('VmPTE:')][0].split()[1])


def rss_kb_by_kind(pid):
    """The process's resident memory in three parts, from /proc/PID/smaps: V8's heap pages (islet's page
    allocator region: the anonymous mappings that end in the reservation of 64 GB or more), V8's code pages (the
    anonymous executable mappings of the isolates' code ranges), and the rest of the anonymous memory (malloc's
    arenas and [heap]: V8's per-isolate tables and islet's own objects)."""
    maps = []
    for line in open('/proc/%d/smaps' % pid):
        parts = line.split()
        if len(parts) >= 5 and '-' in parts[0] and ':' not in parts[0]:
            lo, hi = (int(x, 16) for x in parts[0].split('-'))
            maps.append([lo, hi, parts[1], parts[5] if len(parts) > 5 else '', 0])
        elif parts[0] == 'Rss:':
            maps[-1][4] = int(parts[1])
    region = None
    for i, m in enumerate(maps):
        if m[1] - m[0] >= 64 << 30 and not m[3]:
            j = i
            while j > 0 and maps[j - 1][1] == maps[j][0] and not maps[j - 1][3]:
                j -= 1
            region = (maps[j][0], m[1])
    kinds = {'heap_pages': 0, 'code_pages': 0, 'malloc_and_other': 0}
    for lo, hi, perms, name, rss in maps:
        if region and region[0] <= lo < region[1]:
            kinds['heap_pages'] += rss
        elif name and name != '[heap]':
            continue  # files: the binary, libraries, ICU data
        elif 'x' in perms:
            kinds['code_pages'] += rss
        else:
            kinds['malloc_and_other'] += rss
    return kinds


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def wrk(port, seconds, lua=None, host=None, connections=32):
    cmd = ['wrk', '-t1', '-c%d' % connections, '-d%ds' % seconds, '--latency']
    if lua:
        cmd += ['-s', lua]
    if host:
        cmd += ['-H', 'Host: ' + host]
    out = subprocess.run(cmd + ['http://127.0.0.1:%d/' % port], capture_output=True, text=True, check=True).stdout
    import re
    def lat(label):
        m = re.search(r'^\s+%s\s+([\d.]+)(us|ms|s)\s*$' % label, out, re.M)
        return float(m.group(1)) * {'us': 0.001, 'ms': 1, 's': 1000}[m.group(2)]
    return {'rps': float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1)), 'p50': lat('50%'), 'p99': lat('99%'),
            'requests': int(re.search(r'(\d+) requests in', out).group(1))}


def round_robin_lua(n, account):
    """A wrk script that cycles the Host header over s0..s<n-1> of `account`."""
    lua = os.path.join(tempfile.mkdtemp(), 'rr.lua')
    with open(lua, 'w') as f:
        # The requests are formatted once, in init(): formatting one per request in wrk's Lua thread capped wrk
        # itself near 9,000 req/s on this machine, so the figure measured wrk rather than islet.
        f.write('reqs = {}\nc = 0\ninit = function(args)\n  for i = 0, %d do\n    reqs[i] = wrk.format("GET", "/", '
                '{Host = "s" .. i .. ".%s.islet.localhost"})\n  end\nend\nrequest = function()\n'
                '  c = (c + 1) %% %d\n  return reqs[c]\nend\n' % (n - 1, account, n))
    return lua


# A router in front of the tenants, for comparing islet and workerd the same way (workerd has no routing by Host
# across thousands of workers on one socket): GET /s<i> calls tenant s<i> through a service binding.
ROUTER_SOURCE = ('export default { fetch(request, env) {\n'
                 '  const path = new URL(request.url).pathname;\n'
                 '  const target = env[path.slice(1)];\n'
                 '  return target ? target.fetch(request) : new Response("no such tenant", { status: 404 });\n'
                 '} };\n')


def path_round_robin_lua(n, host):
    """A wrk script that cycles the path over /s0../s<n-1>, every request to `host`."""
    lua = os.path.join(tempfile.mkdtemp(), 'rr.lua')
    with open(lua, 'w') as f:
        f.write('reqs = {}\nc = 0\ninit = function(args)\n  for i = 0, %d do\n    reqs[i] = wrk.format("GET", "/s" .. i, '
                '{Host = "%s"})\n  end\nend\nrequest = function()\n  c = (c + 1) %% %d\n  return reqs[c]\nend\n'
                % (n - 1, host, n))
    return lua


def routed_round_robin(port, pid, n, host, seconds, prefix, results):
    """One tenant (/s0) and then all n in turn, through the router: server CPU per request and req/s."""
    c0 = cpu_seconds(pid)
    one = wrk(port, seconds, lua=path_round_robin_lua(1, host))
    c1 = cpu_seconds(pid)
    rr = wrk(port, seconds, lua=path_round_robin_lua(n, host))
    c2 = cpu_seconds(pid)
    results[prefix + 'routed_one_tenant_cpu_us_per_req_of_%d' % n] = (c1 - c0) * 1e6 / one['requests']
    results[prefix + 'routed_round_robin_cpu_us_per_req_at_%d' % n] = (c2 - c1) * 1e6 / rr['requests']
    results[prefix + 'routed_one_tenant_rps_of_%d' % n] = one['rps']
    results[prefix + 'routed_round_robin_rps_at_%d' % n] = rr['rps']
    results[prefix + 'routed_round_robin_ratio_at_%d' % n] = rr['rps'] / one['rps']


def islet_routed(args, results):
    # The same router and tenants as workerd_density's, on islet: every request goes to the router's host. islet
    # allows a script 128 bindings, so the router reaches --routed tenants (100 by default).
    n = args.routed
    with serving(*MANY_TENANTS, *args.serve_flag) as serve:
        acc = serve.create_account('bench')
        deploy_many(serve, acc, 0, n)
        serve.deploy_js(acc, 'router', ROUTER_SOURCE,
                        [{'type': 'service', 'name': 's%d' % i, 'service': 's%d' % i} for i in range(n)])
        host = 'router.bench.islet.localhost'
        for i in range(n):
            timed_get(serve.public_port, host, path='/s%d' % i)
        routed_round_robin(serve.public_port, serve.proc.pid, n, host, args.seconds, 'islet_', results)


def deploy_many(serve, acc, first, last):
    for i in range(first, last):
        if i and i % 5000 == 0:
            print('deployed %d' % i, flush=True)
        status, r = serve.upload(acc, 's%d' % i, [('index.js', 'application/javascript+module', script_source(i).encode())],
                                 {'main_module': 'index.js'})
        assert status == 200, r


def islet_density(args, results):
    with serving(*MANY_TENANTS, *args.serve_flag) as serve:
        acc = serve.create_account('bench')
        t0 = time.time()
        deploy_many(serve, acc, 0, args.scripts)
        results['deploy_seconds_per_script_ms'] = (time.time() - t0) * 1000 / args.scripts
        pid = serve.proc.pid
        rss0 = rss_mb(pid)
        kinds0 = rss_kb_by_kind(pid)
        maps0, pte0 = mappings(pid), page_tables_kb(pid)
        counted0 = serve.metric('islet_workers_memory_bytes')
        # Cold start: the first request to each never-loaded script, client-measured.
        c0 = cpu_seconds(pid)
        cold = [timed_get(serve.public_port, 's%d.bench.islet.localhost' % i) for i in range(args.scripts)]
        # The server's CPU per cold start (the isolate, wherever it was made, the compile, the first request).
        results['cold_cpu_us_per_start'] = (cpu_seconds(pid) - c0) * 1e6 / args.scripts
        results['cold_p50_ms'] = pct(cold, 50)
        results['cold_p99_ms'] = pct(cold, 99)
        warm = [timed_get(serve.public_port, 's%d.bench.islet.localhost' % i) for i in range(min(200, args.scripts))]
        results['warm_p50_ms'] = pct(warm, 50)
        time.sleep(1)
        rss1 = rss_mb(pid)
        results['rss_per_worker_mb_at_%d' % args.scripts] = (rss1 - rss0) / args.scripts
        # Of it: V8's heap pages, V8's code pages, malloc (V8's per-isolate tables, islet's objects).
        for kind, kb in rss_kb_by_kind(pid).items():
            results['rss_per_worker_kb_%s' % kind] = (kb - kinds0[kind]) / args.scripts
        # The kernel caps a process's mappings (vm.max_map_count, 65,530 by default).
        results['mappings_per_worker_at_%d' % args.scripts] = (mappings(pid) - maps0) / args.scripts
        # The kernel's page tables for the process: memory it holds for the workers that RSS does not show.
        results['page_tables_kb_per_worker_at_%d' % args.scripts] = (page_tables_kb(pid) - pte0) / args.scripts
        # What the memory budget counts for each of them (islet_workers_memory_bytes), against that RSS.
        results['budget_counts_mb_per_worker_at_%d' % args.scripts] = (
            (serve.metric('islet_workers_memory_bytes') - counted0) / 2**20 / args.scripts)
        # What the process costs while all of them sit idle.
        c0 = cpu_seconds(pid)
        time.sleep(5)
        results['idle_cpu_ms_per_s_at_%d' % args.scripts] = (cpu_seconds(pid) - c0) * 1000 / 5
        # Round robin across every tenant versus one tenant.
        lua = round_robin_lua(args.scripts, 'bench')
        c0 = cpu_seconds(pid)
        one = wrk(serve.public_port, args.seconds, host='s0.bench.islet.localhost')
        c1 = cpu_seconds(pid)
        rr = wrk(serve.public_port, args.seconds, lua=lua)
        c2 = cpu_seconds(pid)
        # Server CPU per request: steadier than req/s on a shared machine.
        results['one_tenant_cpu_us_per_req'] = (c1 - c0) * 1e6 / one['requests']
        results['round_robin_cpu_us_per_req'] = (c2 - c1) * 1e6 / rr['requests']
        results['one_tenant_rps'] = one['rps']
        results['round_robin_rps'] = rr['rps']
        results['round_robin_ratio'] = rr['rps'] / one['rps']
        # 5,000 loaded workers hold ~7.5 GB: skipped, and said, on a machine that has not got it to spare.
        with open('/proc/meminfo') as f:
            available_mb = int([l for l in f if l.startswith('MemAvailable:')][0].split()[1]) >> 10
        if args.more > args.scripts and available_mb < args.more * 2:
            print('density: %d loaded workers need ~%d MB, %d MB available: that part is skipped'
                  % (args.more, args.more * 3 // 2, available_mb))
        elif args.more > args.scripts:
            deploy_many(serve, acc, args.scripts, args.more)
            rss2a = rss_mb(pid)
            # At the kernel's mapping cap (vm.max_map_count) islet answers 503 instead of loading more.
            refused = 0
            for i in range(args.scripts, args.more):
                _, status = timed_get(serve.public_port, 's%d.bench.islet.localhost' % i, allowed=(200, 503))
                refused += status == 503
            time.sleep(1)
            rss2 = rss_mb(pid)
            loaded = workers_loaded(serve)
            results['workers_refused_of_%d' % args.more] = refused
            results['workers_loaded_after_%d' % args.more] = loaded
            results['rss_per_worker_mb_at_%d_loaded' % loaded] = (rss2 - rss0 - (rss2a - rss1)) / loaded
            results['rss_total_mb_at_%d_loaded' % loaded] = rss2


def shared_connections(port, noisy_host, quiet_host, connections, seconds):
    """Each of `connections` keep-alive connections sends a request for noisy_host, then one for quiet_host, and
    again, for `seconds`; the quiet requests' latencies (ms)."""
    import threading
    from islet_process import build_request, read_response
    latencies = []
    deadline = time.time() + seconds

    def client():
        s = socket.create_connection(('127.0.0.1', port), timeout=30)
        while time.time() < deadline:
            s.sendall(build_request('GET', '/', {'Host': noisy_host}))
            read_response(s)
            start = time.perf_counter()
            s.sendall(build_request('GET', '/', {'Host': quiet_host}))
            assert read_response(s)[0] == 200
            latencies.append((time.perf_counter() - start) * 1000)
        s.close()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def noisy_neighbour(args, results):
    with serving('--threads', '2', *args.serve_flag) as serve:
        quiet = serve.create_account('quiet')
        noisy = serve.create_account('noisy')
        serve.deploy_js(quiet, 'app', 'export default { fetch() { return new Response("ok") } }')
        serve.deploy_js(noisy, 'burn', 'export default { fetch() { for (;;) {} } }')
        base = wrk(serve.public_port, args.seconds, host='app.quiet.islet.localhost', connections=8)
        proc = subprocess.Popen(['wrk', '-t1', '-c2', '-d%ds' % (args.seconds + 2), 'http://127.0.0.1:%d/' % serve.public_port,
                                 '-H', 'Host: burn.noisy.islet.localhost'], stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        loaded = wrk(serve.public_port, args.seconds, host='app.quiet.islet.localhost', connections=8)
        # Keep-alive connections that carry both tenants' requests in turn: the quiet request's latency.
        shared = shared_connections(serve.public_port, 'burn.noisy.islet.localhost', 'app.quiet.islet.localhost',
                                    connections=4, seconds=max(1, args.seconds - 2))
        proc.wait()
        results['quiet_p99_alone_ms'] = base['p99']
        results['quiet_p99_with_noisy_ms'] = loaded['p99']
        results['quiet_p99_rise_ms'] = loaded['p99'] - base['p99']
        results['quiet_on_shared_connections_p50_ms'] = pct(shared, 50)
        results['quiet_on_shared_connections_p99_ms'] = pct(shared, 99)
        results['quiet_on_shared_connections_requests'] = len(shared)
        # CPU-limit precision: what a killed request is billed, against the 50 ms limit.
        time.sleep(2)
        status, r = serve.api('GET', '/accounts/%s/workers/usage' % noisy['id'], token=noisy['token'])
        s = r['result']['scripts'][0]
        results['killed_requests'] = s['requests']
        results['billed_cpu_ms_per_killed_request'] = s['cpu_ms'] / max(1, s['requests'])


def hot_tenant(args, results):
    # One hello world on two threads: does one hot script use both, and what does placement cost per request?
    with serving('--threads', '2', *args.serve_flag) as serve:
        acc = serve.create_account('hot')
        serve.deploy_js(acc, 'hello', 'export default { fetch() { return new Response("Hello World\\n") } }')
        wrk(serve.public_port, 2, host='hello.hot.islet.localhost')  # warm-up: the script spreads within a second
        pid = serve.proc.pid
        c0 = cpu_seconds(pid)
        r = wrk(serve.public_port, args.seconds, host='hello.hot.islet.localhost')
        c1 = cpu_seconds(pid)
        results['hot_tenant_2_threads_rps'] = r['rps']
        results['hot_tenant_2_threads_cpu_us_per_req'] = (c1 - c0) * 1e6 / r['requests']


def metering_overhead(args, results):
    rows = {}
    for mode in ['on', 'off', 'on', 'off']:
        with serving('--threads', '1', '--metering', mode) as serve:
            acc = serve.create_account('m')
            serve.deploy_js(acc, 'hello', 'export default { fetch() { return new Response("Hello World\\n") } }')
            wrk(serve.public_port, 2, host='hello.m.islet.localhost')
            c0 = cpu_seconds(serve.proc.pid)
            r = wrk(serve.public_port, args.seconds, host='hello.m.islet.localhost')
            c1 = cpu_seconds(serve.proc.pid)
            rows.setdefault(mode, []).append((c1 - c0) * 1e6 / r['requests'])
    results['cpu_us_per_req_metering_on'] = statistics.median(rows['on'])
    results['cpu_us_per_req_metering_off'] = statistics.median(rows['off'])
    results['metering_overhead_pct'] = (results['cpu_us_per_req_metering_on'] / results['cpu_us_per_req_metering_off'] - 1) * 100


def preempted(args, results):
    # Billing under preemption: islet's threads and a CPU burner share one core, a hello world runs with a 2 ms CPU
    # limit, and the client runs on the other core. A request is charged its CPU, not the time it waited for the
    # core: any 503 (a hello world killed at its CPU limit) is an over-charge. Also reported: what the usage API
    # bills per request against the process's whole CPU per request.
    import re
    serve = Serve(extra=('--threads', '1', '--cpu-limit-ms', '2', *args.serve_flag))
    burner = None
    try:
        acc = serve.create_account('pre')
        serve.deploy_js(acc, 'hello', 'export default { fetch() { return new Response("Hello World\\n") } }')
        pid = serve.proc.pid
        for tid in os.listdir('/proc/%d/task' % pid):
            subprocess.run(['taskset', '-p', '-c', '0', tid], capture_output=True, check=True)
        burner = subprocess.Popen(['taskset', '-c', '0', sys.executable, '-c', 'while True: pass'])
        time.sleep(0.5)
        c0 = cpu_seconds(pid)
        out = subprocess.run(['taskset', '-c', '1', 'wrk', '-t1', '-c4', '-d%ds' % args.seconds,
                              'http://127.0.0.1:%d/' % serve.public_port, '-H', 'Host: hello.pre.islet.localhost'],
                             capture_output=True, text=True, check=True).stdout
        c1 = cpu_seconds(pid)
        requests = int(re.search(r'(\d+) requests in', out).group(1))
        m = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
        time.sleep(2.5)  # the usage flush
        status, r = serve.api('GET', '/accounts/%s/workers/usage' % acc['id'], token=acc['token'])
        s = r['result']['scripts'][0]
        results['preempted_requests'] = requests
        results['preempted_killed'] = int(m.group(1)) if m else 0
        results['preempted_billed_us_per_req'] = s['cpu_ms'] * 1000 / max(1, s['requests'])
        results['preempted_process_cpu_us_per_req'] = (c1 - c0) * 1e6 / requests
    finally:
        if burner:
            burner.kill()
        serve.stop()
        shutil.rmtree(serve.data_dir)


def round_robin_curve(args, results):
    # How the CPU per request of a round robin grows with the number of tenants it cycles over (1 to --scripts),
    # all loaded beforehand: the cost of a request that finds its isolate's memory out of the CPU's caches.
    with serving(*MANY_TENANTS, *args.serve_flag) as serve:
        acc = serve.create_account('curve')
        deploy_many(serve, acc, 0, args.scripts)
        for i in range(args.scripts):
            timed_get(serve.public_port, 's%d.curve.islet.localhost' % i)
        pid = serve.proc.pid
        for k in [1, 4, 16, 64, 256, args.scripts]:
            if k > args.scripts:
                continue
            lua = round_robin_lua(k, 'curve')
            wrk(serve.public_port, 1, lua=lua)  # warm-up
            c0 = cpu_seconds(pid)
            r = wrk(serve.public_port, args.seconds, lua=lua)
            results['rr_%d_tenants_cpu_us_per_req' % k] = (cpu_seconds(pid) - c0) * 1e6 / r['requests']
            results['rr_%d_tenants_rps' % k] = r['rps']


def idle_rss_mb():
    """What an idle islet serve --threads 1 holds."""
    with serving('--threads', '1') as probe:
        time.sleep(1)
        return int(rss_mb(probe.proc.pid))


def load_burst(args, results):
    # Budget adherence: first requests to --scripts scripts one after another under a budget 60 MB above what the
    # idle process holds; the peak RSS seen between requests, against the budget.
    budget_mb = idle_rss_mb() + 60
    with serving('--threads', '1', '--memory-budget', str(budget_mb), *args.serve_flag) as serve:
        acc = serve.create_account('burst')
        deploy_many(serve, acc, 0, args.scripts)
        time.sleep(1.5)
        peak = 0
        for i in range(args.scripts):
            timed_get(serve.public_port, 's%d.burst.islet.localhost' % i)
            peak = max(peak, rss_mb(serve.proc.pid))
        results['burst_budget_mb'] = budget_mb
        results['burst_peak_rss_over_budget_mb'] = peak - budget_mb
        results['burst_loaded_after'] = workers_loaded(serve)


def lazy_first_use(args, results):
    # What loading APIs on first use costs (engine::LazyApi): first requests to 200 never-loaded scripts whose
    # handler constructs a URLPattern and digests with crypto.subtle, to 200 whose handler logs and reads a
    # ReadableStream (console and the streams family), against 200 hello worlds.
    kinds = {
        'hello': None,
        'urlpattern_subtle': 'export default { async fetch(request) { const p = new URLPattern({ pathname: "/:id" });'
                             ' const d = await crypto.subtle.digest("SHA-256", new Uint8Array(8));'
                             ' return new Response(String(p.test(request.url)) + d.byteLength); } };\n',
        'url': 'export default { fetch(request) { const u = new URL(request.url);'
               ' return new Response(u.pathname + (u.searchParams.get("a") || "")); } };\n',
        'streams_console': 'export default { async fetch(request) { console.log(request.method);'
                           ' const { value } = await new Response("hello").body.getReader().read();'
                           ' return new Response(value); } };\n',
    }
    with serving(*MANY_TENANTS, *args.serve_flag) as serve:
        acc = serve.create_account('lazy')
        for i in range(200):
            for k, (label, uses) in enumerate(kinds.items()):
                source = script_source(i) if uses is None else uses + PADDING * 98
                status, r = serve.upload(acc, 'k%d-%d' % (k, i),
                                         [('index.js', 'application/javascript+module', source.encode())],
                                         {'main_module': 'index.js'})
                assert status == 200, r
        time.sleep(1)
        for k, label in enumerate(kinds):
            c0 = cpu_seconds(serve.proc.pid)
            cold = [timed_get(serve.public_port, 'k%d-%d.lazy.islet.localhost' % (k, i)) for i in range(200)]
            results['lazy_%s_cold_p50_ms' % label] = pct(cold, 50)
            results['lazy_%s_cold_cpu_us' % label] = (cpu_seconds(serve.proc.pid) - c0) * 1e6 / 200


def load_churn(args, results):
    # Loads and evictions back to back: --scripts scripts under a budget 200 MB above the idle process (room for
    # about 130 workers), requested one after another, twice; the second pass is measured. Nearly every request
    # loads its worker (mostly from the warm pool) while an eviction pass disposes of others.
    budget_mb = idle_rss_mb() + 200
    with serving('--threads', '1', '--memory-budget', str(budget_mb), '--idle-timeout', '3600',
                 *args.serve_flag) as serve:
        acc = serve.create_account('churn')
        deploy_many(serve, acc, 0, args.scripts)
        hosts = ['s%d.churn.islet.localhost' % i for i in range(args.scripts)]
        for host in hosts:
            timed_get(serve.public_port, host)
        c0 = cpu_seconds(serve.proc.pid)
        latencies = [timed_get(serve.public_port, host) for host in hosts]
        results['churn_cpu_us_per_req'] = (cpu_seconds(serve.proc.pid) - c0) * 1e6 / args.scripts
        results['churn_p50_ms'] = pct(latencies, 50)
        results['churn_p99_ms'] = pct(latencies, 99)
        results['churn_loaded_after'] = workers_loaded(serve)
        results['churn_rss_over_budget_mb'] = rss_mb(serve.proc.pid) - budget_mb


def idle_release(args, results):
    # Warm workers give back their young generation when idle (--idle-release): --scripts hello worlds loaded, then
    # served round robin (~500 requests each, what grows a hello world to ~1.7 MB), then left idle; the RSS per
    # worker after the round robin and as the idle releases reach them, every 10 s for --release-seconds. Releases
    # run on the loop: a warm tenant's p99 (wrk, 8 connections) alone, and through the wave of releases.
    import threading
    with serving(*MANY_TENANTS, *args.serve_flag) as serve:
        acc = serve.create_account('bench')
        deploy_many(serve, acc, 0, args.scripts)
        serve.deploy_js(acc, 'warm', 'export default { fetch() { return new Response("Hello World\\n") } }')
        warm = 'warm.bench.islet.localhost'
        wrk(serve.public_port, 2, host=warm, connections=8)
        results['release_warm_p99_ms_alone'] = wrk(serve.public_port, 10, host=warm, connections=8)['p99']
        pid = serve.proc.pid
        time.sleep(1)
        rss0 = rss_mb(pid)
        for i in range(args.scripts):
            timed_get(serve.public_port, 's%d.bench.islet.localhost' % i)
        time.sleep(1)
        results['release_rss_per_worker_mb_after_one_request'] = (rss_mb(pid) - rss0) / args.scripts
        lua = round_robin_lua(args.scripts, 'bench')
        served = 0
        while served < 500 * args.scripts:
            served += wrk(serve.public_port, 10, lua=lua)['requests']
        results['release_requests_per_worker'] = served / args.scripts
        start = time.time()
        results['release_rss_per_worker_mb_at_0s'] = (rss_mb(pid) - rss0) / args.scripts
        during = {}
        c0, mark = cpu_seconds(pid), time.time()

        def warm_traffic():
            time.sleep(8)  # the releases begin after --idle-release (10 s)
            during.update(wrk(serve.public_port, 20, host=warm, connections=8))
        traffic = threading.Thread(target=warm_traffic)
        traffic.start()
        for t in range(10, args.release_seconds + 1, 10):
            time.sleep(max(0, start + t - time.time()))
            results['release_rss_per_worker_mb_at_%ds' % t] = (rss_mb(pid) - rss0) / args.scripts
            if t == 30:
                traffic.join()
                results['release_warm_p99_ms_during_releases'] = during['p99']
                c0 = cpu_seconds(pid)
                mark = time.time()
        results['release_cpu_ms_per_s_after_30s'] = (cpu_seconds(pid) - c0) * 1000 / (time.time() - mark)
        results['release_workers_released'] = serve.metric('islet_worker_memory_releases_total')


def cold_storm(args, results):
    # A warm tenant on the same event loop as a storm of cold starts (--threads 1): wrk keeps 8 connections on the
    # warm hello world while a client sends the first request to each of --scripts never-loaded scripts, one after
    # another. What the warm tenant's p99 rises by is what the cold starts stall it for; the cold starts' own
    # latency is measured too.
    with serving(*MANY_TENANTS, *args.serve_flag) as serve:
        acc = serve.create_account('storm')
        serve.deploy_js(acc, 'warm', 'export default { fetch() { return new Response("Hello World\\n") } }')
        deploy_many(serve, acc, 0, args.scripts)
        host = 'warm.storm.islet.localhost'
        wrk(serve.public_port, 2, host=host, connections=8)  # warm-up
        alone = wrk(serve.public_port, args.seconds, host=host, connections=8)
        proc = subprocess.Popen(['wrk', '-t1', '-c8', '-d%ds' % args.seconds, '--latency', '-H', 'Host: ' + host,
                                 'http://127.0.0.1:%d/' % serve.public_port], stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        cold = []
        deadline = time.time() + args.seconds - 1
        for i in range(args.scripts):
            if time.time() > deadline:
                break
            cold.append(timed_get(serve.public_port, 's%d.storm.islet.localhost' % i))
        out = proc.communicate()[0]
        import re
        m = re.search(r'^\s+99%\s+([\d.]+)(us|ms|s)\s*$', out, re.M)
        during_p99 = float(m.group(1)) * {'us': 0.001, 'ms': 1, 's': 1000}[m.group(2)]
        results['storm_warm_p99_alone_ms'] = alone['p99']
        results['storm_warm_p99_during_ms'] = during_p99
        results['storm_cold_starts'] = len(cold)
        results['storm_cold_p50_ms'] = pct(cold, 50)
        results['storm_cold_p99_ms'] = pct(cold, 99)


def deployed(args, results):
    # The density row of the issue: --deployed scripts deployed to one process (one account: there is no per-account
    # cap), nothing loaded until asked; a restart with all of them deployed; then the first request to --warm of them
    # under a 4 GB budget (--memory-budget 4096): how many stay loaded, and the process's RSS.
    import re
    flags = ('--threads', '2', '--memory-budget', '4096', '--idle-timeout', '3600', *args.serve_flag)
    serve = Serve(extra=flags)
    data_dir = serve.data_dir
    try:
        acc = serve.create_account('many')
        rss0 = rss_mb(serve.proc.pid)
        t0 = time.time()
        deploy_many(serve, acc, 0, args.deployed)
        results['deployed'] = args.deployed
        results['deployed_ms_per_script'] = (time.time() - t0) * 1000 / args.deployed
        time.sleep(2)
        results['deployed_rss_growth_mb'] = rss_mb(serve.proc.pid) - rss0
        serve.stop()
        t0 = time.time()
        serve = Serve(data_dir=data_dir, extra=flags)
        timed_get(serve.public_port, 's0.many.islet.localhost')
        results['deployed_restart_to_first_answer_s'] = time.time() - t0
        cold = [timed_get(serve.public_port, 's%d.many.islet.localhost' % i)
                for i in range(0, args.deployed, max(1, args.deployed // args.warm))][:args.warm]
        results['warm_requested'] = len(cold)
        results['warm_cold_p50_ms'] = pct(cold, 50)
        results['warm_cold_p99_ms'] = pct(cold, 99)
        time.sleep(2)
        results['warm_loaded_after'] = workers_loaded(serve)
        results['warm_rss_mb'] = rss_mb(serve.proc.pid)
        results['warm_isolates_disposing'] = serve.metric('islet_isolates_disposing')
        # The process's memory by kind, per loaded worker (loads and evictions leave more behind than a quiet sweep).
        for kind, kb in rss_kb_by_kind(serve.proc.pid).items():
            results['warm_rss_kb_per_loaded_%s' % kind] = kb / max(1, results['warm_loaded_after'])
    finally:
        serve.stop()
        shutil.rmtree(data_dir)


def workerd_density(args, results):
    workerd = os.path.join(TOOLS, 'workerd')
    if not os.path.exists(workerd):
        return
    tmp = tempfile.mkdtemp()
    try:
        def config(n, base_port):
            services, sockets, workers = [], [], []
            for i in range(n):
                with open(os.path.join(tmp, 'w%d.js' % i), 'w') as f:
                    f.write(script_source(i))
                services.append('(name = "s%d", worker = .w%d)' % (i, i))
                sockets.append('(name = "h%d", address = "127.0.0.1:%d", http = (), service = "s%d")' % (i, base_port + i, i))
                workers.append('const w%d :Workerd.Worker = (modules = [(name = "w", esModule = embed "w%d.js")], '
                               'compatibilityDate = "2024-01-01");' % (i, i))
            path = os.path.join(tmp, 'c%d.capnp' % n)
            with open(path, 'w') as f:
                f.write('using Workerd = import "/workerd/workerd.capnp";\nconst config :Workerd.Config = (\n'
                        '  services = [%s],\n  sockets = [%s],\n);\n%s\n' % (', '.join(services), ', '.join(sockets), '\n'.join(workers)))
            return path
        # Start-up time of a process for one worker: spawn to first answer.
        starts = []
        for _ in range(5):
            port = free_port()
            path = config(1, port)
            t0 = time.perf_counter()
            p = subprocess.Popen([workerd, 'serve', path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while True:
                try:
                    timed_get(port, 'x')
                    break
                except (ConnectionRefusedError, AssertionError):
                    time.sleep(0.001)
            starts.append((time.perf_counter() - t0) * 1000)
            p.terminate()
            p.wait()
        results['workerd_process_start_ms'] = statistics.median(starts)
        # Memory per worker and round robin with every worker behind one socket and the router (ROUTER_SOURCE):
        # one socket per worker did not hold 1,000 (workerd reset the connections).
        def routed(n):
            services = ['(name = "router", worker = .router)']
            bindings, workers = [], []
            for i in range(n):
                with open(os.path.join(tmp, 'w%d.js' % i), 'w') as f:
                    f.write(script_source(i))
                services.append('(name = "s%d", worker = .w%d)' % (i, i))
                bindings.append('(name = "s%d", service = "s%d")' % (i, i))
                workers.append('const w%d :Workerd.Worker = (modules = [(name = "w", esModule = embed "w%d.js")], '
                               'compatibilityDate = "2024-01-01");' % (i, i))
            with open(os.path.join(tmp, 'router.js'), 'w') as f:
                f.write(ROUTER_SOURCE)
            port = free_port()
            path = os.path.join(tmp, 'r%d.capnp' % n)
            with open(path, 'w') as f:
                f.write('using Workerd = import "/workerd/workerd.capnp";\nconst config :Workerd.Config = (\n'
                        '  services = [%s],\n  sockets = [(name = "http", address = "127.0.0.1:%d", http = (), '
                        'service = "router")],\n);\nconst router :Workerd.Worker = (modules = [(name = "r", esModule = '
                        'embed "router.js")], compatibilityDate = "2024-01-01", bindings = [%s]);\n%s\n'
                        % (', '.join(services), port, ', '.join(bindings), '\n'.join(workers)))
            return path, port
        n = min(args.scripts, 1000)
        rss = {}
        for count in sorted({1, args.routed, n}):
            path, port = routed(count)
            p = subprocess.Popen([workerd, 'serve', path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_port(port, timeout=120)
                for i in range(count):
                    timed_get(port, 'router', path='/s%d' % i)
                time.sleep(1)
                rss[count] = rss_mb(p.pid)
                if count in (args.routed, n):
                    routed_round_robin(port, p.pid, count, 'router', args.seconds, 'workerd_', results)
            finally:
                p.terminate()
                p.wait()
        results['workerd_rss_per_worker_mb_at_%d' % n] = (rss[n] - rss[1]) / (n - 1)
    finally:
        shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--scripts', type=int, default=1000)
    ap.add_argument('--more', type=int, default=5000)
    ap.add_argument('--seconds', type=int, default=10)
    ap.add_argument('--deployed', type=int, default=50000, help='scripts deployed in the deployed part')
    ap.add_argument('--warm', type=int, default=5000, help='of those, how many get a first request')
    ap.add_argument('--routed', type=int, default=100, help='tenants behind the router in the routed part')
    ap.add_argument('--release-seconds', type=int, default=60, help='how long the release part watches idle workers')
    ap.add_argument('--only', default='density,storm,noisy,hot,metering,preempted,routed,workerd')
    ap.add_argument('--serve-flag', action='append', default=[],
                    help='passed to islet serve in the density and noisy parts, e.g. --serve-flag=--placement=off')
    args = ap.parse_args()
    results = {}
    parts = args.only.split(',')
    if 'density' in parts:
        try:
            islet_density(args, results)
        except Exception as e:  # noqa: BLE001 - report what was measured so far
            print('islet density part failed: %r' % e)
    for name, part in (('noisy', noisy_neighbour), ('hot', hot_tenant), ('metering', metering_overhead),
                       ('preempted', preempted), ('deployed', deployed), ('storm', cold_storm),
                       ('curve', round_robin_curve), ('burst', load_burst), ('churn', load_churn), ('release', idle_release),
                       ('lazy', lazy_first_use), ('routed', islet_routed)):
        if name in parts:
            part(args, results)
    if 'workerd' in parts:
        try:
            workerd_density(args, results)
        except Exception as e:  # noqa: BLE001 - report what was measured so far
            print('workerd part failed: %r' % e)
    width = max(len(k) for k in results)
    for k, v in results.items():
        print('%-*s %10.3f' % (width, k, v))
    print(json.dumps(results))


if __name__ == '__main__':
    main()
