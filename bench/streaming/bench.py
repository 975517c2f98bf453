"""bench/streaming: a worker proxies 1 GiB each way (the request body upstream, then an upstream body to the client);
prints islet's peak-RSS growth, CPU seconds and wall seconds for each. Uses the worker and upstream of
tests/integration/streaming_test.py. Usage: python3 bench/streaming/bench.py"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                'tests', 'integration'))
import streaming_test as t
from serve_process import Serve
up = t.ThreadingServer(('127.0.0.1', 0), t.Upstream)
threading.Thread(target=up.serve_forever, daemon=True).start()
serve = Serve(extra=('--allow-private-subrequests', '--max-body-bytes', str(2 * t.GIB), '--threads', '1'))
acc = serve.create_account('streams')
serve.deploy_js(acc, 'stream', t.WORKER, [{'type': 'plain_text', 'name': 'UPSTREAM', 'text': 'http://127.0.0.1:%d' % up.server_address[1]}])
H = 'stream.streams.islet.localhost'
serve.get(H, '/ignore')
def cpu(pid):
    f = open('/proc/%d/stat' % pid).read().split(')')[1].split()
    return (int(f[11]) + int(f[12])) / 100.0
pid = serve.proc.pid
for name in ('upload', 'download'):
    rss0, c0, w0 = t.vm_hwm_mb(pid), cpu(pid), time.time()
    s = socket.create_connection(('127.0.0.1', serve.public_port), timeout=120)
    if name == 'upload':
        tc = t.Streaming('test_proxies_1gib_upload_in_bounded_memory'); tc.HOST = H
        tc.serve = serve
        tc.send_body(s, '/proxy-up', t.GIB); r = tc.json_response(s); assert r['count'] == t.GIB
    else:
        s.sendall(('GET /proxy-down?n=%d HTTP/1.1\r\nHost: %s\r\n\r\n' % (t.GIB, H)).encode())
        st, hd, rest = t.read_head(s); n = sum(len(p) for p in t.ChunkedReader(s, hd, rest).pieces()); assert n == t.GIB
    s.close()
    print('%s 1 GiB: islet peak RSS %.1f -> %.1f MB (+%.1f), islet CPU %.2f s, wall %.2f s' % (name, rss0, t.vm_hwm_mb(pid), t.vm_hwm_mb(pid) - rss0, cpu(pid) - c0, time.time() - w0))
serve.stop()
