"""fetch() subrequests and service bindings: real upstream HTTP servers on loopback, real islet processes."""
import http.server
import json
import shutil
import socketserver
import threading
import time
import unittest

from serve_process import Serve


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    connections = set()

    def log_message(self, *args):
        pass

    def reply(self, status, body=b'', headers=()):
        Upstream.connections.add(self.client_address)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def do_GET(self):
        if self.path == '/hello':
            self.reply(200, b'upstream hello', [('Content-Type', 'text/plain'), ('X-Up', '1')])
        elif self.path.startswith('/redirect/'):
            n = int(self.path.split('/')[2])
            self.reply(302, headers=[('Location', '/redirect/%d' % (n - 1) if n > 1 else '/hello')])
        elif self.path == '/slow':
            time.sleep(3)
            self.reply(200, b'slow')
        elif self.path == '/headers':
            self.reply(200, json.dumps(dict(self.headers)).encode(), [('Content-Type', 'application/json')])
        elif self.path == '/big':
            self.reply(200, b'x' * (40 << 20))
        else:
            self.reply(404, b'nope')

    def do_POST(self):
        length = int(self.headers.get('Content-Length', 0))
        body = self.rfile.read(length)
        self.reply(201, b'got ' + body, [('Content-Type', 'text/plain')])

    do_PUT = do_POST


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


WORKER = '''
export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    const up = env.UPSTREAM;
    switch (u.pathname) {
      case '/get': {
        const r = await fetch(up + '/hello');
        return Response.json({ status: r.status, text: await r.text(), up: r.headers.get('x-up'), url: r.url });
      }
      case '/post': {
        const r = await fetch(up + '/echo', { method: 'POST', body: 'payload', headers: { 'x-a': 'b' } });
        return new Response(r.status + ' ' + await r.text());
      }
      case '/redirects': {
        const r = await fetch(up + '/redirect/3');
        return Response.json({ status: r.status, redirected: r.redirected, url: r.url, text: await r.text() });
      }
      case '/manual': {
        const r = await fetch(up + '/redirect/1', { redirect: 'manual' });
        return Response.json({ status: r.status, location: r.headers.get('location') });
      }
      case '/error-mode':
        try { await fetch(up + '/redirect/1', { redirect: 'error' }); return new Response('no error'); }
        catch (e) { return new Response(e.name); }
      case '/abort': {
        const c = new AbortController();
        setTimeout(() => c.abort(), 50);
        try { await fetch(up + '/slow', { signal: c.signal }); return new Response('not aborted'); }
        catch (e) { return new Response(e.name); }
      }
      case '/timeout':
        try { await fetch(up + '/slow', { signal: AbortSignal.timeout(50) }); return new Response('no'); }
        catch (e) { return new Response(e.name); }
      case '/unreachable':
        try { await fetch('http://127.0.0.1:1/'); return new Response('reached'); }
        catch (e) { return new Response(e.name + ': ' + e.message); }
      case '/scheme':
        try { await fetch('ftp://example.com/'); return new Response('fetched'); }
        catch (e) { return new Response(e.name); }
      case '/headers': {
        const r = await fetch(up + '/headers', { headers: { 'x-custom': 'v' } });
        return new Response(await r.text());
      }
      case '/parallel': {
        const rs = await Promise.all(Array.from({ length: 20 }, () => fetch(up + '/hello').then((r) => r.text())));
        return new Response(String(rs.filter((t) => t === 'upstream hello').length));
      }
      case '/big':
        try { const r = await fetch(up + '/big'); return new Response(String((await r.arrayBuffer()).byteLength)); }
        catch (e) { return new Response(e.name + ': ' + e.message); }
      case '/too-many': {
        const results = await Promise.allSettled(Array.from({ length: 1010 }, () => fetch(up + '/hello')));
        const ok = results.filter((r) => r.status === 'fulfilled').length;
        const refused = results.filter((r) => r.status === 'rejected' && /Too many subrequests/.test(r.reason.message));
        return new Response(ok + ' ok, ' + refused.length + ' refused: ' + (refused[0] ? refused[0].reason.message : ''));
      }
      case '/service': {
        const r = await env.BACKEND.fetch('https://backend/inner?x=1', { method: 'POST', body: 'to backend' });
        return new Response('front got: ' + r.status + ' ' + await r.text());
      }
      default: return new Response('?', { status: 404 });
    }
  },
};
'''

