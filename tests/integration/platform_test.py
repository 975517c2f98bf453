"""`islet serve` end to end: tenants, tokens, uploads, versions, routing, KV, durability — real process, real HTTP."""
import json
import os
import shutil
import threading
import time
import unittest

from serve_process import Serve, multipart


def host(script, account):
    return '%s.%s.islet.localhost' % (script, account['name'])


class Platform(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.serve = Serve()
        cls.acme = cls.serve.create_account('acme')
        cls.globex = cls.serve.create_account('globex')

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir)

    def test_auth_is_required_and_checked(self):
        status, r = self.serve.api('GET', '/accounts', token=False)
        self.assertEqual(status, 401)
        self.assertFalse(r['success'])
        self.assertEqual(r['errors'][0]['code'], 10000)
        self.assertEqual(self.serve.api('GET', '/accounts', token='islet_wrong')[0], 401)
        self.assertEqual(self.serve.api('GET', '/accounts', headers={'Authorization': 'Basic abc'}, token=False)[0], 401)

    def test_tenant_cannot_see_or_touch_another_tenant(self):
        self.serve.deploy_js(self.globex, 'secret-app', 'export default { fetch() { return new Response("globex") } }')
        other = self.globex['id']
        t = self.acme['token']
        for method, path in [('GET', '/accounts/%s' % other), ('GET', '/accounts/%s/workers/scripts' % other),
                             ('GET', '/accounts/%s/workers/scripts/secret-app' % other),
                             ('DELETE', '/accounts/%s/workers/scripts/secret-app' % other),
                             ('GET', '/accounts/%s/workers/scripts/secret-app/versions' % other),
                             ('GET', '/accounts/%s/storage/kv/namespaces' % other)]:
            status, r = self.serve.api(method, path, token=t)
            self.assertEqual(status, 403, (method, path, r))
        # The same answer for an account that does not exist: nothing leaks existence.
        status, r = self.serve.api('GET', '/accounts/%s/workers/scripts' % ('0' * 32), token=t)
        self.assertEqual(status, 403)
        # Listing accounts with a tenant token shows only its own.
        status, r = self.serve.api('GET', '/accounts', token=t)
        self.assertEqual([a['name'] for a in r['result']], ['acme'])
        status, r = self.serve.api('GET', '/memberships', token=t)
        self.assertEqual(r['result'][0]['account']['id'], self.acme['id'])
        # Only an admin creates accounts.
        self.assertEqual(self.serve.api('POST', '/accounts', token=t, body={'name': 'evil'})[0], 403)
        self.assertEqual(self.serve.get(host('secret-app', self.globex))[3], b'globex')

    def test_tokens_list_and_revoke(self):
        acc = self.serve.create_account('tokens-co')
        status, r = self.serve.api('POST', '/accounts/%s/tokens' % acc['id'], token=acc['token'], body={'name': 'second'})
        second = r['result']
        self.assertTrue(second['value'].startswith('islet_'))
        status, r = self.serve.api('GET', '/accounts/%s/tokens' % acc['id'], token=acc['token'])
        self.assertEqual(sorted(t['name'] for t in r['result']), ['ci', 'second'])
        self.assertNotIn('value', json.dumps(r['result']))  # the secret is shown once only
        self.assertEqual(self.serve.api('DELETE', '/accounts/%s/tokens/%s' % (acc['id'], second['id']), token=acc['token'])[0], 200)
        self.assertEqual(self.serve.api('GET', '/accounts', token=second['value'])[0], 401)

    def test_deploy_routes_by_host_and_binds_env(self):
        self.serve.deploy_js(self.acme, 'hello', 'export default { fetch(r, env) { return Response.json({v: 1, env}) } }',
                             [{'type': 'plain_text', 'name': 'A', 'text': 'x'}, {'type': 'secret_text', 'name': 'S', 'text': 'sh'},
                              {'type': 'json', 'name': 'J', 'json': {'n': 5}}])
        status, _, _, body = self.serve.get(host('hello', self.acme))
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), {'v': 1, 'env': {'A': 'x', 'S': 'sh', 'J': {'n': 5}}})
        self.assertEqual(self.serve.get('hello.globex.islet.localhost')[0], 404)
        self.assertEqual(self.serve.get('unknown.example.com')[0], 404)
        # Secrets never come back through the API.
        status, r = self.serve.api('GET', '/accounts/%s/workers/scripts/hello/versions' % self.acme['id'], token=self.acme['token'])
        self.assertNotIn('"sh"', json.dumps(r))

    def test_versions_rollback_and_split(self):
        a = self.acme
        v1 = self.serve.deploy_js(a, 'versioned', 'export default { fetch() { return new Response("one") } }')
        v2 = self.serve.deploy_js(a, 'versioned', 'export default { fetch() { return new Response("two") } }')
        self.assertEqual(self.serve.get(host('versioned', a))[3], b'two')
        status, r = self.serve.api('GET', '/accounts/%s/workers/scripts/versioned/versions' % a['id'], token=a['token'])
        items = r['result']['items']
        self.assertEqual([i['id'] for i in items], [v2['version_id'], v1['version_id']])
        self.assertEqual([i['number'] for i in items], [2, 1])
        # Roll back to v1.
        status, r = self.serve.api('POST', '/accounts/%s/workers/scripts/versioned/deployments' % a['id'], token=a['token'],
                                   body={'strategy': 'percentage', 'versions': [{'version_id': v1['version_id'], 'percentage': 100}]})
        self.assertEqual(status, 200, r)
        self.assertEqual(self.serve.get(host('versioned', a))[3], b'one')
        status, r = self.serve.api('GET', '/accounts/%s/workers/scripts/versioned/deployments' % a['id'], token=a['token'])
        self.assertEqual(r['result']['deployments'][0]['versions'][0]['version_id'], v1['version_id'])
        # Split 50/50: both answers appear.
        self.serve.api('POST', '/accounts/%s/workers/scripts/versioned/deployments' % a['id'], token=a['token'],
                       body={'strategy': 'percentage', 'versions': [{'version_id': v1['version_id'], 'percentage': 50},
                                                                   {'version_id': v2['version_id'], 'percentage': 50}]})
        seen = {self.serve.get(host('versioned', a))[3] for _ in range(60)}
        self.assertEqual(seen, {b'one', b'two'})
        # Percentages must add up to 100; unknown versions are refused.
        status, r = self.serve.api('POST', '/accounts/%s/workers/scripts/versioned/deployments' % a['id'], token=a['token'],
                                   body={'versions': [{'version_id': v1['version_id'], 'percentage': 60}]})
        self.assertEqual(status, 400)
        status, r = self.serve.api('POST', '/accounts/%s/workers/scripts/versioned/deployments' % a['id'], token=a['token'],
                                   body={'versions': [{'version_id': 'f' * 32, 'percentage': 100}]})
        self.assertEqual(status, 400)

    def test_custom_routes_most_specific_wins(self):
        a = self.acme
        self.serve.deploy_js(a, 'api-v1', 'export default { fetch() { return new Response("v1 api") } }')
        self.serve.deploy_js(a, 'site', 'export default { fetch() { return new Response("site") } }')
        self.serve.deploy_js(a, 'exact', 'export default { fetch() { return new Response("exact") } }')
        for pattern, script in [('example.com/*', 'site'), ('example.com/v1/*', 'api-v1'), ('example.com/v1/health', 'exact')]:
            status, r = self.serve.api('POST', '/accounts/%s/workers/routes' % a['id'], token=a['token'],
                                       body={'pattern': pattern, 'script': script})
            self.assertEqual(status, 200, r)
        self.assertEqual(self.serve.get('example.com', '/')[3], b'site')
        self.assertEqual(self.serve.get('example.com', '/v1/users?x=1')[3], b'v1 api')
        self.assertEqual(self.serve.get('example.com', '/v1/health')[3], b'exact')
        self.assertEqual(self.serve.get('other.com', '/v1/')[0], 404)
        # A pattern already taken (by anyone) is refused.
        status, r = self.serve.api('POST', '/accounts/%s/workers/routes' % self.globex['id'], token=self.globex['token'],
                                   body={'pattern': 'example.com/*', 'script': 'x'})
        self.assertEqual(status, 409)

    def test_malformed_uploads_are_refused_and_live_version_keeps_serving(self):
        a = self.acme
        self.serve.deploy_js(a, 'stable', 'export default { fetch() { return new Response("stable") } }')
        js = 'application/javascript+module'
        good_meta = {'main_module': 'index.js'}
        cases = [
            ('syntax error', [('index.js', js, b'export default { fetch() { return new Response("x" } }')], good_meta, 'index.js:1:'),
            ('top-level throw', [('index.js', js, b'\nthrow new Error("nope at top")')], good_meta, 'index.js:2:'),
            ('missing main module', [('other.js', js, b'export default {}')], good_meta, 'main module'),
            ('no main_module', [('index.js', js, b'export default {}')], {}, 'main_module'),
            ('unknown binding', [('index.js', js, b'export default {}')],
             {'main_module': 'index.js', 'bindings': [{'type': 'd1', 'name': 'DB'}]}, 'unsupported binding type'),
            ('too many bindings', [('index.js', js, b'export default {}')],
             {'main_module': 'index.js', 'bindings': [{'type': 'plain_text', 'name': 'B%d' % i, 'text': 'x'} for i in range(129)]},
             'too many bindings'),
            ('var too large', [('index.js', js, b'export default {}')],
             {'main_module': 'index.js', 'bindings': [{'type': 'plain_text', 'name': 'BIG', 'text': 'x' * 5121}]}, 'limit'),
            ('script too large', [('index.js', js, b'//' + b'x' * (10 * 1024 * 1024))], good_meta, 'too large'),
            ('no default export', [('index.js', js, b'export const x = 1;')], good_meta, 'default export'),
            ('bad import', [('index.js', js, b'import "./missing.js"; export default {}')], good_meta, 'missing.js'),
            ('unknown kv namespace', [('index.js', js, b'export default {}')],
             {'main_module': 'index.js', 'bindings': [{'type': 'kv_namespace', 'name': 'KV', 'namespace_id': 'f' * 32}]}, 'KV namespace'),
        ]
        for label, modules, meta, expect in cases:
            status, r = self.serve.upload(a, 'stable', modules, meta)
            self.assertEqual(status, 400, label)
            self.assertFalse(r['success'], label)
            self.assertIn(expect, r['errors'][0]['message'], label)
        # Malformed multipart and bad names.
        body, ctype = multipart([('metadata', 'application/json', b'{"main_module":"index.js"}', None)])
        status, r = self.serve.api('PUT', '/accounts/%s/workers/scripts/stable' % a['id'], token=a['token'],
                                   body=body[:-10], headers={'Content-Type': ctype})
        self.assertEqual(status, 400)
        self.assertIn('multipart', r['errors'][0]['message'])
        status, r = self.serve.api('PUT', '/accounts/%s/workers/scripts/stable' % a['id'], token=a['token'],
                                   body=b'{}', headers={'Content-Type': 'application/json'})
        self.assertEqual(status, 400)
        status, r = self.serve.upload(a, 'Bad_Name!', [('index.js', js, b'export default {}')], good_meta)
        self.assertEqual(status, 400)
        status, r = self.serve.upload(a, 'stable', [('index.js', js, b'export default {}')], None)
        self.assertEqual(status, 400)
        # Nothing changed: still version 1, still serving.
        self.assertEqual(self.serve.get(host('stable', a))[3], b'stable')
        status, r = self.serve.api('GET', '/accounts/%s/workers/scripts/stable/versions' % a['id'], token=a['token'])
        self.assertEqual(len(r['result']['items']), 1)

    def test_kv_through_api_and_binding(self):
        a = self.acme
        base = '/accounts/%s/storage/kv/namespaces' % a['id']
        status, r = self.serve.api('POST', base, token=a['token'], body={'title': 'cache'})
        self.assertEqual(status, 200, r)
        ns = r['result']['id']
        self.assertEqual(self.serve.api('POST', base, token=a['token'], body={'title': 'cache'})[0], 409)
        # Put raw, with TTL, with metadata (multipart); keys with slashes and spaces are URL-encoded.
        self.assertEqual(self.serve.api('PUT', base + '/%s/values/greeting' % ns, token=a['token'], body=b'hello')[0], 200)
        self.assertEqual(self.serve.api('PUT', base + '/%s/values/a%%2Fb%%20c?expiration_ttl=3600' % ns, token=a['token'],
                                        body=b'\x00bin\xff')[0], 200)
        body, ctype = multipart([('value', 'text/plain', b'with meta', None), ('metadata', 'application/json', b'{"m":1}', None)])
        self.assertEqual(self.serve.api('PUT', base + '/%s/values/meta' % ns, token=a['token'], body=body,
                                        headers={'Content-Type': ctype})[0], 200)
        self.assertEqual(self.serve.api('PUT', base + '/%s/values/short?expiration_ttl=10' % ns, token=a['token'], body=b'x')[0], 400)
        status, raw = self.serve.api('GET', base + '/%s/values/a%%2Fb%%20c' % ns, token=a['token'], raw=True)
        self.assertEqual((status, raw), (200, b'\x00bin\xff'))
        status, r = self.serve.api('GET', base + '/%s/values/missing' % ns, token=a['token'])
        self.assertEqual((status, r['errors'][0]['code']), (404, 10009))
        status, r = self.serve.api('GET', base + '/%s/keys?prefix=a' % ns, token=a['token'])
        self.assertEqual([k['name'] for k in r['result']], ['a/b c'])
        self.assertIn('expiration', r['result'][0])
        # The worker reads and writes the same namespace through env.
        src = '''export default { async fetch(req, env) {
            const u = new URL(req.url);
            if (u.pathname === '/put') { await env.KV.put('from-worker', 'w', { metadata: { by: 'worker' } }); return new Response('ok'); }
            const { value, metadata } = await env.KV.getWithMetadata('meta');
            const list = await env.KV.list({ prefix: 'g' });
            return Response.json({ greeting: await env.KV.get('greeting'), value, metadata,
                                   keys: list.keys.map(k => k.name), missing: await env.KV.get('nope'),
                                   json: await env.KV.get('jsonval', 'json') });
        } }'''
        self.serve.api('PUT', base + '/%s/values/jsonval' % ns, token=a['token'], body=b'{"x": [1, 2]}')
        self.serve.deploy_js(a, 'kvapp', src, [{'type': 'kv_namespace', 'name': 'KV', 'namespace_id': ns}])
        status, _, _, body = self.serve.get(host('kvapp', a))
        self.assertEqual(status, 200, self.serve.log()[-2000:])
        self.assertEqual(json.loads(body), {'greeting': 'hello', 'value': 'with meta', 'metadata': {'m': 1},
                                            'keys': ['greeting'], 'missing': None, 'json': {'x': [1, 2]}})
        self.assertEqual(self.serve.get(host('kvapp', a), '/put')[3], b'ok')
        status, raw = self.serve.api('GET', base + '/%s/values/from-worker' % ns, token=a['token'], raw=True)
        self.assertEqual(raw, b'w')
        # Another tenant cannot bind this namespace.
        status, r = self.serve.upload(self.globex, 'thief', [('index.js', 'application/javascript+module', b'export default {}')],
                                      {'main_module': 'index.js', 'bindings': [{'type': 'kv_namespace', 'name': 'KV', 'namespace_id': ns}]})
        self.assertEqual(status, 400)
        # Delete.
        self.assertEqual(self.serve.api('DELETE', base + '/%s/values/greeting' % ns, token=a['token'])[0], 200)
        self.assertEqual(self.serve.api('GET', base + '/%s/values/greeting' % ns, token=a['token'])[0], 404)

    def test_list_download_and_delete_scripts(self):
        a = self.acme
        self.serve.deploy_js(a, 'to-delete', 'export default { fetch() { return new Response("bye") } }')
        status, r = self.serve.api('GET', '/accounts/%s/workers/scripts' % a['id'], token=a['token'])
        self.assertIn('to-delete', [s['id'] for s in r['result']])
        status, raw = self.serve.api('GET', '/accounts/%s/workers/scripts/to-delete' % a['id'], token=a['token'], raw=True)
        self.assertEqual(status, 200)
        self.assertIn(b'new Response("bye")', raw)
        self.assertEqual(self.serve.get(host('to-delete', a))[3], b'bye')
        self.assertEqual(self.serve.api('DELETE', '/accounts/%s/workers/scripts/to-delete' % a['id'], token=a['token'])[0], 200)
        self.assertEqual(self.serve.get(host('to-delete', a))[0], 404)
        status, r = self.serve.api('GET', '/accounts/%s/workers/scripts/to-delete/versions' % a['id'], token=a['token'])
        self.assertEqual((status, r['errors'][0]['code']), (404, 10007))

    def test_schedules(self):
        a = self.acme
        self.serve.deploy_js(a, 'cron-app', 'export default { scheduled() {} }')
        status, r = self.serve.api('PUT', '/accounts/%s/workers/scripts/cron-app/schedules' % a['id'], token=a['token'],
                                   body=[{'cron': '*/5 * * * *'}, {'cron': '0 0 * * *'}])
        self.assertEqual(status, 200, r)
        status, r = self.serve.api('GET', '/accounts/%s/workers/scripts/cron-app/schedules' % a['id'], token=a['token'])
        self.assertEqual(sorted(s['cron'] for s in r['result']['schedules']), ['*/5 * * * *', '0 0 * * *'])

    def test_wait_until_runs_after_the_response(self):
        a = self.acme
        base = '/accounts/%s/storage/kv/namespaces' % a['id']
        ns = self.serve.api('POST', base, token=a['token'], body={'title': 'waituntil'})[1]['result']['id']
        src = """export default { async fetch(req, env, ctx) {
            ctx.waitUntil(new Promise((r) => setTimeout(async () => { await env.KV.put('late', 'written'); r(); }, 200)));
            ctx.passThroughOnException();
            return new Response('answered'); } }"""
        self.serve.deploy_js(a, 'later', src, [{'type': 'kv_namespace', 'name': 'KV', 'namespace_id': ns}])
        start = time.time()
        self.assertEqual(self.serve.get(host('later', a))[3], b'answered')
        self.assertLess(time.time() - start, 0.2)  # the response did not wait for the waitUntil work
        self.assertEqual(self.serve.api('GET', base + '/%s/values/late' % ns, token=a['token'])[0], 404)
        deadline = time.time() + 5
        while time.time() < deadline:
            status, raw = self.serve.api('GET', base + '/%s/values/late' % ns, token=a['token'], raw=True)
            if status == 200:
                break
            time.sleep(0.05)
        self.assertEqual((status, raw), (200, b'written'))

    def test_hot_deploy_fails_no_request(self):
        a = self.acme
        self.serve.deploy_js(a, 'hot', 'export default { async fetch() { await new Promise(r => setTimeout(r, 5)); return new Response("v0") } }')
        errors, answers = [], set()
        stop = threading.Event()

        def load():
            while not stop.is_set():
                try:
                    status, _, _, body = self.serve.get(host('hot', a))
                    if status != 200:
                        errors.append(status)
                    answers.add(body)
                except Exception as e:  # noqa: BLE001 - any failure counts
                    errors.append(repr(e))
        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        for i in range(1, 6):
            self.serve.deploy_js(a, 'hot', 'export default { async fetch() { await new Promise(r => setTimeout(r, 5)); return new Response("v%d") } }' % i)
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertIn(b'v5', answers)
        self.assertEqual(self.serve.get(host('hot', a))[3], b'v5')


