"""Starts build/islet as a real process on a free port and talks raw HTTP/1.1 to it (stdlib only)."""
import os
import re
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ISLET = os.environ.get('ISLET_BIN', os.path.join(ROOT, 'build', 'islet'))
WORKERS = os.path.join(ROOT, 'tests', 'integration', 'workers')


class Islet:
    """`islet dev PATH --port 0 ...`; collects its output; stop() ends it."""

    def __init__(self, *args):
        self.log_path = tempfile.mktemp(prefix='islet-log-')
        self._log = open(self.log_path, 'w+')
        self.proc = subprocess.Popen([ISLET, *args], stdout=subprocess.PIPE, stderr=self._log, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r'http://127\.0\.0\.1:(\d+)/', line)
        if not m:
            self.proc.kill()
            raise RuntimeError('islet did not start: %r\n%s' % (line, self.log()))
        self.port = int(m.group(1))
        self._drain = threading.Thread(target=self.proc.stdout.read, daemon=True)
        self._drain.start()

    def log(self):
        self._log.flush()
        with open(self.log_path) as f:
            return f.read()

    def wait_for_log(self, pattern, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.log()):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        os.unlink(self.log_path)

    def connect(self, timeout=10):
        s = socket.create_connection(('127.0.0.1', self.port), timeout=timeout)
        return s

    def request(self, method, path, headers=None, body=b'', timeout=10):
        """One request on a fresh connection; returns (status, reason, headers dict of lists, body)."""
        s = self.connect(timeout)
        try:
            s.sendall(build_request(method, path, headers, body))
            return read_response(s, method)
        finally:
            s.close()


def build_request(method, path, headers=None, body=b''):
    headers = dict(headers or {})
    headers.setdefault('Host', 'localhost')
    if body or method in ('POST', 'PUT'):
        headers.setdefault('Content-Length', str(len(body)))
    head = '%s %s HTTP/1.1\r\n' % (method, path) + ''.join('%s: %s\r\n' % kv for kv in headers.items()) + '\r\n'
    return head.encode('latin-1') + body


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError('connection closed')
        self.buf += chunk

    def line(self):
        while b'\r\n' not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


_readers = {}


def read_response(sock, method='GET'):
    """Reads one response from sock (keeps unread bytes per socket for pipelining)."""
    r = _readers.setdefault(id(sock), Reader(sock))
    status_line = r.line().decode('latin-1')
    version, status, reason = (status_line.split(' ', 2) + [''])[:3]
    assert version == 'HTTP/1.1', status_line
    headers = {}
    while True:
        line = r.line()
        if not line:
            break
        name, value = line.decode('latin-1').split(':', 1)
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    status = int(status)
    body = b''
    if method != 'HEAD' and status not in (204, 304) and status >= 200:
        if 'content-length' in headers:
            body = r.exactly(int(headers['content-length'][0]))
        elif 'transfer-encoding' in headers:
            while True:
                size = int(r.line().split(b';')[0], 16)
                if size == 0:
                    r.line()
                    break
                body += r.exactly(size)
                r.line()
    return status, reason, headers, body
