"""`islet serve` for integration tests: starts it on free ports, and a small client for the management API."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import uuid

from islet_process import ISLET, build_request, read_response
import socket


class Serve:
    def __init__(self, data_dir=None, public='127.0.0.1:0', api='127.0.0.1:0', extra=()):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix='islet-data-')
        self.log_path = os.path.join(self.data_dir, 'test.log')
        self._log = open(self.log_path, 'a')
        self.proc = subprocess.Popen([ISLET, 'serve', '--data', self.data_dir, '--listen', public, '--api', api, *extra],
                                     stdout=subprocess.PIPE, stderr=self._log, text=True)
        lines = [self.proc.stdout.readline() for _ in range(3)]
        text = ''.join(lines)
        m_pub = re.search(r'public traffic at http://127\.0\.0\.1:(\d+)/', text)
        m_api = re.search(r'management API at http://127\.0\.0\.1:(\d+)/', text)
        if not m_pub or not m_api:
            self.proc.kill()
            raise RuntimeError('islet serve did not start: %r\n%s' % (text, self.log()))
        self.public_port = int(m_pub.group(1))
        self.api_port = int(m_api.group(1))
        with open(os.path.join(self.data_dir, 'admin-token')) as f:
            self.admin_token = f.read().strip()

    def log(self):
        self._log.flush()
        with open(self.log_path) as f:
            return f.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        """Leaving `with Serve(...) as serve:` stops islet and removes its data directory."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()
        self._log.close()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc.stdout.close()
        self._log.close()

    def api(self, method, path, token=None, body=None, headers=None, raw=False):
        """Calls /client/v4 + path; returns (status, parsed JSON or raw bytes)."""
        headers = dict(headers or {})
        if token is not False:
            headers['Authorization'] = 'Bearer ' + (token or self.admin_token)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault('Content-Type', 'application/json')
        s = socket.create_connection(('127.0.0.1', self.api_port), timeout=30)
        try:
            s.sendall(build_request(method, '/client/v4' + path, headers, body or b''))
            status, _, _, data = read_response(s, method)
        finally:
            s.close()
        return status, (data if raw else json.loads(data))

    def get(self, host, path='/', method='GET', body=b'', headers=None):
        headers = dict(headers or {})
        headers['Host'] = host
        s = socket.create_connection(('127.0.0.1', self.public_port), timeout=30)
        try:
            s.sendall(build_request(method, path, headers, body))
            return read_response(s, method)
        finally:
            s.close()

    def metrics(self):
        """The Prometheus text of GET /metrics on the API listener; asserts it answered 200."""
        s = socket.create_connection(('127.0.0.1', self.api_port), timeout=10)
        try:
            s.sendall(build_request('GET', '/metrics'))
            status, _, _, body = read_response(s)
        finally:
            s.close()
        assert status == 200, status
        return body.decode()

    def metric(self, name):
        """One value of /metrics by its full name, e.g. metric('islet_workers_loaded') or metric('x{from="pool"}')."""
        return float(re.search(r'^%s (\S+)$' % re.escape(name), self.metrics(), re.M).group(1))

    # -- conveniences --
    def create_account(self, name):
        status, r = self.api('POST', '/accounts', body={'name': name})
        assert status == 200 and r['success'], r
        account = r['result']
        status, r = self.api('POST', '/accounts/%s/tokens' % account['id'], body={'name': 'ci'})
        assert status == 200, r
        account['token'] = r['result']['value']
        return account

    def upload(self, account, name, modules, metadata, method='PUT', path_suffix=''):
        """modules: list of (name, content_type, bytes). Returns (status, json)."""
        body, ctype = multipart([('metadata', 'application/json', json.dumps(metadata).encode(), None)] +
                                [(n, t, d, n) for n, t, d in modules])
        return self.api(method, '/accounts/%s/workers/scripts/%s%s' % (account['id'], name, path_suffix),
                        token=account['token'], body=body, headers={'Content-Type': ctype})

    def deploy_js(self, account, name, source, bindings=None):
        status, r = self.upload(account, name, [('index.js', 'application/javascript+module', source.encode())],
                                {'main_module': 'index.js', 'bindings': bindings or []})
        assert status == 200, r
        return r['result']


def multipart(parts):
    boundary = 'b-' + uuid.uuid4().hex
    out = b''
    for name, ctype, data, filename in parts:
        disp = 'form-data; name="%s"' % name + ('; filename="%s"' % filename if filename else '')
        out += ('--%s\r\nContent-Disposition: %s\r\nContent-Type: %s\r\n\r\n' % (boundary, disp, ctype)).encode()
        out += data + b'\r\n'
    out += ('--%s--\r\n' % boundary).encode()
    return out, 'multipart/form-data; boundary=' + boundary