BACKEND = '''
export default { async fetch(request, env) {
  const u = new URL(request.url);
  return new Response(request.method + ' ' + u.pathname + u.search + ' ' + await request.text(), { status: 202 });
} };
'''


class Subrequests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.upstream = ThreadingServer(('127.0.0.1', 0), Upstream)
        threading.Thread(target=cls.upstream.serve_forever, daemon=True).start()
        cls.up = 'http://127.0.0.1:%d' % cls.upstream.server_address[1]
        cls.serve = Serve(extra=("--allow-private-subrequests", "--cpu-limit-ms", "1000"))
        cls.acc = cls.serve.create_account('fetcher')
        cls.serve.deploy_js(cls.acc, 'backend', BACKEND)
        cls.serve.deploy_js(cls.acc, 'front', WORKER, [{'type': 'plain_text', 'name': 'UPSTREAM', 'text': cls.up},
                                                       {'type': 'service', 'name': 'BACKEND', 'service': 'backend'}])

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir)
        cls.upstream.shutdown()

    def get(self, path):
        status, _, _, body = self.serve.get('front.fetcher.islet.localhost', path)
        self.assertEqual(status, 200, (path, body, self.serve.log()[-1500:]))
        return body

    def test_get_and_post(self):
        r = json.loads(self.get('/get'))
        self.assertEqual(r, {'status': 200, 'text': 'upstream hello', 'up': '1', 'url': self.up + '/hello'})
        self.assertEqual(self.get('/post'), b'201 got payload')

    def test_redirect_modes(self):
        r = json.loads(self.get('/redirects'))
        self.assertEqual(r, {'status': 200, 'redirected': True, 'url': self.up + '/hello', 'text': 'upstream hello'})
        self.assertEqual(json.loads(self.get('/manual')), {'status': 302, 'location': '/hello'})
        self.assertEqual(self.get('/error-mode'), b'TypeError')

    def test_abort_and_timeout(self):
        start = time.time()
        self.assertEqual(self.get('/abort'), b'AbortError')
        self.assertEqual(self.get('/timeout'), b'TimeoutError')
        self.assertLess(time.time() - start, 2.5)

    def test_errors_are_type_errors(self):
        self.assertTrue(self.get('/unreachable').startswith(b'TypeError: '))
        self.assertEqual(self.get('/scheme'), b'TypeError')

    def test_headers_go_upstream_and_host_is_set(self):
        sent = {k.lower(): v for k, v in json.loads(self.get('/headers')).items()}
        self.assertEqual(sent['x-custom'], 'v')
        self.assertEqual(sent['host'], self.up[len('http://'):])

    def test_parallel_requests_reuse_connections(self):
        Upstream.connections.clear()
        self.assertEqual(self.get('/parallel'), b'20')
        self.assertLessEqual(len(Upstream.connections), 6 + 2)  # at most 6 at once per request

    def test_a_large_response_is_streamed_not_capped(self):
        # 40 MB: read from the upstream as JS asks; held whole only because the worker buffers it (arrayBuffer()),
        # which the isolate's memory limit bounds.
        self.assertEqual(self.get('/big'), b'41943040')

    def test_subrequest_limit(self):
        self.assertTrue(self.get('/too-many').startswith(b'1000 ok, 10 refused: Too many subrequests'))

    def test_service_binding_stays_in_process(self):
        self.assertEqual(self.get('/service'), b'front got: 202 POST /inner?x=1 to backend')


class PrivateAddresses(unittest.TestCase):
    def test_private_addresses_are_refused_by_default(self):
        with Serve() as serve:
            acc = serve.create_account('ssrf')
            serve.deploy_js(acc, 'probe', '''export default { async fetch() {
                const out = [];
                for (const u of ['http://127.0.0.1:%d/', 'http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/',
                                 'http://[::1]:%d/', 'http://localhost:%d/']) {
                    try { await fetch(u, { signal: AbortSignal.timeout(2000) }); out.push('reached'); }
                    catch (e) { out.push(e.message.includes('private or local') ? 'refused' : e.name + ' ' + e.message); }
                }
                return Response.json(out);
            } }''' % (serve.api_port, serve.api_port, serve.api_port))
            status, _, _, body = serve.get('probe.ssrf.islet.localhost')
            self.assertEqual(json.loads(body), ['refused'] * 5)


if __name__ == '__main__':
    unittest.main()
