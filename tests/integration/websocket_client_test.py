"""WebSockets a worker opens: fetch() with `Upgrade: websocket` and `new WebSocket(url)`, against a real WebSocket
server on loopback (a small RFC 6455 server below, which insists that the client masks its frames)."""
import base64
import hashlib
import json
import shutil
import socket
import socketserver
import struct
import threading
import unittest

from serve_process import Serve

GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'


class WsServer(socketserver.BaseRequestHandler):
    """/echo: says 'welcome', then echoes every message; a close is answered. Anything else: a plain 404."""
    unmasked = []  # frames that arrived unmasked (a client must mask)

    def recv_exact(self, n):
        data = b''
        while len(data) < n:
            piece = self.request.recv(n - len(data))
            if not piece:
                raise ConnectionError('closed')
            data += piece
        return data

    def send_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        head += bytes([n]) if n < 126 else bytes([126]) + struct.pack('>H', n) if n < 65536 else bytes([127]) + struct.pack('>Q', n)
        self.request.sendall(head + payload)

    def handle(self):
        data = b''
        while b'\r\n\r\n' not in data:
            data += self.request.recv(4096)
        lines = data.split(b'\r\n\r\n')[0].decode().split('\r\n')
        path = lines[0].split()[1]
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(':', 1) for l in lines[1:])}
        if path != '/echo' or headers.get('upgrade', '').lower() != 'websocket':
            self.request.sendall(b'HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot here\n')
            return
        accept = base64.b64encode(hashlib.sha1((headers['sec-websocket-key'] + GUID).encode()).digest()).decode()
        extra = ''
        if 'sec-websocket-protocol' in headers:
            extra = 'Sec-WebSocket-Protocol: %s\r\n' % headers['sec-websocket-protocol'].split(',')[-1].strip()
        self.request.sendall(('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                              'Sec-WebSocket-Accept: %s\r\n%s\r\n' % (accept, extra)).encode())
        self.send_frame(1, b'welcome')
        try:
            while True:
                b0, b1 = self.recv_exact(2)
                opcode, masked, n = b0 & 0x0F, b1 & 0x80, b1 & 0x7F
                if n == 126:
                    n = struct.unpack('>H', self.recv_exact(2))[0]
                elif n == 127:
                    n = struct.unpack('>Q', self.recv_exact(8))[0]
                if not masked:
                    WsServer.unmasked.append(opcode)
                mask = self.recv_exact(4) if masked else b'\0\0\0\0'
                payload = bytes(c ^ mask[i % 4] for i, c in enumerate(self.recv_exact(n)))
                if opcode == 8:
                    self.send_frame(8, payload[:2] or b'\x03\xe8')
                    return
                if opcode in (1, 2):
                    self.send_frame(opcode, payload)
        except ConnectionError:
            return


class ThreadingServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


WORKER = r'''
function collect(ws, sendSteps) {
  return new Promise((resolve) => {
    const events = [];
    ws.addEventListener('open', () => events.push('open'));
    ws.addEventListener('message', (e) => {
      const data = typeof e.data === 'string' ? e.data : 'bytes:' + new Uint8Array(e.data).join(',');
      events.push('message:' + data);
      const next = sendSteps.shift();
      if (next !== undefined) next(ws);
    });
    ws.addEventListener('error', (e) => events.push('error'));
    ws.addEventListener('close', (e) => {
      events.push('close:' + e.code + ':' + e.wasClean);
      resolve(events);
    });
  });
}
const steps = () => [
  (ws) => ws.send('hello upstream'),
  (ws) => ws.send(new Uint8Array([1, 2, 3])),
  (ws) => ws.close(1000, 'done'),
];

export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    const base = env.UPSTREAM;  // host:port
    switch (u.pathname) {
      case '/fetch': {
        const r = await fetch('http://' + base + '/echo', { headers: { Upgrade: 'websocket' } });
        const ws = r.webSocket;
        const done = collect(ws, steps());
        ws.accept();
        return Response.json({ status: r.status, events: await done });
      }
      case '/constructor': {
        const ws = new WebSocket('ws://' + base + '/echo', ['x-other', 'chat']);
        const state = [ws.readyState, ws.url];
        const events = await collect(ws, steps());
        return Response.json({ state, protocol: ws.protocol, events, readyState: ws.readyState });
      }
      case '/refused': {
        const r = await fetch('http://' + base + '/nope', { headers: { Upgrade: 'websocket' } });
        const ws = new WebSocket('ws://' + base + '/nope');
        const events = await collect(ws, []);
        return Response.json({ status: r.status, webSocket: r.webSocket, text: await r.text(), events });
      }
      case '/bad-url': {
        const out = [];
        for (const url of ['ftp://x/', 'ws://x/#frag', 'not a url']) {
          try { new WebSocket(url); out.push('made'); } catch (e) { out.push(e.name); }
        }
        return Response.json(out);
      }
      case '/many': {
        // Past the cap, a new socket fails (error, then close 1006) instead of opening.
        const sockets = Array.from({ length: 70 }, () => new WebSocket('ws://' + base + '/echo'));
        const outcomes = await Promise.all(sockets.map((ws) => new Promise((resolve) => {
          ws.addEventListener('open', () => { resolve('open'); ws.close(); });
          ws.addEventListener('error', (e) => resolve(/too many WebSockets/.test(e.message) ? 'refused' : e.message));
        })));
        const count = (k) => outcomes.filter((o) => o === k).length;
        return Response.json({ open: count('open'), refused: count('refused') });
      }
      case '/relay': {
        // A client's WebSocket joined to the upstream's: both directions through one worker.
        const [client, server] = Object.values(new WebSocketPair());
        const up = new WebSocket('ws://' + base + '/echo');
        server.accept();
        up.addEventListener('message', (e) => server.send(e.data));
        server.addEventListener('message', (e) => up.send(e.data));
        server.addEventListener('close', (e) => up.close(1000, 'client left'));
        up.addEventListener('close', () => server.close(1000, 'upstream left'));
        return new Response(null, { status: 101, webSocket: client });
      }
      default:
        return new Response('?', { status: 404 });
    }
  },
};
'''


def masked_frame(opcode, payload):
    mask = b'\x11\x22\x33\x44'
    n = len(payload)
    head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack('>H', n))
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def read_frame(sock):
    def exact(n):
        data = b''
        while len(data) < n:
            piece = sock.recv(n - len(data))
            if not piece:
                raise ConnectionError('closed')
            data += piece
        return data
    b0, b1 = exact(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack('>H', exact(2))[0]
    return b0 & 0x0F, exact(n)


class OutgoingWebSockets(unittest.TestCase):
    HOST = 'ws.wsc.islet.localhost'

    @classmethod
    def setUpClass(cls):
        cls.upstream = ThreadingServer(('127.0.0.1', 0), WsServer)
        threading.Thread(target=cls.upstream.serve_forever, daemon=True).start()
        cls.serve = Serve(extra=('--allow-private-subrequests',))
        acc = cls.serve.create_account('wsc')
        cls.serve.deploy_js(acc, 'ws', WORKER, [{'type': 'plain_text', 'name': 'UPSTREAM',
                                                 'text': '127.0.0.1:%d' % cls.upstream.server_address[1]}])

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir)
        cls.upstream.shutdown()

    def get_json(self, path):
        status, _, _, body = self.serve.get(self.HOST, path)
        self.assertEqual(status, 200, (body, self.serve.log()[-1500:]))
        return json.loads(body)

    def test_fetch_upgrade_gives_an_accepted_socket(self):
        WsServer.unmasked.clear()
        r = self.get_json('/fetch')
        self.assertEqual(r, {'status': 101, 'events': [
            'message:welcome', 'message:hello upstream', 'message:bytes:1,2,3', 'close:1000:true']})
        self.assertEqual(WsServer.unmasked, [])  # every frame islet sent was masked

    def test_new_websocket_opens_by_itself(self):
        r = self.get_json('/constructor')
        port = self.upstream.server_address[1]
        self.assertEqual(r['state'], [0, 'ws://127.0.0.1:%d/echo' % port])
        self.assertEqual(r['protocol'], 'chat')
        self.assertEqual(r['events'], ['open', 'message:welcome', 'message:hello upstream', 'message:bytes:1,2,3',
                                       'close:1000:true'])
        self.assertEqual(r['readyState'], 3)

    def test_a_refused_upgrade(self):
        r = self.get_json('/refused')
        self.assertEqual(r['status'], 404)
        self.assertIsNone(r['webSocket'])
        self.assertEqual(r['text'], 'not here\n')
        self.assertEqual(r['events'], ['error', 'close:1006:false'])

    def test_bad_urls_are_syntax_errors(self):
        self.assertEqual(self.get_json('/bad-url'), ['SyntaxError'] * 3)

    def test_a_worker_may_hold_64_sockets_of_its_own(self):
        self.assertEqual(self.get_json('/many'), {'open': 64, 'refused': 6})

    def test_a_worker_relays_a_client_socket_to_an_upstream(self):
        s = socket.create_connection(('127.0.0.1', self.serve.public_port), timeout=10)
        try:
            s.sendall(('GET /relay HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                       'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
                       % self.HOST).encode())
            head = b''
            while b'\r\n\r\n' not in head:
                head += s.recv(1)
            self.assertTrue(head.startswith(b'HTTP/1.1 101'), head)
            self.assertEqual(read_frame(s), (1, b'welcome'))  # from the upstream, through the worker
            s.sendall(masked_frame(1, b'round trip'))
            self.assertEqual(read_frame(s), (1, b'round trip'))
            s.sendall(masked_frame(8, struct.pack('>H', 1000)))
            opcode, _ = read_frame(s)
            self.assertEqual(opcode, 8)
        finally:
            s.close()


if __name__ == '__main__':
    unittest.main()
