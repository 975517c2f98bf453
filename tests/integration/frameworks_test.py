"""Real frameworks, unmodified: hono and itty-router from the npm registry, bundled by `islet deploy` with esbuild,
deployed to a real `islet serve`, checked over real HTTP. Also a TypeScript worker, `islet dev` re-bundling on a
change, and the message when esbuild cannot be had.

The packages are installed once into tests/integration/.cache/frameworks (ignored by git) and reused; when the
registry cannot be reached the tests are skipped with npm's reason.
"""
import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from islet_process import ISLET, WORKERS, Islet
from serve_process import Serve

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, '.cache', 'frameworks')
PACKAGES = ['hono@4', 'itty-router@5', 'esbuild@0.x']
# islet's own esbuild cache for projects outside CACHE (XDG_CACHE_HOME/islet/esbuild), also kept between runs.
XDG_CACHE = os.path.join(CACHE, 'xdg')
JWT_SECRET = b'it-is-very-secret'


def install_packages():
    """Installs PACKAGES into CACHE unless they are there; returns why not, or None."""
    have = all(os.path.exists(os.path.join(CACHE, 'node_modules', p, 'package.json'))
               for p in ('hono', 'itty-router', 'esbuild'))
    if have:
        return None
    if not shutil.which('npm'):
        return 'npm is not installed'
    os.makedirs(CACHE, exist_ok=True)
    try:
        r = subprocess.run(['npm', 'install', '--prefix', CACHE, '--no-audit', '--no-fund', '--loglevel=error',
                            *PACKAGES], capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        return 'npm install timed out (is the npm registry reachable?)'
    if r.returncode != 0:
        return 'npm install %s failed (is the npm registry reachable?): %s' % (' '.join(PACKAGES), r.stderr[-800:])
    return None


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def hs256_token(payload, secret=JWT_SECRET):
    head = b64url(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())
    body = b64url(json.dumps(payload).encode())
    sig = hmac.new(secret, ('%s.%s' % (head, body)).encode(), hashlib.sha256).digest()
    return '%s.%s.%s' % (head, body, b64url(sig))


class FrameworksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = install_packages()
        if reason:
            raise unittest.SkipTest(reason)
        cls.serve = Serve()
        cls.account = cls.serve.create_account('fw')
        # Projects live below CACHE, so esbuild and the packages are found in its node_modules, as in a real project.
        cls.apps = tempfile.mkdtemp(prefix='apps-', dir=CACHE)

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir, ignore_errors=True)
        shutil.rmtree(cls.apps, ignore_errors=True)

    # ---- helpers ----

    def cli_env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith('ISLET_') and k != 'XDG_CACHE_HOME'}
        env.update(ISLET_API='http://127.0.0.1:%d' % self.serve.api_port, ISLET_API_TOKEN=self.account['token'],
                   XDG_CACHE_HOME=XDG_CACHE)
        env.update(extra)
        return env

    def deploy(self, project, *args, **env):
        r = subprocess.run([ISLET, 'deploy', project, *args], env=self.cli_env(**env), capture_output=True,
                           text=True, timeout=180)
        self.assertEqual(r.returncode, 0, 'islet deploy %s failed:\n%s\n%s' % (project, r.stdout, r.stderr))
        return r

    def project(self, name):
        dest = os.path.join(self.apps, name)
        shutil.copytree(os.path.join(WORKERS, name), dest)
        return dest

    def request(self, script, path, method='GET', headers=None, body=b''):
        host = '%s.%s.islet.localhost' % (script, self.account['name'])
        status, _, headers, data = self.serve.get(host, path, method=method, body=body, headers=headers)
        return status, {k: v[-1] for k, v in headers.items()}, data

    def get_json(self, script, path, **kw):
        status, headers, body = self.request(script, path, **kw)
        self.assertIn('application/json', headers.get('content-type', ''), body)
        return status, json.loads(body)

    # ---- tests ----

    def test_hono(self):
        self.deploy(self.project('hono-app'), '--name', 'hono')
        self.assertEqual(self.request('hono', '/')[::2], (200, b'hello from hono'))

        # Routing with params, query, JSON in and out, notFound.
        self.assertEqual(self.get_json('hono', '/users/42/posts/7?q=find%20me'),
                         (200, {'user': '42', 'post': 7, 'q': 'find me'}))
        self.assertEqual(self.get_json('hono', '/echo', method='POST', body=b'{"a": [1, 2]}',
                                       headers={'Content-Type': 'application/json'}),
                         (201, {'got': {'a': [1, 2]}, 'type': 'application/json'}))
        self.assertEqual(self.get_json('hono', '/no/such/route'), (404, {'error': 'no route', 'path': '/no/such/route'}))

        # hono/cors: the preflight and the actual request.
        status, headers, _ = self.request('hono', '/api/data', method='OPTIONS', headers={
            'Origin': 'https://app.example', 'Access-Control-Request-Method': 'PUT',
            'Access-Control-Request-Headers': 'X-Custom'})
        self.assertEqual(status, 204)
        self.assertEqual(headers['access-control-allow-origin'], 'https://app.example')
        self.assertEqual(headers['access-control-allow-methods'], 'GET,PUT')
        self.assertEqual(headers['access-control-allow-headers'], 'X-Custom')
        self.assertEqual(headers['access-control-max-age'], '600')
        self.assertEqual(headers['access-control-allow-credentials'], 'true')
        status, headers, body = self.request('hono', '/api/data', headers={'Origin': 'https://app.example'})
        self.assertEqual((status, json.loads(body)), (200, {'data': [1, 2, 3]}))
        self.assertEqual(headers['access-control-allow-origin'], 'https://app.example')

        # hono/etag: a SHA-1 of the body through crypto.subtle.digest, and 304 when it matches.
        status, headers, body = self.request('hono', '/etag/doc')
        self.assertEqual((status, body), (200, b'a document whose tag is its digest'))
        self.assertEqual(headers['etag'], '"%s"' % hashlib.sha1(body).hexdigest())
        status, headers2, body = self.request('hono', '/etag/doc', headers={'If-None-Match': headers['etag']})
        self.assertEqual((status, body, headers2['etag']), (304, b'', headers['etag']))
        self.assertEqual(self.request('hono', '/etag/doc', headers={'If-None-Match': '"other"'})[0], 200)

        # hono/basic-auth: atob and a timing-safe compare (crypto.subtle again).
        status, headers, _ = self.request('hono', '/admin/panel')
        self.assertEqual(status, 401)
        self.assertIn('Basic', headers['www-authenticate'])
        wrong = 'Basic ' + base64.b64encode(b'ada:babbage').decode()
        self.assertEqual(self.request('hono', '/admin/panel', headers={'Authorization': wrong})[0], 401)
        right = 'Basic ' + base64.b64encode(b'ada:lovelace').decode()
        self.assertEqual(self.request('hono', '/admin/panel', headers={'Authorization': right})[::2],
                         (200, b'welcome, admin'))

        # hono/jwt: HS256 through crypto.subtle, a token signed here and one the app signs itself.
        self.assertEqual(self.request('hono', '/private/me')[0], 401)
        claims = {'sub': 'python', 'exp': int(time.time()) + 600}
        bearer = {'Authorization': 'Bearer ' + hs256_token(claims)}
        self.assertEqual(self.get_json('hono', '/private/me', headers=bearer), (200, claims))
        forged = {'Authorization': 'Bearer ' + hs256_token(claims, secret=b'not-the-secret')}
        self.assertEqual(self.request('hono', '/private/me', headers=forged)[0], 401)
        expired = {'Authorization': 'Bearer ' + hs256_token({'sub': 'python', 'exp': int(time.time()) - 60})}
        self.assertEqual(self.request('hono', '/private/me', headers=expired)[0], 401)
        status, _, token = self.request('hono', '/token')
        self.assertEqual(status, 200)
        status, payload = self.get_json('hono', '/private/me', headers={'Authorization': 'Bearer ' + token.decode()})
        self.assertEqual((status, payload['sub'], payload['role']), (200, 'user-7', 'reader'))

        # Streaming: hono/streaming's streamText (with sleeps between writes), c.body(ReadableStream), stream().
        status, headers, body = self.request('hono', '/stream')
        self.assertEqual(status, 200)
        self.assertEqual(headers.get('transfer-encoding'), 'chunked')
        self.assertEqual(body, b''.join(b'chunk %d\n' % i for i in range(5)))
        self.assertEqual(self.request('hono', '/body-stream')[::2], (200, b'alpha beta gamma'))
        self.assertEqual(self.request('hono', '/raw-stream')[::2], (200, b'hi'))

    def test_itty_router(self):
        self.deploy(self.project('itty-app'), '--name', 'itty')
        status, headers, body = self.request('itty', '/')
        self.assertEqual((status, body), (200, b'hello from itty'))
        self.assertEqual(headers['access-control-allow-origin'], 'https://app.example')
        self.assertEqual(self.get_json('itty', '/hello/world'), (200, {'hello': 'world'}))
        self.assertEqual(self.get_json('itty', '/items/9?sort=asc'), (200, {'id': '9', 'sort': 'asc'}))
        self.assertEqual(self.get_json('itty', '/echo', method='POST', body=b'{"x": [1]}'), (200, {'echoed': {'x': [1]}}))
        self.assertEqual(self.get_json('itty', '/teapot'), (418, {'status': 418, 'error': 'short and stout'}))
        self.assertEqual(self.get_json('itty', '/missing'), (404, {'status': 404, 'error': 'Not Found'}))
        status, headers, _ = self.request('itty', '/hello/x', method='OPTIONS', headers={
            'Origin': 'https://app.example', 'Access-Control-Request-Method': 'GET'})
        self.assertEqual(status, 204)
        self.assertEqual(headers['access-control-allow-origin'], 'https://app.example')

    def test_typescript_worker_outside_any_node_modules(self):
        # No node_modules above a temp folder: islet finds esbuild in its cache, installing it there the first time.
        tmp = tempfile.mkdtemp(prefix='islet-ts-')
        try:
            project = os.path.join(tmp, 'ts-worker')
            shutil.copytree(os.path.join(WORKERS, 'ts-worker'), project)
            installed = os.path.exists(os.path.join(XDG_CACHE, 'islet', 'esbuild', 'node_modules', '.bin', 'esbuild'))
            r = self.deploy(project)
            if not installed:
                self.assertIn('npm install --prefix %s' % os.path.join(XDG_CACHE, 'islet', 'esbuild'), r.stderr)
            self.assertIn('deployed ts-worker', r.stdout)
            self.assertEqual(self.get_json('ts-worker', '/'),
                             (200, {'text': 'hi from typescript', 'lang': 'ts', 'volume': 'normal'}))
            self.assertEqual(self.get_json('ts-worker', '/?loud'),
                             (200, {'text': 'HI FROM TYPESCRIPT', 'lang': 'ts', 'volume': 'loud'}))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_dev_rebundles_on_change(self):
        project = os.path.join(self.apps, 'dev-app')
        os.makedirs(project)
        with open(os.path.join(project, 'index.js'), 'w') as f:
            f.write("import { Hono } from 'hono';\nimport { word } from './word.js';\n"
                    "const app = new Hono();\napp.get('/:name', (c) => c.text(`${word}, ${c.req.param('name')}`));\n"
                    "export default app;\n")
        word = os.path.join(project, 'word.js')
        with open(word, 'w') as f:
            f.write("export const word = 'hello';\n")
        dev = Islet('dev', project, '--port', '0', '--threads', '1')
        try:
            self.assertEqual(dev.request('GET', '/ada')[::3], (200, b'hello, ada'))
            time.sleep(1.1)  # a coarse file clock must see a new modification time
            with open(word, 'w') as f:
                f.write("export const word = 'goodbye';\n")
            self.assertTrue(dev.wait_for_log('reloaded dev-app', timeout=20), dev.log())
            self.assertEqual(dev.request('GET', '/ada')[::3], (200, b'goodbye, ada'))
            # A change that does not bundle is reported; the previous version keeps serving.
            with open(word, 'w') as f:
                f.write("export const word = ;\n")
            self.assertTrue(dev.wait_for_log(r'esbuild could not bundle[\s\S]*word\.js', timeout=20), dev.log())
            self.assertEqual(dev.request('GET', '/ada')[::3], (200, b'goodbye, ada'))
        finally:
            dev.stop()

    def test_no_esbuild_and_no_npm(self):
        tmp = tempfile.mkdtemp(prefix='islet-nonpm-')
        try:
            project = os.path.join(tmp, 'needs-a-package')
            os.makedirs(project)
            with open(os.path.join(project, 'index.js'), 'w') as f:
                f.write("import { Hono } from 'hono';\nexport default new Hono();\n")
            env = self.cli_env(PATH='/nonexistent', XDG_CACHE_HOME=os.path.join(tmp, 'cache'))
            r = subprocess.run([ISLET, 'deploy', project], env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn("index.js imports 'hono'", r.stderr)
            self.assertIn('npm install --save-dev esbuild', r.stderr)
            # A project with relative imports only needs no bundler, esbuild or not.
            with open(os.path.join(project, 'index.js'), 'w') as f:
                f.write("import { x } from './x.js';\nexport default { fetch() { return new Response(x); } };\n")
            with open(os.path.join(project, 'x.js'), 'w') as f:
                f.write("export const x = 'plain';\n")
            r = subprocess.run([ISLET, 'deploy', project, '--name', 'plain'], env=env, capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r)
            self.assertEqual(self.request('plain', '/')[::2], (200, b'plain'))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    unittest.main()
