"""Bodies that stream end to end: request bodies from the client's socket into JS, fetch() bodies both ways, and a
worker proxying 1 GiB each way while islet's peak RSS stays bounded. A real upstream HTTP server on loopback, a
real `islet serve`, raw sockets on the client side."""
import http.server
import json
import shutil
import socket
import socketserver
import threading
import unittest
import zlib

from serve_process import Serve

GIB = 1 << 30
BLOCK = bytes(i % 251 for i in range(1 << 20))  # 1 MiB; 251 so blocks do not repeat on a power-of-two boundary


def pattern_crc(n):
    crc, left = 0, n
    while left > 0:
        piece = BLOCK[:min(left, len(BLOCK))]
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    return crc


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def read_body(self):
        """Yields the request body in pieces: Content-Length or chunked."""
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            while True:
                size = int(self.rfile.readline().split(b';')[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b''):
                        pass
                    return
                left = size
                while left:
                    piece = self.rfile.read(min(left, 1 << 20))
                    left -= len(piece)
                    yield piece
                self.rfile.readline()
        else:
            left = int(self.headers.get('Content-Length', 0))
            while left:
                piece = self.rfile.read(min(left, 1 << 20))
                if not piece:
                    return
                left -= len(piece)
                yield piece

    def do_POST(self):  # /sink: counts what arrives
        count, crc = 0, 0
        for piece in self.read_body():
            count += len(piece)
            crc = zlib.crc32(piece, crc)
        body = json.dumps({'count': count, 'crc': crc, 'chunked': 'chunked' in self.headers.get('Transfer-Encoding', '')}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # /source?n=N: N bytes of the pattern, with a Content-Length
        n = int(self.path.split('n=')[1])
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(n))
        self.end_headers()
        left = n
        try:
            while left > 0:
                piece = BLOCK[:min(left, len(BLOCK))]
                self.wfile.write(piece)
                left -= len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


WORKER = r'''
async function countStream(stream) {
  let count = 0, sum = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    count += value.byteLength;
    for (let i = 0; i < value.length; i++) sum += value[i];
  }
  return { count, sum };
}

function generated(n, piece) {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent >= n) return c.close();
      const u = new Uint8Array(Math.min(piece, n - sent));
      for (let i = 0; i < u.length; i++) u[i] = ((sent + i) % 1048576) % 251;
      sent += u.length;
      c.enqueue(u);
    },
  });
}

export default {
  async fetch(request, env, ctx) {
    const u = new URL(request.url);
    const up = env.UPSTREAM;
    switch (u.pathname) {
      case '/proxy-up':      // the request body goes upstream without passing through JS
        return fetch(up + '/sink', { method: 'POST', body: request.body });
      case '/proxy-down': {  // the upstream's body goes to the client without passing through JS
        const r = await fetch(up + '/source?n=' + u.searchParams.get('n'));
        return new Response(r.body, { headers: { 'content-type': r.headers.get('content-type') } });
      }
      case '/count':         // JS reads the request body as it arrives
        return Response.json(await countStream(request.body));
      case '/echo':          // full duplex on one connection
        return new Response(request.body);
      case '/upload-js':     // a ReadableStream made in JS, sent upstream chunked
        return fetch(up + '/sink', { method: 'POST', body: generated(+u.searchParams.get('n'), 65536) });
      case '/read-down': {   // JS reads a long fetch() response piece by piece
        const r = await fetch(up + '/source?n=' + u.searchParams.get('n'));
        return Response.json(await countStream(r.body));
      }
      case '/ignore':        // answers without reading the body
        return new Response('ignored');
      case '/text':
        return new Response((await request.text()).length + ' chars');
      default:
        return new Response('?', { status: 404 });
    }
  },
};
'''


# Native bodies (still on a socket) that are read whole or handed on without a ReadableStream: the streams family,
# loaded on first use, stays unloaded until .body or clone() needs a stream.
NATIVE_WORKER = r'''
const streamsLoaded = () => typeof Object.getOwnPropertyDescriptor(globalThis, 'ReadableStream').get !== 'function';
const sum = (bytes) => { let s = 0; for (let i = 0; i < bytes.length; i++) s += bytes[i]; return s; };
export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    switch (u.pathname) {
      case '/read': {
        const before = streamsLoaded();
        const bytes = new Uint8Array(await request.arrayBuffer());
        let again = 'none';
        try { await request.text(); } catch (e) { again = e.constructor.name; }
        const up = await fetch(env.UPSTREAM + '/source?n=300000');
        const down = new Uint8Array(await up.arrayBuffer());
        return Response.json({ before, after: streamsLoaded(), length: bytes.length, sum: sum(bytes),
                               used: request.bodyUsed, again, upLength: down.length, upSum: sum(down) });
      }
      case '/pass':   // the upstream's response as it is: its body handed on by id
        return fetch(env.UPSTREAM + '/source?n=' + u.searchParams.get('n'));
      case '/up':     // the request (and its body) sent on whole
        return fetch(new Request(env.UPSTREAM + '/sink', request));
      case '/state':
        return Response.json({ loaded: streamsLoaded() });
      case '/service':  // the request sent on whole to another script of the account, which reads it as a stream
        return env.OTHER.fetch(new Request('https://other/count', request));
      case '/cache': {  // a long fetch() response put in the Cache API, and read back
        const up = await fetch(env.UPSTREAM + '/source?n=300000');
        await caches.default.put('https://cache.test/big', up);
        const hit = await caches.default.match('https://cache.test/big');
        const bytes = new Uint8Array(await hit.arrayBuffer());
        return Response.json({ length: bytes.length, sum: sum(bytes), status: hit.headers.get('cf-cache-status') });
      }
      case '/clone': {
        const c = request.clone();
        const [a, b] = await Promise.all([request.text(), c.text()]);
        return Response.json({ same: a === b, length: a.length, loaded: streamsLoaded() });
      }
      default:
        return new Response('?', { status: 404 });
    }
  },
};
'''


def vm_hwm_mb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    raise RuntimeError('no VmHWM')


def read_head(sock):
    data = b''
    while b'\r\n\r\n' not in data:
        piece = sock.recv(65536)
        if not piece:
            raise ConnectionError('closed before the head: %r' % data)
        data += piece
    head, rest = data.split(b'\r\n\r\n', 1)
    lines = head.decode('latin-1').split('\r\n')
    headers = {}
    for line in lines[1:]:
        k, v = line.split(':', 1)
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, rest


class ChunkedReader:
    """Reads a chunked (or Content-Length) body from a socket, a piece at a time, without keeping it."""

    def __init__(self, sock, headers, rest):
        self.sock, self.buf = sock, rest
        self.chunked = headers.get('transfer-encoding', '').lower() == 'chunked'
        self.left = None if self.chunked else int(headers.get('content-length', 0))

    def _fill(self):
        piece = self.sock.recv(1 << 20)
        if not piece:
            raise ConnectionError('closed mid-body')
        self.buf += piece

    def count_and_crc(self):
        """Reads the whole body: its length and CRC-32."""
        count, crc = 0, 0
        for piece in self.pieces():
            count += len(piece)
            crc = zlib.crc32(piece, crc)
        return count, crc

    def pieces(self):
        if not self.chunked:
            while self.left:
                if not self.buf:
                    self._fill()
                piece, self.buf = self.buf[:self.left], self.buf[self.left:]
                self.left -= len(piece)
                yield piece
            return
        while True:
            while b'\r\n' not in self.buf:
                self._fill()
            line, self.buf = self.buf.split(b'\r\n', 1)
            size = int(line.split(b';')[0], 16)
            if size == 0:
                return
            while size:
                if not self.buf:
                    self._fill()
                piece, self.buf = self.buf[:size], self.buf[size:]
                size -= len(piece)
                yield piece
            while len(self.buf) < 2:
                self._fill()
            self.buf = self.buf[2:]


class Streaming(unittest.TestCase):
    HOST = 'stream.streams.islet.localhost'

    @classmethod
    def setUpClass(cls):
        cls.upstream = ThreadingServer(('127.0.0.1', 0), Upstream)
        threading.Thread(target=cls.upstream.serve_forever, daemon=True).start()
        up = 'http://127.0.0.1:%d' % cls.upstream.server_address[1]
        cls.serve = Serve(extra=('--allow-private-subrequests', '--max-body-bytes', str(2 * GIB), '--threads', '1',
                                 '--cpu-limit-ms', '5000'))
        acc = cls.serve.create_account('streams')
        cls.serve.deploy_js(acc, 'stream', WORKER, [{'type': 'plain_text', 'name': 'UPSTREAM', 'text': up}])
        cls.serve.deploy_js(acc, 'native', NATIVE_WORKER, [{'type': 'plain_text', 'name': 'UPSTREAM', 'text': up},
                                                           {'type': 'service', 'name': 'OTHER', 'service': 'stream'}])

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir)
        cls.upstream.shutdown()

    def connect(self):
        return socket.create_connection(('127.0.0.1', self.serve.public_port), timeout=60)

    def send_body(self, sock, path, n, chunked=False, extra='', host=None):
        framing = 'Transfer-Encoding: chunked' if chunked else 'Content-Length: %d' % n
        sock.sendall(('POST %s HTTP/1.1\r\nHost: %s\r\n%s\r\n%s\r\n' % (path, host or self.HOST, framing, extra)).encode())
        left = n
        while left > 0:
            piece = BLOCK[:min(left, len(BLOCK))]
            sock.sendall(b'%x\r\n%s\r\n' % (len(piece), piece) if chunked else piece)
            left -= len(piece)
        if chunked:
            sock.sendall(b'0\r\n\r\n')

    def json_response(self, sock):
        status, headers, rest = read_head(sock)
        body = b''.join(ChunkedReader(sock, headers, rest).pieces())
        self.assertEqual(status, 200, body[:500])
        return json.loads(body)

    def warm(self):
        status, _, _, _ = self.serve.get(self.HOST, '/ignore')
        self.assertEqual(status, 200)

    def test_proxies_1gib_upload_in_bounded_memory(self):
        self.warm()
        before = vm_hwm_mb(self.serve.proc.pid)
        s = self.connect()
        try:
            self.send_body(s, '/proxy-up', GIB)
            result = self.json_response(s)
        finally:
            s.close()
        self.assertEqual(result['count'], GIB)
        self.assertEqual(result['crc'], pattern_crc(GIB))
        self.assertFalse(result['chunked'])  # the declared length went upstream with the body
        grown = vm_hwm_mb(self.serve.proc.pid) - before
        self.assertLess(grown, 64, 'peak RSS grew %.1f MB while proxying 1 GiB' % grown)

    def test_proxies_1gib_download_in_bounded_memory(self):
        self.warm()
        before = vm_hwm_mb(self.serve.proc.pid)
        s = self.connect()
        try:
            s.sendall(('GET /proxy-down?n=%d HTTP/1.1\r\nHost: %s\r\n\r\n' % (GIB, self.HOST)).encode())
            status, headers, rest = read_head(s)
            self.assertEqual(status, 200)
            self.assertEqual(headers.get('content-type'), 'application/octet-stream')
            count, crc = ChunkedReader(s, headers, rest).count_and_crc()
        finally:
            s.close()
        self.assertEqual(count, GIB)
        self.assertEqual(crc, pattern_crc(GIB))
        grown = vm_hwm_mb(self.serve.proc.pid) - before
        self.assertLess(grown, 64, 'peak RSS grew %.1f MB while proxying 1 GiB' % grown)

    @staticmethod
    def expected_sum(n):
        return sum(BLOCK) * (n // len(BLOCK)) + sum(BLOCK[:n % len(BLOCK)])

    def test_js_reads_a_chunked_request_body_as_it_arrives(self):
        n = 8 << 20
        s = self.connect()
        try:
            self.send_body(s, '/count', n, chunked=True)
            self.assertEqual(self.json_response(s), {'count': n, 'sum': self.expected_sum(n)})
        finally:
            s.close()

    def test_js_reads_a_long_response_body_piece_by_piece(self):
        n = 20 << 20
        s = self.connect()
        try:
            s.sendall(('GET /read-down?n=%d HTTP/1.1\r\nHost: %s\r\n\r\n' % (n, self.HOST)).encode())
            self.assertEqual(self.json_response(s), {'count': n, 'sum': self.expected_sum(n)})
        finally:
            s.close()

    def test_a_js_stream_goes_upstream_chunked(self):
        n = 10 << 20
        s = self.connect()
        try:
            s.sendall(('GET /upload-js?n=%d HTTP/1.1\r\nHost: %s\r\n\r\n' % (n, self.HOST)).encode())
            self.assertEqual(self.json_response(s), {'count': n, 'crc': pattern_crc(n), 'chunked': True})
        finally:
            s.close()

    def test_echo_streams_both_ways_on_one_connection(self):
        n = 16 << 20
        s = self.connect()
        try:
            sender = threading.Thread(target=self.send_body, args=(s, '/echo', n))
            sender.start()
            status, headers, rest = read_head(s)
            self.assertEqual(status, 200)
            count, crc = ChunkedReader(s, headers, rest).count_and_crc()
            sender.join()
        finally:
            s.close()
        self.assertEqual((count, crc), (n, pattern_crc(n)))

    def test_expect_100_continue(self):
        s = self.connect()
        try:
            s.sendall(('POST /count HTTP/1.1\r\nHost: %s\r\nContent-Length: 200000\r\nExpect: 100-continue\r\n\r\n'
                       % self.HOST).encode())
            interim = s.recv(25)
            self.assertEqual(interim, b'HTTP/1.1 100 Continue\r\n\r\n')
            s.sendall(BLOCK[:200000])
            self.assertEqual(self.json_response(s)['count'], 200000)
        finally:
            s.close()

    def test_an_unread_body_gets_the_response_and_a_closed_connection(self):
        s = self.connect()
        try:
            # The client waits for 100 Continue, which never comes: the worker answered without reading.
            s.sendall(('POST /ignore HTTP/1.1\r\nHost: %s\r\nContent-Length: 10000000\r\nExpect: 100-continue\r\n\r\n'
                       % self.HOST).encode())
            status, headers, rest = read_head(s)
            self.assertEqual(status, 200)
            self.assertEqual(headers.get('connection'), 'close')
            body = b''.join(ChunkedReader(s, headers, rest).pieces())
            self.assertEqual(body, b'ignored')
            s.settimeout(5)
            self.assertEqual(s.recv(100), b'')  # closed: the unread body cannot be skipped
        finally:
            s.close()

    def test_native_bodies_read_whole_or_passed_on_need_no_stream(self):
        host = 'native.streams.islet.localhost'
        n = 3 << 20
        s = self.connect()
        try:
            # A chunked request body read whole (arrayBuffer) and a fetch() response read whole: no stream made.
            self.send_body(s, '/read', n, chunked=True, host=host)
            self.assertEqual(self.json_response(s), {
                'before': False, 'after': False, 'length': n, 'sum': self.expected_sum(n), 'used': True,
                'again': 'TypeError', 'upLength': 300000, 'upSum': self.expected_sum(300000)})
            # The upstream's response returned as it is: its body goes to the client by id.
            m = 5 << 20
            s.sendall(('GET /pass?n=%d HTTP/1.1\r\nHost: %s\r\n\r\n' % (m, host)).encode())
            status, headers, rest = read_head(s)
            self.assertEqual(status, 200)
            count, crc = ChunkedReader(s, headers, rest).count_and_crc()
            self.assertEqual((count, crc), (m, pattern_crc(m)))
            # The request sent upstream as it is, its body by id.
            self.send_body(s, '/up', n, host=host)
            self.assertEqual(self.json_response(s), {'count': n, 'crc': pattern_crc(n), 'chunked': False})
            s.sendall(('GET /state HTTP/1.1\r\nHost: %s\r\n\r\n' % host).encode())
            self.assertEqual(self.json_response(s), {'loaded': False})
            # To another script of the account (read whole here, a stream there), and into the Cache API.
            self.send_body(s, '/service', n, host=host)
            self.assertEqual(self.json_response(s), {'count': n, 'sum': self.expected_sum(n)})
            s.sendall(('GET /cache HTTP/1.1\r\nHost: %s\r\n\r\n' % host).encode())
            self.assertEqual(self.json_response(s), {'length': 300000, 'sum': self.expected_sum(300000), 'status': 'HIT'})
            # clone() tees a stream: the family loads, and both copies read the same bytes.
            self.send_body(s, '/clone', 100000, host=host)
            self.assertEqual(self.json_response(s), {'same': True, 'length': 100000, 'loaded': True})
        finally:
            s.close()

    def test_small_bodies_still_work_and_keep_the_connection(self):
        s = self.connect()
        try:
            for n in (0, 10, 70000):
                self.send_body(s, '/text', n)
                status, headers, rest = read_head(s)
                body = b''.join(ChunkedReader(s, headers, rest).pieces())
                self.assertEqual((status, body), (200, b'%d chars' % n))
        finally:
            s.close()


class BodyLimit(unittest.TestCase):
    HOST = 'limit.lim.islet.localhost'

    @classmethod
    def setUpClass(cls):
        cls.serve = Serve(extra=('--max-body-bytes', '1000000', '--threads', '1'))
        acc = cls.serve.create_account('lim')
        cls.serve.deploy_js(acc, 'limit', WORKER, [{'type': 'plain_text', 'name': 'UPSTREAM', 'text': 'http://x'}])

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir)

    def test_a_declared_length_over_the_limit_is_413(self):
        s = socket.create_connection(('127.0.0.1', self.serve.public_port), timeout=30)
        try:
            # Refused on the head alone: the client need not send the body to learn it is too large.
            s.sendall(('POST /count HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000001\r\n\r\n' % self.HOST).encode())
            status, _, _ = read_head(s)
        finally:
            s.close()
        self.assertEqual(status, 413)

    def test_a_streamed_body_over_the_limit_fails_the_read(self):
        s = socket.create_connection(('127.0.0.1', self.serve.public_port), timeout=30)
        try:
            s.sendall(('POST /count HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n' % self.HOST).encode())
            for _ in range(3):
                s.sendall(b'%x\r\n%s\r\n' % (500000, b'y' * 500000))
            status, _, _ = read_head(s)
        finally:
            s.close()
        self.assertEqual(status, 500)
        self.assertTrue(any('larger than 1000000 bytes' in line for line in self.serve.log().splitlines()),
                        self.serve.log()[-2000:])


if __name__ == '__main__':
    unittest.main()
