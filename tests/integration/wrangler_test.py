"""The real wrangler (4.86.0, from the npm registry) against `islet serve`, unchanged: deploy (first and later),
versions list, rollback, kv key put/get, secret put and tail — checked by what the worker then serves.

wrangler is installed once into tests/integration/.cache/wrangler and reused; the test is skipped when Node.js is
older than 20.3 or the install fails (no registry)."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from serve_process import Serve

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, '.cache', 'wrangler')
WRANGLER_VERSION = '4.86.0'
WRANGLER = os.path.join(CACHE, 'node_modules', 'wrangler', 'bin', 'wrangler.js')


def node_version():
    try:
        out = subprocess.run(['node', '--version'], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.match(r'v(\d+)\.(\d+)', out.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def ensure_wrangler():
    """Installs wrangler into the cache unless it is there already; returns a reason to skip, or None."""
    version = node_version()
    if version is None:
        return 'Node.js is not installed'
    if version < (20, 3):
        return 'wrangler %s needs Node.js 20.3 or newer (found %d.%d)' % (WRANGLER_VERSION, *version)
    try:
        with open(os.path.join(CACHE, 'node_modules', 'wrangler', 'package.json')) as f:
            if json.load(f).get('version') == WRANGLER_VERSION:
                return None
    except (OSError, ValueError):
        pass
    os.makedirs(CACHE, exist_ok=True)
    try:
        r = subprocess.run(['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', CACHE,
                            'wrangler@' + WRANGLER_VERSION], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 'npm install wrangler@%s failed: %s' % (WRANGLER_VERSION, e)
    if r.returncode != 0 or not os.path.exists(WRANGLER):
        return 'npm install wrangler@%s failed: %s' % (WRANGLER_VERSION, (r.stderr or r.stdout)[-500:])
    return None


WORKER = r'''
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    console.log("path", url.pathname);
    if (url.pathname === "/kv") return new Response((await env.KV.get(url.searchParams.get("key"))) ?? "missing");
    if (url.pathname === "/env") return Response.json({ greeting: env.GREETING, secret: env.API_SECRET ?? null });
    if (url.pathname === "/throw") throw new TypeError("boom");
    return new Response("VERSION %d");
  },
  async scheduled(event) { console.log("cron", event.cron); },
};
'''


class Wrangler(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = ensure_wrangler()
        if reason:
            raise unittest.SkipTest(reason)
        cls.serve = Serve()
        cls.account = cls.serve.create_account('wrangler-co')
        status, r = cls.serve.api('POST', '/accounts/%s/storage/kv/namespaces' % cls.account['id'],
                                  token=cls.account['token'], body={'title': 'things'})
        assert status == 200, r
        cls.namespace = r['result']['id']
        cls.home = tempfile.mkdtemp(prefix='islet-wrangler-home-')
        cls.project = tempfile.mkdtemp(prefix='islet-wrangler-project-')
        os.makedirs(os.path.join(cls.project, 'src'))
        with open(os.path.join(cls.project, 'wrangler.toml'), 'w') as f:
            f.write('name = "shop"\nmain = "src/index.js"\ncompatibility_date = "2024-09-01"\n\n'
                    '[vars]\nGREETING = "hello from vars"\n\n'
                    '[[kv_namespaces]]\nbinding = "KV"\nid = "%s"\n\n'
                    '[triggers]\ncrons = ["*/30 * * * *"]\n' % cls.namespace)
        cls.write_worker(1)
        # The whole move to islet: where the API is, a tenant token and the account, and no calls home.
        cls.env = dict(os.environ,
                       CLOUDFLARE_API_BASE_URL='http://127.0.0.1:%d/client/v4' % cls.serve.api_port,
                       CLOUDFLARE_API_TOKEN=cls.account['token'],
                       CLOUDFLARE_ACCOUNT_ID=cls.account['id'],
                       WRANGLER_SEND_METRICS='false',
                       WRANGLER_SEND_ERROR_REPORTS='false',
                       WRANGLER_HIDE_BANNER='true',
                       HOME=cls.home,
                       XDG_CONFIG_HOME=os.path.join(cls.home, '.config'),
                       WRANGLER_LOG_PATH=os.path.join(cls.home, 'logs'),
                       NO_COLOR='1')
        cls.env.pop('CLOUDFLARE_API_KEY', None)
        cls.env.pop('CLOUDFLARE_EMAIL', None)

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir, ignore_errors=True)
        shutil.rmtree(cls.project, ignore_errors=True)
        shutil.rmtree(cls.home, ignore_errors=True)

    @classmethod
    def write_worker(cls, version):
        with open(os.path.join(cls.project, 'src', 'index.js'), 'w') as f:
            f.write(WORKER % version)

    def wrangler(self, *args, stdin=None):
        r = subprocess.run(['node', WRANGLER, *args], cwd=self.project, env=self.env, input=stdin or '',
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, 'wrangler %s failed:\n%s\n%s\n--- islet log ---\n%s' %
                         (' '.join(args), r.stdout, r.stderr, self.serve.log()[-3000:]))
        return r.stdout

    def get(self, path):
        status, _, _, body = self.serve.get('shop.wrangler-co.islet.localhost', path)
        return status, body

    def api(self, method, path, body=None):
        return self.serve.api(method, '/accounts/%s%s' % (self.account['id'], path), token=self.account['token'], body=body)

    def test_wrangler_end_to_end(self):
        # deploy, first time: the script does not exist yet (PUT of the whole script, schedules, subdomain).
        out = self.wrangler('deploy')
        first_version = re.search(r'Current Version ID: ([0-9a-f-]{36})', out)
        self.assertIsNotNone(first_version, out)
        self.assertEqual(self.get('/'), (200, b'VERSION 1'))
        self.assertEqual(json.loads(self.get('/env')[1]), {'greeting': 'hello from vars', 'secret': None})
        status, r = self.api('GET', '/workers/scripts/shop/schedules')
        self.assertEqual([s['cron'] for s in r['result']['schedules']], ['*/30 * * * *'])

        # secret put: the value from stdin, live on the next request.
        self.wrangler('secret', 'put', 'API_SECRET', stdin='s3cr3t-value\n')
        self.assertEqual(json.loads(self.get('/env')[1]), {'greeting': 'hello from vars', 'secret': 's3cr3t-value'})
        status, r = self.api('GET', '/workers/scripts/shop/secrets')
        self.assertEqual(r['result'], [{'name': 'API_SECRET', 'type': 'secret_text'}])

        # deploy, later: a new version through the versions API, then a deployment; the secret carries over.
        self.write_worker(2)
        out = self.wrangler('deploy')
        self.assertIn('Current Version ID:', out)
        self.assertEqual(self.get('/'), (200, b'VERSION 2'))
        self.assertEqual(json.loads(self.get('/env')[1])['secret'], 's3cr3t-value')

        # versions list: v1, the secret's version, v2.
        versions = json.loads(self.wrangler('versions', 'list', '--json'))
        self.assertEqual(len(versions), 3, versions)
        for v in versions:
            self.assertRegex(v['metadata']['created_on'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d')
            self.assertNotIn('s3cr3t-value', json.dumps(v))  # secrets never come back
        self.assertIn(first_version.group(1).replace('-', ''), [v['id'] for v in versions])

        # rollback: to the version before the live one (v1's code with the secret).
        self.wrangler('rollback', '-y', '--message', 'bad release')
        self.assertEqual(self.get('/'), (200, b'VERSION 1'))
        self.assertEqual(json.loads(self.get('/env')[1])['secret'], 's3cr3t-value')
        status, r = self.api('GET', '/workers/scripts/shop/deployments')
        newest = r['result']['deployments'][0]
        self.assertEqual(newest['annotations']['workers/message'], 'bad release')
        self.assertIsInstance(newest['versions'][0]['percentage'], (int, float))

        # kv key put --remote, read through the worker's binding and back through wrangler.
        self.wrangler('kv', 'key', 'put', '--remote', '--binding', 'KV', 'greeting key/1', 'from wrangler')
        self.assertEqual(self.get('/kv?key=greeting%20key/1'), (200, b'from wrangler'))
        self.assertEqual(self.wrangler('kv', 'key', 'get', '--remote', '--binding', 'KV', 'greeting key/1').strip(),
                         'from wrangler')

        # tail: events for requests while it runs, with their console lines and exceptions.
        self.check_tail()

    def check_tail(self):
        # Its own process group: bin/wrangler.js runs the CLI in a child process, and both must go at the end.
        proc = subprocess.Popen(['node', WRANGLER, 'tail', '--format', 'json'], cwd=self.project, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        events, stderr = [], []
        threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True).start()

        def read_events():
            decoder, buffer = json.JSONDecoder(), ''
            for line in proc.stdout:
                buffer += line
                try:
                    event, end = decoder.raw_decode(buffer.strip())
                except ValueError:
                    continue
                events.append(event)
                buffer = ''
        threading.Thread(target=read_events, daemon=True).start()
        try:
            deadline = time.time() + 30
            while not re.search(r'tail [0-9a-f]+ of shop opened', self.serve.log()):
                self.assertIsNone(proc.poll(), 'wrangler tail exited: %s' % stderr)
                self.assertLess(time.time(), deadline, 'wrangler tail never connected')
                time.sleep(0.1)
            deadline = time.time() + 20
            while len(events) < 2 and time.time() < deadline:
                self.get('/tailed?n=1')
                self.get('/throw')
                time.sleep(0.5)
        finally:
            # Ctrl-C: wrangler closes the socket and deletes the tail.
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
        ok = [e for e in events if e['event']['request']['url'].endswith('/tailed?n=1')]
        thrown = [e for e in events if e['event']['request']['url'].endswith('/throw')]
        self.assertTrue(ok and thrown, events)
        self.assertEqual(ok[0]['outcome'], 'ok')
        self.assertEqual(ok[0]['scriptName'], 'shop')
        self.assertEqual(ok[0]['event']['request']['method'], 'GET')
        self.assertEqual(ok[0]['event']['response']['status'], 200)
        self.assertEqual([l['message'] for l in ok[0]['logs']], [['path /tailed']])
        self.assertEqual(thrown[0]['outcome'], 'exception')
        self.assertEqual([(x['name'], x['message']) for x in thrown[0]['exceptions']], [('TypeError', 'boom')])
        # The tail ended with its connection.
        deadline = time.time() + 10
        while time.time() < deadline:
            status, r = self.api('GET', '/workers/scripts/shop/tails')
            if r['result'] == []:
                break
            time.sleep(0.1)
        self.assertEqual(r['result'], [])


if __name__ == '__main__':
    unittest.main()
