"""`islet dev` end to end: real process, real sockets, real HTTP."""
import json
import os
import shutil
import socket
import tempfile
import time
import unittest

from islet_process import Islet, WORKERS, build_request, read_response


class ModuleWorker(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.islet = Islet('dev', os.path.join(WORKERS, 'app'), '--port', '0', '--max-body-bytes', '65536',
                          '--read-timeout-ms', '1000', '--cpu-limit-ms', '50')

    @classmethod
    def tearDownClass(cls):
        cls.islet.stop()

    def get(self, path, **kw):
        return self.islet.request('GET', path, **kw)

    def test_hello(self):
        status, _, headers, body = self.get('/')
        self.assertEqual((status, body), (200, b'ok'))
        self.assertEqual(headers['content-length'], ['2'])

    def test_post_body_reaches_handler(self):
        status, _, headers, body = self.islet.request('POST', '/echo', body=b'payload \xe2\x9c\x93')
        self.assertEqual((status, body), (200, b'payload \xe2\x9c\x93'))
        self.assertEqual(headers['x-method'], ['POST'])

    def test_json_and_env_from_wrangler_toml(self):
        status, _, headers, body = self.get('/json')
        self.assertEqual(status, 200)
        self.assertEqual(headers['content-type'], ['application/json'])
        self.assertEqual(json.loads(body), {'a': 1, 'greeting': 'hi there'})

    def test_relative_imports_and_json_module(self):
        self.assertEqual(self.get('/import')[3], b'hello islet 42')

    def test_uncaught_error_is_500_with_stack_in_log(self):
        status, _, _, body = self.get('/throw')
        self.assertEqual(status, 500)
        self.assertNotIn(b'boom', body)  # the client gets a generic body
        self.assertTrue(self.islet.wait_for_log(r'\[app\] Uncaught Error: boom from the worker\n\s+at .*index\.js:\d+:\d+'),
                        self.islet.log())
        self.assertEqual(self.get('/')[0], 200)

    def test_rejected_promise_is_500(self):
        self.assertEqual(self.get('/reject')[0], 500)
        self.assertTrue(self.islet.wait_for_log(r'TypeError: rejected on purpose'))

    def test_non_response_is_500(self):
        self.assertEqual(self.get('/nonresponse')[0], 500)
        self.assertTrue(self.islet.wait_for_log(r'did not return a Response'))

    def test_never_resolving_promise_is_500(self):
        status, _, _, _ = self.get('/never')
        self.assertEqual(status, 500)
        self.assertTrue(self.islet.wait_for_log(r'never generate a response'))
        self.assertEqual(self.get('/')[0], 200)

    def test_infinite_loop_is_stopped_with_503(self):
        status, _, _, body = self.get('/loop')
        self.assertEqual(status, 503)
        self.assertIn(b'CPU time limit', body)
        self.assertEqual(self.get('/')[0], 200)

    def test_hop_by_hop_headers_are_the_servers(self):
        s = self.islet.connect()
        s.sendall(build_request('GET', '/hop') + build_request('GET', '/'))
        status, _, headers, body = read_response(s)
        self.assertEqual((status, body), (200, b'hop'))
        self.assertNotIn('transfer-encoding', headers)
        self.assertNotIn('keep-alive', headers)
        self.assertNotIn('connection', headers)
        self.assertEqual(headers['x-ok'], ['1'])
        self.assertEqual(read_response(s)[3], b'ok')  # the connection stayed open
        s.close()

    def test_no_body_for_204_304_and_head(self):
        s = self.islet.connect()
        s.sendall(build_request('GET', '/204') + build_request('GET', '/304') + build_request('HEAD', '/big') +
                  build_request('GET', '/'))
        self.assertEqual(read_response(s)[0], 204)
        self.assertEqual(read_response(s)[0], 304)
        status, _, headers, body = read_response(s, 'HEAD')
        self.assertEqual((status, body, headers['content-length']), (200, b'', [str(1 << 20)]))
        self.assertEqual(read_response(s)[3], b'ok')
        s.close()

    def test_keep_alive_and_pipelining(self):
        s = self.islet.connect()
        s.sendall(b''.join(build_request('GET', p) for p in ['/', '/import', '/timeout', '/', '/utf8']))
        bodies = [read_response(s)[3] for _ in range(5)]
        self.assertEqual(bodies, [b'ok', b'hello islet 42', b'later', b'ok', 'héllo wörld ✓'.encode()])
        s.close()

    def test_status_text_and_redirect(self):
        status, reason, _, _ = self.get('/status')
        self.assertEqual((status, reason), (418, 'I am a teapot'))
        status, _, headers, _ = self.get('/redirect')
        self.assertEqual((status, headers['location']), (301, ['https://example.com/next']))

    def test_set_cookie_headers_stay_separate(self):
        headers = self.get('/cookies')[2]
        self.assertEqual(headers['set-cookie'], ['a=1', 'b=2'])

    def test_request_headers_reach_the_worker(self):
        body = self.get('/headers', headers={'X-Custom': 'Value 1'})[3]
        self.assertIn(['x-custom', 'Value 1'], json.loads(body))

    def test_clock_is_frozen_while_code_runs(self):
        t = json.loads(self.get('/clock')[3])
        self.assertEqual(t['a'], t['b'])        # no progress during a busy loop
        self.assertEqual(t['p1'], t['p2'])
        self.assertGreaterEqual(t['c'] - t['a'], 25)  # advances across I/O (the timer)
        self.assertLess(abs(t['a'] / 1000 - time.time()), 60)

    def test_no_code_generation_from_strings_and_no_shared_memory(self):
        self.assertEqual(json.loads(self.get('/eval')[3]), ['EvalError', 'EvalError', 'TypeError'])
        self.assertEqual(self.get('/sab')[3], b'undefined')

    def test_console_goes_to_the_log_tagged_with_the_worker(self):
        self.assertEqual(self.get('/log')[0], 200)
        self.assertTrue(self.islet.wait_for_log(r'\[app\] hello from the worker \{ a: 1 \}'), self.islet.log())

    def test_large_response(self):
        self.assertEqual(len(self.get('/big')[3]), 1 << 20)

    def test_large_responses_to_a_client_that_reads_late(self):
        # A response the socket cannot take whole is written in part at once and the rest as the client reads: eight
        # pipelined 1 MiB responses (past loopback's 4 MB send buffer: strace showed a partial write, then EAGAIN)
        # and a small one, read only after a pause, arrive whole and in order.
        s = self.islet.connect()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        s.sendall(b''.join(build_request('GET', p) for p in ['/big'] * 8 + ['/']))
        time.sleep(0.5)
        responses = [read_response(s) for _ in range(9)]
        s.close()
        self.assertEqual([r[0] for r in responses], [200] * 9)
        for r in responses[:8]:
            self.assertEqual(r[3], b'x' * (1 << 20))
        self.assertEqual(responses[8][3], b'ok')

    def test_head_over_32k_is_431(self):
        status = self.get('/', headers={'X-Big': 'a' * 40000})[0]
        self.assertEqual(status, 431)

    def test_body_over_limit_is_413(self):
        self.assertEqual(self.islet.request('POST', '/echo', body=b'x' * 70000)[0], 413)

    def test_malformed_request_is_400(self):
        for raw in [b'GARBAGE\r\n\r\n', b'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
                    b'GET / HTTP/1.1\r\nBad Header\r\n\r\n']:
            s = self.islet.connect()
            s.sendall(raw)
            self.assertEqual(read_response(s)[0], 400, raw)
            s.close()

    def test_missing_host_is_400(self):
        s = self.islet.connect()
        s.sendall(b'GET / HTTP/1.1\r\n\r\n')
        self.assertEqual(read_response(s)[0], 400)
        s.close()

    def test_slow_client_is_timed_out(self):
        s = self.islet.connect()
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n')  # never finishes the head
        start = time.time()
        self.assertEqual(s.recv(10), b'')  # disconnected after --read-timeout-ms
        self.assertGreater(time.time() - start, 0.5)
        self.assertLess(time.time() - start, 5)
        s.close()

    def test_idle_connection_is_closed(self):
        s = self.islet.connect()
        start = time.time()
        self.assertEqual(s.recv(10), b'')  # closed by the server, nothing sent
        self.assertLess(time.time() - start, 5)
        s.close()


class ServiceWorker(unittest.TestCase):
    def test_service_worker_syntax(self):
        islet = Islet('dev', os.path.join(WORKERS, 'sw', 'worker.js'), '--port', '0')
        try:
            self.assertEqual(islet.request('GET', '/')[3], b'service worker says hi')
            self.assertEqual(islet.request('GET', '/throw')[0], 500)
            self.assertTrue(islet.wait_for_log(r'sw boom'))
            self.assertEqual(islet.request('GET', '/')[0], 200)
        finally:
            islet.stop()


class DevMode(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, name, text):
        with open(os.path.join(self.dir, name), 'w') as f:
            f.write(text)

    def test_syntax_error_is_reported_with_location(self):
        import subprocess
        from islet_process import ISLET
        self.write('index.js', 'export default {\n  fetch() { return new Response("x" }\n};\n')
        p = subprocess.run([ISLET, 'dev', self.dir, '--port', '0'], capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r'SyntaxError.*\n?.*index\.js:2:\d+')

    def test_reloads_when_files_change_and_keeps_serving_on_bad_edit(self):
        self.write('index.js', 'export default { fetch() { return new Response("v1"); } };\n')
        islet = Islet('dev', self.dir, '--port', '0')
        try:
            self.assertEqual(islet.request('GET', '/')[3], b'v1')
            time.sleep(0.05)
            self.write('index.js', 'export default { fetch() { return new Response("v2 " + x()); } };\n'
                                   'import { x } from "./x.js";\n')
            self.write('x.js', 'export const x = () => "with import";\n')
            deadline = time.time() + 5
            while time.time() < deadline and islet.request('GET', '/')[3] != b'v2 with import':
                time.sleep(0.1)
            self.assertEqual(islet.request('GET', '/')[3], b'v2 with import')
            self.write('index.js', 'export default { fetch() { return new Response("v3" }; };\n')  # broken
            self.assertTrue(islet.wait_for_log(r'reload failed'))
            self.assertEqual(islet.request('GET', '/')[3], b'v2 with import')
        finally:
            islet.stop()

    def test_two_dev_servers_side_by_side(self):
        self.write('index.js', 'export default { fetch() { return new Response("a"); } };\n')
        a = Islet('dev', self.dir, '--port', '0')
        b = Islet('dev', self.dir, '--port', '0')
        try:
            self.assertNotEqual(a.port, b.port)
            self.assertEqual(a.request('GET', '/')[3], b'a')
            self.assertEqual(b.request('GET', '/')[3], b'a')
        finally:
            a.stop()
            b.stop()


if __name__ == '__main__':
    unittest.main()
