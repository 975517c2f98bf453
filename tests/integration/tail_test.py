"""Tails on `islet serve`: the WebSocket wrangler opens (its unmasked first frame, trace-v1, pings), the URL as the
only credential, events with console lines and exceptions, filters, DELETE, and the `islet tail` command."""
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import unittest
from urllib.parse import urlparse

from islet_process import ISLET
from serve_process import Serve

WORKER = r'''
export default {
  async fetch(request) {
    const url = new URL(request.url);
    console.log("hello from", url.pathname);
    if (url.pathname === "/throw") throw new RangeError("out of range");
    if (url.pathname === "/table") console.table([{ a: 1 }]);
    if (url.pathname === "/later") {
      await new Promise((resolve) => setTimeout(resolve, 5));
      console.warn("after a timer");
    }
    return new Response("ok " + url.pathname);
  },
};
'''


def frame(opcode, payload, mask=None):
    head = bytes([0x80 | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack('!H', n)
    else:
        head += bytes([bit | 127]) + struct.pack('!Q', n)
    if mask:
        return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


class TailSocket:
    """A bare WebSocket client, so the test controls every byte (wrangler's unmasked first frame included)."""

    def __init__(self, url, protocol='trace-v1'):
        u = urlparse(url)
        assert u.scheme == 'ws', url
        self.sock = socket.create_connection((u.hostname, u.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ['GET %s HTTP/1.1' % u.path, 'Host: %s' % u.netloc, 'Upgrade: websocket', 'Connection: Upgrade',
                 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: ' + key]
        if protocol:
            lines.append('Sec-WebSocket-Protocol: ' + protocol)
        self.sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode())
        self.buffer = b''
        while b'\r\n\r\n' not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b'\r\n\r\n')
        self.head = head.decode('latin-1')
        self.status = int(self.head.split(' ')[1]) if self.head else 0
        self.expected_accept = base64.b64encode(
            hashlib.sha1((key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()

    def send(self, opcode, payload, masked):
        self.sock.sendall(frame(opcode, payload, os.urandom(4) if masked else None))

    def recv_frame(self, timeout=10):
        self.sock.settimeout(timeout)
        while True:
            if len(self.buffer) >= 2:
                b0, b1 = self.buffer[0], self.buffer[1]
                n, pos = b1 & 0x7F, 2
                if n == 126 and len(self.buffer) >= 4:
                    n, pos = struct.unpack('!H', self.buffer[2:4])[0], 4
                elif n == 127 and len(self.buffer) >= 10:
                    n, pos = struct.unpack('!Q', self.buffer[2:10])[0], 10
                if n < 126 or pos > 2:
                    assert not b1 & 0x80, 'a server frame must not be masked'
                    if len(self.buffer) >= pos + n:
                        payload = self.buffer[pos:pos + n]
                        self.buffer = self.buffer[pos + n:]
                        return b0 & 0x0F, payload
            chunk = self.sock.recv(65536)
            if not chunk:
                return None, b''
            self.buffer += chunk

    def events(self, count, timeout=10):
        out, deadline = [], time.time() + timeout
        while len(out) < count and time.time() < deadline:
            try:
                opcode, payload = self.recv_frame(max(0.1, deadline - time.time()))
            except socket.timeout:
                break
            if opcode == 1:
                out.append(json.loads(payload))
            elif opcode is None:
                break
        return out

    def close(self):
        self.sock.close()


def handshake_status(url, protocol='trace-v1'):
    ws = TailSocket(url, protocol)
    ws.close()
    return ws.status


class Tails(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.serve = Serve()
        cls.acme = cls.serve.create_account('tail-co')
        cls.other = cls.serve.create_account('tail-other')
        cls.serve.deploy_js(cls.acme, 'app', WORKER)

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir, ignore_errors=True)

    def api(self, method, path, body=None, account=None):
        account = account or self.acme
        return self.serve.api(method, '/accounts/%s/workers/scripts%s' % (account['id'], path),
                              token=account['token'], body=body)

    def create_tail(self, filters=()):
        # The URL points back at the API through the host the caller reached it by.
        host = '127.0.0.1:%d' % self.serve.api_port
        status, r = self.serve.api('POST', '/accounts/%s/workers/scripts/app/tails' % self.acme['id'],
                                   token=self.acme['token'], body={'filters': list(filters)}, headers={'Host': host})
        self.assertEqual(status, 200, r)
        self.assertRegex(r['result']['expires_at'], r'^\d{4}-\d\d-\d\dT')
        self.assertRegex(r['result']['url'], r'^ws://%s/\S+/[0-9a-f]{64}$' % re.escape(host))
        return r['result']

    def hit(self, path, method='GET'):
        return self.serve.get('app.tail-co.islet.localhost', path, method=method)

    def test_wrangler_style_socket_gets_events_with_logs_and_exceptions(self):
        tail = self.create_tail()
        ws = TailSocket(tail['url'])
        try:
            self.assertEqual(ws.status, 101, ws.head)
            self.assertIn('Sec-WebSocket-Protocol: trace-v1', ws.head)
            self.assertIn('Sec-WebSocket-Accept: ' + ws.expected_accept, ws.head)
            # wrangler's first frame is unmasked; the server takes it.
            ws.send(1, b'{"debug":false}', masked=False)
            self.assertEqual(self.hit('/one')[3], b'ok /one')
            self.assertEqual(self.hit('/throw')[0], 500)
            self.assertEqual(self.hit('/later')[3], b'ok /later')
            events = ws.events(3)
            self.assertEqual(len(events), 3, events)
            one, thrown, later = events
            self.assertEqual(one['outcome'], 'ok')
            self.assertEqual(one['scriptName'], 'app')
            self.assertEqual(one['event']['request']['url'], 'http://app.tail-co.islet.localhost/one')
            self.assertEqual(one['event']['response'], {'status': 200})
            self.assertEqual([(l['level'], l['message']) for l in one['logs']], [('log', ['hello from /one'])])
            self.assertEqual(thrown['outcome'], 'exception')
            self.assertEqual([(x['name'], x['message']) for x in thrown['exceptions']], [('RangeError', 'out of range')])
            self.assertEqual([l['message'] for l in thrown['logs']], [['hello from /throw']])
            # A line logged after a timer, in the same request, belongs to it.
            self.assertEqual([(l['level'], l['message']) for l in later['logs']],
                             [('log', ['hello from /later']), ('warn', ['after a timer'])])
            # console.table draws with box-drawing characters (written as \u escapes in console.js).
            self.assertEqual(self.hit('/table')[3], b'ok /table')
            (table,) = ws.events(1)
            drawn = '\n'.join(str(m) for l in table['logs'] for m in l['message'])
            self.assertIn('\u250c', drawn)
            self.assertIn('\u2502 a', drawn)
            self.assertIn('\u2518', drawn)
            # wrangler's keep-alive: a ping with its payload, masked as a client sends it.
            ws.send(9, b'wrangler tail ping', masked=True)
            self.assertEqual(ws.recv_frame(), (10, b'wrangler tail ping'))
            status, r = self.api('GET', '/app/tails')
            self.assertEqual([(t['id'], t['connected']) for t in r['result']], [(tail['id'], True)])
            # DELETE ends the tail: the server closes the socket.
            self.assertEqual(self.api('DELETE', '/app/tails/' + tail['id'])[0], 200)
            opcode, payload = ws.recv_frame()
            self.assertEqual(opcode, 8)
            self.assertEqual(ws.recv_frame(), (None, b''))
            self.assertEqual(self.api('GET', '/app/tails')[1]['result'], [])
        finally:
            ws.close()

    def test_the_url_is_the_credential(self):
        tail = self.create_tail()
        wrong = re.sub(r'/[0-9a-f]{64}$', '/' + '0' * 64, tail['url'])
        self.assertNotEqual(wrong, tail['url'])
        self.assertEqual(handshake_status(wrong), 404)
        self.assertEqual(handshake_status(tail['url'], protocol=None), 400)  # trace-v1 must be offered
        ws = TailSocket(tail['url'])
        try:
            self.assertEqual(ws.status, 101)
            self.assertEqual(handshake_status(tail['url']), 404)  # one connection per tail
        finally:
            ws.close()
        # Closing the socket ends the tail; its URL is spent.
        deadline = time.time() + 5
        while self.api('GET', '/app/tails')[1]['result'] and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.api('GET', '/app/tails')[1]['result'], [])
        self.assertEqual(handshake_status(tail['url']), 404)
        # The API side is scoped like every other endpoint.
        status, r = self.serve.api('POST', '/accounts/%s/workers/scripts/app/tails' % self.acme['id'],
                                   token=self.other['token'], body={'filters': []})
        self.assertEqual(status, 403)
        status, r = self.api('POST', '/missing/tails', body={'filters': []})
        self.assertEqual((status, r['errors'][0]['code']), (404, 10007))
        status, r = self.api('POST', '/app/tails', body={'filters': [{'telepathy': True}]})
        self.assertEqual(status, 400)

    def test_filters_apply_on_the_server(self):
        tail = self.create_tail([{'method': ['POST']}, {'outcome': ['ok']}])
        ws = TailSocket(tail['url'])
        try:
            self.hit('/get-is-filtered')
            self.hit('/throw', method='POST')
            self.hit('/posted', method='POST')
            events = ws.events(1)
            self.assertEqual([e['event']['request']['url'].rsplit('/', 1)[1] for e in events], ['posted'])
            self.assertEqual(ws.events(1, timeout=0.5), [])
        finally:
            ws.close()

    def test_islet_tail_command(self):
        env = dict(os.environ, ISLET_API='http://127.0.0.1:%d' % self.serve.api_port, ISLET_API_TOKEN=self.acme['token'])
        proc = subprocess.Popen([ISLET, 'tail', 'app'], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        lines = []
        threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
        try:
            deadline = time.time() + 10
            while time.time() < deadline:
                status, r = self.api('GET', '/app/tails')
                if any(t['connected'] for t in r['result']):
                    break
                time.sleep(0.05)
            self.hit('/via-cli')
            while not lines and time.time() < deadline:
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(10)
        self.assertEqual(proc.returncode, 0, proc.stderr.read())
        self.assertTrue(lines, 'no event printed')
        event = json.loads(lines[0])
        self.assertEqual(event['event']['request']['url'], 'http://app.tail-co.islet.localhost/via-cli')
        self.assertEqual(event['logs'][0]['message'], ['hello from /via-cli'])
        self.assertEqual(self.api('GET', '/app/tails')[1]['result'], [])  # Ctrl-C deleted it


if __name__ == '__main__':
    unittest.main()