def seccomp_mode(pid):
    with open('/proc/%d/status' % pid) as f:
        return [l.split()[1] for l in f if l.startswith('Seccomp:')][0]


class Sandbox(unittest.TestCase):
    def test_serve_runs_under_the_system_call_filter_and_off_turns_it_off(self):
        # Every integration test runs islet serve in the sandbox (its default); this checks that the filter is
        # there, on every thread, and still serves. What the filter denies is checked in src/server/sandbox_test.cc.
        with Serve() as serve:
            self.assertEqual(seccomp_mode(serve.proc.pid), '2')
            for task in os.listdir('/proc/%d/task' % serve.proc.pid):
                with open('/proc/%d/task/%s/status' % (serve.proc.pid, task)) as f:
                    self.assertIn('Seccomp:\t2', f.read(), 'thread %s' % task)
            self.assertIn('system-call sandbox on', serve.log())
            acc = serve.create_account('boxed')
            serve.deploy_js(acc, 'app', 'export default { fetch() { return new Response("inside") } }')
            self.assertEqual(serve.get(host('app', acc))[3], b'inside')
        with Serve(extra=('--sandbox', 'off')) as serve:
            self.assertEqual(seccomp_mode(serve.proc.pid), '0')
            self.assertNotIn('system-call sandbox on', serve.log())


