"""The Workers extras on `islet serve`: a WebSocket echo worker driven by a stdlib WebSocket client, caches.default
shared by one account's isolates and never across accounts, request.cf, and unhandledrejection listeners."""
import base64
import hashlib
import json
import os
import shutil
import socket
import struct
import time
import unittest

from serve_process import Serve

GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

WORKER = r'''
addEventListener('unhandledrejection', (event) => {
  console.log('saw unhandledrejection: ' + event.reason.message);
  if (event.reason.message.startsWith('quiet')) event.preventDefault();
});

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/ws' || url.pathname === '/ws-unchecked') {
      if (url.pathname === '/ws' && request.headers.get('upgrade') !== 'websocket') {
        return new Response('expected a WebSocket upgrade', { status: 426 });
      }
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.send('welcome');
      server.addEventListener('message', (event) => {
        if (event.data === 'close please') return server.close(4001, 'asked to');
        if (event.data === 'throw') throw new Error('thrown by a message listener');
        if (typeof event.data === 'string') return server.send('echo: ' + event.data);
        server.send(event.data);  // binary: echoed as it came
      });
      server.addEventListener('close', (event) => {
        console.log(`server end closed: ${event.code} ${event.reason} clean=${event.wasClean}`);
      });
      return new Response(null, { status: 101, webSocket: client, headers: { 'x-greeting': 'hi' } });
    }
    if (url.pathname === '/cf') return Response.json(request.cf);
    if (url.pathname === '/cache') {
      const key = 'https://cache.example/item';
      const hit = await caches.default.match(key);
      if (hit) return hit;
      const fresh = new Response('made by ' + url.searchParams.get('by'), { headers: { 'cache-control': 'max-age=300' } });
      await caches.default.put(key, fresh.clone());
      return fresh;
    }
    if (url.pathname === '/cache-delete') {
      return new Response(String(await caches.default.delete('https://cache.example/item')));
    }
    if (url.pathname === '/reject') {
      Promise.reject(new Error(url.searchParams.get('kind') + ' rejection ' + url.searchParams.get('n')));
      return new Response('ok');
    }
    return new Response('not found', { status: 404 });
  },
};
'''

# Another script of the same account: it only reads the cache.
READER = r'''
export default {
  async fetch() {
    const hit = await caches.default.match('https://cache.example/item');
    return hit || new Response('miss', { status: 404 });
  },
};
'''


def host(script, account):
    return '%s.%s.islet.localhost' % (script, account['name'])


