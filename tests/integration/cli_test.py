"""The `islet` client commands end to end: a real `islet serve`, the real CLI as a subprocess, real HTTP."""
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest

from islet_process import ISLET, ROOT, WORKERS
from serve_process import Serve

_names = itertools.count(1)


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.serve = Serve()
        cls.api_url = 'http://127.0.0.1:%d' % cls.serve.api_port

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir, ignore_errors=True)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='islet-cli-')

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- helpers ----

    def run_cli(self, *args, token=None, account=None, api=None, stdin=None):
        """Runs `islet ARGS` with the API address and credentials in the environment; returns CompletedProcess."""
        env = {k: v for k, v in os.environ.items() if not k.startswith('ISLET_') or k == 'ISLET_BIN'}
        env['ISLET_API'] = api or self.api_url
        env['ISLET_API_TOKEN'] = token if token is not None else self.serve.admin_token
        if account:
            env['ISLET_ACCOUNT_ID'] = account
        return subprocess.run([ISLET, *args], env=env, capture_output=True, timeout=60, input=stdin)

    def cli(self, *args, **kw):
        """Runs the CLI, asserts it succeeded, returns its stdout as text."""
        r = self.run_cli(*args, **kw)
        self.assertEqual(r.returncode, 0, 'islet %s failed:\n%s\n%s' % (' '.join(args), r.stdout, r.stderr))
        return r.stdout.decode()

    def cli_fails(self, *args, **kw):
        """Runs the CLI, asserts it exited with 1, returns its stderr as text."""
        r = self.run_cli(*args, **kw)
        self.assertEqual(r.returncode, 1, 'islet %s: %r %r' % (' '.join(args), r.stdout, r.stderr))
        return r.stderr.decode()

    def new_account(self):
        """A fresh account and a token for it: (name, id, token)."""
        name = 'acct%d' % next(_names)
        account_id = self.cli('account', 'create', name).strip()
        self.assertRegex(account_id, r'^[0-9a-f]{16,}$')
        token = self.cli('token', 'create', '--name', 'ci', account=account_id).strip()
        self.assertTrue(token)
        return name, account_id, token

    def get(self, host, path='/'):
        status, _, _, body = self.serve.get(host, path)
        return status, body.decode()

    def copy_project(self, name):
        dest = os.path.join(self.tmp, name)
        shutil.copytree(os.path.join(WORKERS, name), dest)
        return dest

    def write(self, path, text):
        with open(path, 'w') as f:
            f.write(text)

    # ---- tests ----

    def test_account_and_token(self):
        name, account_id, token = self.new_account()
        # The account's token needs no --account: it reaches one account.
        self.assertEqual(self.cli('scripts', 'list', token=token).split(), ['NAME', 'CREATED', 'MODIFIED'])
        err = self.cli_fails('account', 'create', name)
        self.assertIn('account name taken', err)
        err = self.cli_fails('account', 'create', 'other', token=token)
        self.assertIn('only an admin token may create accounts', err)
        # The admin token reaches every account: without --account the command lists them.
        self.new_account()
        err = self.cli_fails('scripts', 'list')
        self.assertIn('--account', err)
        self.assertIn(account_id, err)
        self.assertIn(name, err)

    def test_deploy_versions_rollback_kv_and_route(self):
        account, _, token = self.new_account()
        ns = self.cli('kv', 'namespace', 'create', 'shop-data', token=token).strip()
        self.assertRegex(ns, r'^[0-9a-f]+$')
        self.assertEqual(self.cli('kv', 'key', 'put', ns, 'greeting', 'hi from the cli', token=token), 'wrote greeting\n')
        project = self.copy_project('shop')
        toml = os.path.join(project, 'wrangler.toml')
        with open(toml) as f:
            self.write(toml, f.read().replace('REPLACED-BY-THE-TEST', ns))

        out = self.cli('deploy', project, token=token)
        self.assertIn('url: http://shop.%s.islet.localhost\n' % account, out)
        self.assertIn('route: shop.example.test/api*', out)
        self.assertIn('schedule: */5 * * * *', out)
        v1 = re.search(r'version: ([0-9a-f]+)', out).group(1)

        host = 'shop.%s.islet.localhost' % account
        self.assertEqual(self.get(host), (200, 'hello from v1'))
        status, body = self.get(host, '/vars')
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), {'greeting': 'hello', 'limits': {'max': 3, 'tags': ['a', 'b']},
                                            'banner': 'the shop banner'})
        # A value written with the CLI, read by the worker through env.KV.get.
        self.assertEqual(self.get(host, '/kv/greeting'), (200, 'hi from the cli'))
        # The route sends another host to the script.
        self.assertEqual(self.get('shop.example.test', '/api/items'), (200, 'api v1 /api/items'))

        # A second deploy with a change: a new live version; the route, already this script's, is no error.
        self.write(os.path.join(project, 'src', 'version.js'), "export const VERSION = 'v2';\n")
        out = self.cli('deploy', project, '--var', 'GREETING:howdy', token=token)
        v2 = re.search(r'version: ([0-9a-f]+)', out).group(1)
        self.assertNotEqual(v1, v2)
        self.assertEqual(self.get(host), (200, 'howdy from v2'))
        self.assertEqual(self.get('shop.example.test', '/api'), (200, 'api v2 /api'))

        lines = self.cli('versions', 'shop', token=token).splitlines()
        self.assertEqual(lines[0].split(), ['NUMBER', 'ID', 'CREATED', 'SOURCE'])
        rows = [line.split() for line in lines[1:]]
        self.assertEqual([(r[0], r[1], r[3]) for r in rows], [('2', v2, 'cli'), ('1', v1, 'cli')])

        out = self.cli('rollback', 'shop', token=token)
        self.assertIn('rolled back shop to version 1 (%s)' % v1, out)
        self.assertEqual(self.get(host), (200, 'hello from v1'))
        self.assertEqual(self.get('shop.example.test', '/api'), (200, 'api v1 /api'))
        err = self.cli_fails('rollback', 'shop', token=token)
        self.assertIn('runs its first version', err)
        # Forward again, by id.
        self.cli('rollback', 'shop', v2, token=token)
        self.assertEqual(self.get(host), (200, 'howdy from v2'))
        self.assertIn('has no version nope', self.cli_fails('rollback', 'shop', 'nope', token=token))

    def test_deploy_sends_schedules(self):
        account, account_id, token = self.new_account()
        project = os.path.join(self.tmp, 'cron')
        os.mkdir(project)
        self.write(os.path.join(project, 'wrangler.toml'),
                   'name = "ticker"\nmain = "index.js"\n[triggers]\ncrons = ["0 * * * *", "*/10 * * * *"]\n')
        self.write(os.path.join(project, 'index.js'),
                   'export default { fetch() { return new Response("tick"); } };\n')
        out = self.cli('deploy', project, token=token)
        self.assertIn('schedule: 0 * * * *\nschedule: */10 * * * *\n', out)
        status, r = self.serve.api('GET', '/accounts/%s/workers/scripts/ticker/schedules' % account_id, token=token)
        self.assertEqual(status, 200)
        self.assertEqual([s['cron'] for s in r['result']['schedules']], ['0 * * * *', '*/10 * * * *'])
        self.assertEqual(self.get('ticker.%s.islet.localhost' % account), (200, 'tick'))

    def test_kv_keys_through_the_cli(self):
        _, _, token = self.new_account()
        ns = self.cli('kv', 'namespace', 'create', 'things', token=token).strip()
        listing = self.cli('kv', 'namespace', 'list', token=token).splitlines()
        self.assertEqual(listing[1].split(), [ns, 'things'])

        odd = 'dir/a b?c=%d&é'
        self.cli('kv', 'key', 'put', ns, odd, 'odd value', token=token)
        self.assertEqual(self.cli('kv', 'key', 'get', ns, odd, token=token), 'odd value')
        self.cli('kv', 'key', 'put', ns, 'dir/other', 'x', '--ttl', '3600', '--metadata', '{"owner": "ci"}',
                 token=token)
        self.cli('kv', 'key', 'put', ns, 'top', '', token=token)
        self.assertEqual(self.cli('kv', 'key', 'get', ns, 'top', token=token), '')
        binary = bytes(range(256)) * 4
        path = os.path.join(self.tmp, 'blob.bin')
        with open(path, 'wb') as f:
            f.write(binary)
        self.cli('kv', 'key', 'put', ns, 'blob', '--path', path, token=token)
        self.assertEqual(self.run_cli('kv', 'key', 'get', ns, 'blob', token=token).stdout, binary)

        self.assertEqual(self.cli('kv', 'key', 'list', ns, token=token).splitlines(), ['blob', 'dir/a b?c=%d&é',
                                                                                         'dir/other', 'top'])
        self.assertEqual(self.cli('kv', 'key', 'list', ns, '--prefix', 'dir/', token=token).splitlines(),
                         ['dir/a b?c=%d&é', 'dir/other'])
        keys = json.loads(self.cli('kv', 'key', 'list', ns, '--prefix', 'dir/o', '--json', token=token))
        self.assertEqual(len(keys), 1)
        self.assertEqual(keys[0]['metadata'], {'owner': 'ci'})
        self.assertIn('expiration', keys[0])

        self.assertIn('deleted', self.cli('kv', 'key', 'delete', ns, odd, token=token))
        self.assertIn('not found', self.cli_fails('kv', 'key', 'get', ns, odd, token=token).lower())
        self.assertIn('expiration_ttl must be at least 60',
                      self.cli_fails('kv', 'key', 'put', ns, 'k', 'v', '--ttl', '5', token=token))
        self.assertIn('--metadata is not valid JSON',
                      self.cli_fails('kv', 'key', 'put', ns, 'k', 'v', '--metadata', '{oops', token=token))
        self.assertIn('either as VALUE or with --path', self.cli_fails('kv', 'key', 'put', ns, 'k', token=token))

        self.cli('kv', 'namespace', 'delete', ns, token=token)
        self.assertEqual(len(self.cli('kv', 'namespace', 'list', token=token).splitlines()), 1)
        self.cli_fails('kv', 'key', 'list', ns, token=token)

    def test_scripts_list_and_delete(self):
        account, _, token = self.new_account()
        out = self.cli('deploy', os.path.join(ROOT, 'examples', 'hello'), token=token)
        self.assertIn('deployed hello (account %s)' % account, out)
        self.cli('deploy', os.path.join(WORKERS, 'sw', 'worker.js'), '--name', 'sw', token=token)
        host = 'hello.%s.islet.localhost' % account
        self.assertEqual(self.get(host, '/x'), (200, 'Hello from islet! You asked for /x\n'))
        self.assertEqual(self.get('sw.%s.islet.localhost' % account), (200, 'service worker says hi'))
        names = [line.split()[0] for line in self.cli('scripts', 'list', token=token).splitlines()[1:]]
        self.assertEqual(sorted(names), ['hello', 'sw'])

        self.assertIn('deleted hello', self.cli('scripts', 'delete', 'hello', token=token))
        self.assertEqual(self.get(host)[0], 404)
        names = [line.split()[0] for line in self.cli('scripts', 'list', token=token).splitlines()[1:]]
        self.assertEqual(names, ['sw'])
        self.cli_fails('scripts', 'delete', 'hello', token=token)
        self.cli_fails('versions', 'hello', token=token)

    def test_deploy_overrides_and_upload_errors(self):
        account, _, token = self.new_account()
        project = os.path.join(self.tmp, 'proj')
        os.makedirs(os.path.join(project, 'alt'))
        self.write(os.path.join(project, 'index.js'),
                   'export default { fetch(r, env) { return new Response("index " + env.WHO); } };\n')
        self.write(os.path.join(project, 'alt', 'main.mjs'),
                   'export default { fetch(r, env) { return new Response("alt " + env.WHO); } };\n')
        self.cli('deploy', project, '--name', 'custom', '--var', 'WHO:me', '--compatibility-date', '2024-05-05',
                 token=token)
        self.assertEqual(self.get('custom.%s.islet.localhost' % account), (200, 'index me'))
        self.cli('deploy', project, '--name', 'custom', '--main', os.path.join(project, 'alt', 'main.mjs'),
                 '--var', 'WHO:you', token=token)
        self.assertEqual(self.get('custom.%s.islet.localhost' % account), (200, 'alt you'))

        # The API validates the upload and its message reaches the user; the live version stays.
        self.write(os.path.join(project, 'index.js'), 'export default { fetch( {\n')
        err = self.cli_fails('deploy', project, '--name', 'custom', token=token)
        self.assertIn('islet deploy: ', err)
        self.assertIn('SyntaxError', err)
        self.assertEqual(self.get('custom.%s.islet.localhost' % account), (200, 'alt you'))
        self.assertIn('a script name is', self.cli_fails('deploy', project, '--name', 'Bad.Name', token=token))
        self.assertIn('no such file', self.cli_fails('deploy', os.path.join(self.tmp, 'missing'), token=token))
        self.assertIn('expected KEY:VALUE', self.cli_fails('deploy', project, '--var', 'novalue', token=token))
        # A .wasm file goes up as an application/wasm part: the server names it when it does not compile, and
        # deploys it when it does.
        self.write(os.path.join(project, 'index.js'), 'import add from "./add.wasm";\n'
                   'export default { fetch() { return new Response(String(add instanceof WebAssembly.Module)); } };\n')
        with open(os.path.join(project, 'add.wasm'), 'wb') as f:
            f.write(b'\0asm\1\0\0\0\1')  # a truncated section: not a valid module
        err = self.cli_fails('deploy', project, '--name', 'custom', token=token)
        self.assertIn('add.wasm', err)
        self.assertIn('CompileError', err)
        with open(os.path.join(project, 'add.wasm'), 'wb') as f:
            f.write(b'\0asm\1\0\0\0')  # the empty module
        self.cli('deploy', project, '--name', 'custom', token=token)
        self.assertEqual(self.get('custom.%s.islet.localhost' % account), (200, 'true'))

    def test_connection_errors(self):
        self.assertIn('https is not supported', self.cli_fails('scripts', 'list', api='https://127.0.0.1:1'))
        self.assertIn('no API token', self.cli_fails('scripts', 'list', token=''))
        self.assertIn('invalid API token', self.cli_fails('scripts', 'list', token='islet_wrong'))
        self.assertIn('cannot connect', self.cli_fails('scripts', 'list', api='http://127.0.0.1:1'))
        # A server that accepts the connection and never answers is cut off at the timeout.
        with socket.socket() as silent:
            silent.bind(('127.0.0.1', 0))
            silent.listen(4)
            err = self.cli_fails('scripts', 'list', '--timeout', '0.5', api='http://127.0.0.1:%d' % silent.getsockname()[1])
        self.assertIn('did not answer within 0.5 s', err)

    def test_examples_deploy(self):
        account, _, token = self.new_account()
        self.cli('deploy', os.path.join(ROOT, 'examples', 'router'), token=token)
        host = 'router.%s.islet.localhost' % account
        status, body = self.get(host, '/hello/%3Cb%3E')
        self.assertEqual(status, 200)
        self.assertIn('<p>Hello, &lt;b&gt;!</p>', body)
        self.assertEqual(json.loads(self.get(host, '/api/quotes/2')[1])['by'], 'Kent Beck')
        self.assertEqual(self.get(host, '/nowhere')[0], 404)

        ns = self.cli('kv', 'namespace', 'create', 'counter', token=token).strip()
        project = os.path.join(self.tmp, 'kv-counter')
        shutil.copytree(os.path.join(ROOT, 'examples', 'kv-counter'), project)
        toml = os.path.join(project, 'wrangler.toml')
        with open(toml) as f:
            self.write(toml, re.sub(r'id = ".*"', 'id = "%s"' % ns, f.read()))
        self.cli('deploy', project, token=token)
        host = 'kv-counter.%s.islet.localhost' % account
        self.assertEqual([self.get(host)[1] for _ in range(3)], ['1\n', '2\n', '3\n'])
        self.assertEqual(self.cli('kv', 'key', 'get', ns, 'hits', token=token), '3')


if __name__ == '__main__':
    unittest.main()