class Durability(unittest.TestCase):
    def test_acknowledged_writes_survive_kill_9_and_restart_on_same_ports(self):
        serve = Serve()
        data_dir = serve.data_dir
        acc = serve.create_account('durable')
        base = '/accounts/%s/storage/kv/namespaces' % acc['id']
        status, r = serve.api('POST', base, token=acc['token'], body={'title': 'log'})
        ns = r['result']['id']
        acked, stop = [], threading.Event()

        def writer(prefix):
            i = 0
            while not stop.is_set():
                key = '%s-%d' % (prefix, i)
                try:
                    status, _ = serve.api('PUT', base + '/%s/values/%s' % (ns, key), token=acc['token'], body=key.encode())
                except Exception:  # noqa: BLE001 - the process is being killed
                    return
                if status == 200:
                    acked.append(key)
                i += 1
        deployed = []

        def deployer():
            i = 0
            while not stop.is_set():
                try:
                    r = serve.deploy_js(acc, 'app', 'export default { fetch() { return new Response("%d") } }' % i)
                except Exception:  # noqa: BLE001
                    return
                deployed.append((i, r['version_id']))
                i += 1
        threads = [threading.Thread(target=writer, args=('w%d' % n,)) for n in range(3)] + [threading.Thread(target=deployer)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        public, api = serve.public_port, serve.api_port
        serve.kill9()
        stop.set()
        for t in threads:
            t.join()
        self.assertGreater(len(acked), 20)
        self.assertGreater(len(deployed), 2)
        again = Serve(data_dir=data_dir, public='127.0.0.1:%d' % public, api='127.0.0.1:%d' % api)
        try:
            self.assertEqual((again.public_port, again.api_port), (public, api))
            for key in acked:
                status, raw = again.api('GET', base + '/%s/values/%s' % (ns, key), token=acc['token'], raw=True)
                self.assertEqual((status, raw), (200, key.encode()), key)
            last, version = deployed[-1]
            status, r = again.api('GET', '/accounts/%s/workers/scripts/app/versions' % acc['id'], token=acc['token'])
            ids = [i['id'] for i in r['result']['items']]
            self.assertIn(version, ids)
            # What serves is a whole version: the newest deployment, at least as new as the last acknowledged one.
            body = again.get('app.durable.islet.localhost')[3]
            self.assertGreaterEqual(int(body), last)
        finally:
            again.stop()
            shutil.rmtree(data_dir)


if __name__ == '__main__':
    unittest.main()