class WebSocketClient:
    """A small RFC 6455 client: the handshake, masked frames out, frames in."""

    def __init__(self, port, host_header, path='/ws'):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.buf = b''
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(('GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                           'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n' % (path, host_header, key)).encode())
        while b'\r\n\r\n' not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        self.status = int(lines[0].split(' ')[1])
        self.headers = {}
        for line in lines[1:]:
            name, value = line.split(':', 1)
            self.headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        self.accept_ok = self.headers.get('sec-websocket-accept') == expected

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError('connection closed')
        self.buf += chunk

    def _exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(self, opcode, payload, fin=True):
        mask = os.urandom(4)
        head = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack('!H', n)
        else:
            head += bytes([0x80 | 127]) + struct.pack('!Q', n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_text(self, text):
        self.send_frame(0x1, text.encode())

    def send_binary(self, data):
        self.send_frame(0x2, data)

    def send_close(self, code=1000, reason=''):
        self.send_frame(0x8, struct.pack('!H', code) + reason.encode())

    def recv_frame(self):
        """(opcode, payload) of the next frame; the server never masks nor fragments."""
        b0, b1 = self._exactly(2)
        assert not b1 & 0x80, 'a server frame is never masked'
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack('!H', self._exactly(2))[0]
        elif n == 127:
            n = struct.unpack('!Q', self._exactly(8))[0]
        return b0 & 0x0F, self._exactly(n)

    def recv_text(self):
        opcode, payload = self.recv_frame()
        assert opcode == 0x1, (opcode, payload)
        return payload.decode()

    def recv_close(self):
        opcode, payload = self.recv_frame()
        assert opcode == 0x8, (opcode, payload)
        return struct.unpack('!H', payload[:2])[0], payload[2:].decode()

    def at_eof(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b''
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self):
        self.sock.close()


class Extras(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A short wall-time limit: an open WebSocket must outlive it.
        cls.serve = Serve(extra=('--wall-limit-ms', '1000'))
        cls.acme = cls.serve.create_account('acme')
        cls.globex = cls.serve.create_account('globex')
        cls.serve.deploy_js(cls.acme, 'app', WORKER)
        cls.serve.deploy_js(cls.acme, 'reader', READER)
        cls.serve.deploy_js(cls.globex, 'app', WORKER)

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir)

    def wait_for_log(self, needle, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.serve.log():
                return True
            time.sleep(0.05)
        return False

    def ws(self, path='/ws'):
        client = WebSocketClient(self.serve.public_port, host('app', self.acme), path)
        self.addCleanup(client.close)
        return client

    # ---- WebSocket

    def test_websocket_echo(self):
        c = self.ws()
        self.assertEqual(c.status, 101)
        self.assertTrue(c.accept_ok, c.headers)
        self.assertEqual(c.headers.get('upgrade', '').lower(), 'websocket')
        self.assertEqual(c.headers.get('x-greeting'), 'hi', 'the Response headers travel with the 101')
        self.assertEqual(c.recv_text(), 'welcome')
        c.send_text('hello')
        self.assertEqual(c.recv_text(), 'echo: hello')
        c.send_text('héllo ✓')
        self.assertEqual(c.recv_text(), 'echo: héllo ✓')
        c.send_binary(bytes(range(256)) * 300)
        opcode, payload = c.recv_frame()
        self.assertEqual((opcode, payload), (0x2, bytes(range(256)) * 300))
        # A fragmented message is assembled before delivery.
        c.send_frame(0x1, b'frag', fin=False)
        c.send_frame(0x0, b'mented', fin=True)
        self.assertEqual(c.recv_text(), 'echo: fragmented')
        c.send_frame(0x9, b'ping?')
        self.assertEqual(c.recv_frame(), (0xA, b'ping?'))
        # The client closes: the server echoes the close, and the worker's server end hears it.
        c.send_close(1000, 'bye')
        self.assertEqual(c.recv_close()[0], 1000)
        self.assertTrue(c.at_eof())
        self.assertTrue(self.wait_for_log('server end closed: 1000 bye clean=true'), self.serve.log()[-2000:])

    def test_worker_closes_the_socket(self):
        c = self.ws()
        self.assertEqual(c.recv_text(), 'welcome')
        c.send_text('close please')
        self.assertEqual(c.recv_close(), (4001, 'asked to'))
        self.assertTrue(c.at_eof())
        self.assertTrue(self.wait_for_log('server end closed: 4001 asked to clean=true'), self.serve.log()[-2000:])

    def test_websocket_outlives_the_wall_time_limit(self):
        c = self.ws()
        self.assertEqual(c.recv_text(), 'welcome')
        time.sleep(2.5)  # well past --wall-limit-ms 1000
        c.send_text('still there?')
        self.assertEqual(c.recv_text(), 'echo: still there?')
        # A listener that throws is reported, and the socket lives on.
        c.send_text('throw')
        c.send_text('after')
        self.assertEqual(c.recv_text(), 'echo: after')
        self.assertTrue(self.wait_for_log('thrown by a message listener'))
        c.send_close()
        self.assertEqual(c.recv_close()[0], 1000)

    def test_websocket_invocation_is_metered_when_it_closes(self):
        account = self.serve.create_account('metered')
        self.serve.deploy_js(account, 'app', WORKER)
        c = WebSocketClient(self.serve.public_port, host('app', account))
        self.addCleanup(c.close)
        self.assertEqual(c.recv_text(), 'welcome')
        c.send_text('abc')
        self.assertEqual(c.recv_text(), 'echo: abc')

        def usage():
            status, r = self.serve.api('GET', '/accounts/%s/workers/usage' % account['id'], token=account['token'])
            self.assertEqual(status, 200, r)
            return r['result']['total']

        time.sleep(1.3)
        self.assertEqual(usage()['requests'], 0, 'still in flight while the socket is open')
        c.send_close()
        self.assertEqual(c.recv_close()[0], 1000)
        deadline = time.time() + 5
        while usage()['requests'] == 0 and time.time() < deadline:
            time.sleep(0.05)
        total = usage()
        self.assertEqual(total['requests'], 1)
        self.assertEqual(total['errors'], 0)
        self.assertGreaterEqual(total['wall_ms'], 1300, 'wall time is the socket\'s life')
        self.assertGreaterEqual(total['bytes_in'], 3)
        self.assertEqual(total['bytes_out'], len('welcome') + len('echo: abc'))

    def test_a_message_over_1_mib_closes_with_1009(self):
        c = self.ws()
        self.assertEqual(c.recv_text(), 'welcome')
        # Only the header of a 2 MiB frame: the server refuses it as soon as it reads the length.
        c.sock.sendall(bytes([0x82, 0x80 | 127]) + struct.pack('!Q', 2 << 20) + os.urandom(4))
        self.assertEqual(c.recv_close()[0], 1009)
        self.assertTrue(self.wait_for_log('server end closed: 1009'), self.serve.log()[-2000:])

    def test_client_vanishing_is_an_abnormal_close(self):
        c = self.ws()
        self.assertEqual(c.recv_text(), 'welcome')
        c.sock.shutdown(socket.SHUT_RDWR)
        self.assertTrue(self.wait_for_log('server end closed: 1006  clean=false'), self.serve.log()[-2000:])

    def test_plain_request_to_a_websocket_worker(self):
        status, _, _, body = self.serve.get(host('app', self.acme), '/ws')
        self.assertEqual((status, body), (426, b'expected a WebSocket upgrade'))
        # A worker that answers 101 to a request that is no upgrade: refused by the runtime, logged.
        status, _, _, _ = self.serve.get(host('app', self.acme), '/ws-unchecked')
        self.assertEqual(status, 426)
        self.assertTrue(self.wait_for_log('answers a WebSocket upgrade request only'))
        self.assertTrue(self.wait_for_log('server end closed: 1006'))

    # ---- request.cf

    def test_request_cf(self):
        status, _, _, body = self.serve.get(host('app', self.acme), '/cf', headers={'Accept-Encoding': 'gzip'})
        self.assertEqual(status, 200)
        cf = json.loads(body)
        self.assertEqual(cf['colo'], 'islet')
        self.assertIsNone(cf['country'])
        self.assertEqual(cf['httpProtocol'], 'HTTP/1.1')
        self.assertEqual(cf['clientTcpRtt'], 0)
        self.assertEqual(cf['asn'], 0)
        self.assertEqual(cf['tlsVersion'], '')
        self.assertEqual(cf['clientAcceptEncoding'], 'gzip')

    # ---- caches

    def test_cache_hit_on_the_second_request_and_isolated_between_accounts(self):
        status, _, headers, body = self.serve.get(host('app', self.acme), '/cache?by=acme-1')
        self.assertEqual((status, body), (200, b'made by acme-1'))
        self.assertNotIn('cf-cache-status', headers)
        status, _, headers, body = self.serve.get(host('app', self.acme), '/cache?by=acme-2')
        self.assertEqual((status, body), (200, b'made by acme-1'))
        self.assertEqual(headers.get('cf-cache-status'), ['HIT'])
        # Another isolate of the same account (another script) sees it.
        status, _, headers, body = self.serve.get(host('reader', self.acme))
        self.assertEqual((status, body), (200, b'made by acme-1'))
        self.assertEqual(headers.get('cf-cache-status'), ['HIT'])
        # Another account, same script and key: its own cache.
        status, _, headers, body = self.serve.get(host('app', self.globex), '/cache?by=globex-1')
        self.assertEqual((status, body), (200, b'made by globex-1'))
        self.assertNotIn('cf-cache-status', headers)
        status, _, headers, body = self.serve.get(host('app', self.globex), '/cache?by=globex-2')
        self.assertEqual(body, b'made by globex-1')
        self.assertEqual(headers.get('cf-cache-status'), ['HIT'])
        # Deleting in one account leaves the other's entry.
        self.assertEqual(self.serve.get(host('app', self.globex), '/cache-delete')[3], b'true')
        self.assertEqual(self.serve.get(host('app', self.acme), '/cache?by=acme-3')[3], b'made by acme-1')
        self.assertEqual(self.serve.get(host('app', self.globex), '/cache?by=globex-3')[3], b'made by globex-3')

    # ---- unhandled rejections

    def test_unhandledrejection_listener_and_preventDefault(self):
        self.assertEqual(self.serve.get(host('app', self.acme), '/reject?kind=quiet&n=1')[0], 200)
        self.assertEqual(self.serve.get(host('app', self.acme), '/reject?kind=loud&n=2')[0], 200)
        self.assertTrue(self.wait_for_log('saw unhandledrejection: loud rejection 2'), self.serve.log()[-2000:])
        self.assertTrue(self.wait_for_log('Uncaught (in promise) Error: loud rejection 2'), self.serve.log()[-2000:])
        log = self.serve.log()
        self.assertIn('saw unhandledrejection: quiet rejection 1', log)
        self.assertNotIn('Uncaught (in promise) Error: quiet rejection 1', log)


if __name__ == '__main__':
    unittest.main()
