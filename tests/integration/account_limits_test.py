"""The operator's per-account limit overrides (PUT/GET/DELETE /accounts/{id}/limits): admin only, validated, and
applied to that account's workers — and only theirs — from the next request on, without a restart."""
import json
import os
import shutil
import subprocess
import time
import unittest

from islet_process import ISLET
from serve_process import Serve

# Burns CPU for `?n=` loop iterations; the clock is frozen while JS runs, so the count is the only knob.
BURN = '''export default { async fetch(request) {
  const n = Number(new URL(request.url).searchParams.get('n'));
  let x = 0; for (let i = 0; i < n; i++) x = (x + i * 7) % 1000003;
  return new Response(String(x));
} }'''
TARGET_CPU_MS = 250  # what one burn should cost: well above the 50 ms default, well below the 1,000 ms override


class AccountLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # One thread: a request always meets the Worker the previous one left (or replaced).
        cls.serve = Serve(extra=('--threads', '1', '--cpu-limit-ms', '50', '--max-cpu-limit-ms', '100'))
        cls.iterations = cls.calibrate()

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir, ignore_errors=True)

    @classmethod
    def calibrate(cls):
        """Loop iterations that cost about TARGET_CPU_MS of CPU here, measured by the usage API."""
        acc = cls.serve.create_account('calibrate')
        status, r = cls.serve.api('PUT', '/accounts/%s/limits' % acc['id'], body={'cpu_ms': 30000})
        assert status == 200, r
        cls.serve.deploy_js(acc, 'burn', BURN)
        n, runs = 2_000_000, 3
        for _ in range(runs):
            status = cls.serve.get('burn.calibrate.islet.localhost', '/?n=%d' % n)[0]
            assert status == 200, status
        deadline = time.time() + 5
        while True:
            status, r = cls.serve.api('GET', '/accounts/%s/workers/usage' % acc['id'])
            if r['result']['total']['requests'] >= runs or time.time() > deadline:
                break
            time.sleep(0.05)
        cpu_ms = r['result']['total']['cpu_ms'] / runs
        assert cpu_ms > 0, r
        return int(n * TARGET_CPU_MS / cpu_ms)

    def limits(self, account, method='GET', body=None, token=None):
        return self.serve.api(method, '/accounts/%s/limits' % account['id'], body=body, token=token)

    def burn(self, host):
        status, _, _, body = self.serve.get(host, '/?n=%d' % self.iterations)
        return status, body

    def test_a_cpu_override_applies_to_its_account_only_and_at_once(self):
        big = self.serve.create_account('cpu-big')
        small = self.serve.create_account('cpu-small')
        for acc in (big, small):
            self.serve.deploy_js(acc, 'burn', BURN)
        # Both start with the operator's 50 ms; big's worker is loaded with it.
        for host in ('burn.cpu-big.islet.localhost', 'burn.cpu-small.islet.localhost'):
            status, body = self.burn(host)
            self.assertEqual(status, 503, body)
            self.assertIn(b'CPU time limit', body)

        status, r = self.limits(big, 'PUT', {'cpu_ms': 1000})
        self.assertEqual(status, 200, r)
        self.assertEqual(r['result']['overrides'], {'cpu_ms': 1000})
        effective = r['result']['effective']
        self.assertEqual(effective['cpu_ms'], 1000)
        self.assertEqual(effective['max_cpu_ms'], 1000)  # the cap a script may ask for is never below the default
        self.assertEqual(effective['subrequests'], 1000)  # the process defaults where the account sets nothing
        self.assertEqual(effective['connections'], 6)
        self.assertEqual(effective['heap_mb'], 128)

        # No restart, no redeploy: the next request runs under the account's limit.
        for _ in range(2):
            status, body = self.burn('burn.cpu-big.islet.localhost')
            self.assertEqual(status, 200, body)
        status, body = self.burn('burn.cpu-small.islet.localhost')
        self.assertEqual(status, 503, body)
        self.assertIn(b'CPU time limit', body)

        status, r = self.limits(big)
        self.assertEqual((status, r['result']['overrides']), (200, {'cpu_ms': 1000}))
        status, r = self.limits(small)
        self.assertEqual((status, r['result']['overrides']), (200, {}))

        # DELETE gives the account the process defaults back, again at once.
        status, r = self.limits(big, 'DELETE')
        self.assertEqual((status, r['result']['overrides'], r['result']['effective']['cpu_ms']), (200, {}, 50))
        status, body = self.burn('burn.cpu-big.islet.localhost')
        self.assertEqual(status, 503, body)

    def test_a_scripts_own_cpu_ms_is_capped_by_its_accounts_max(self):
        roomy = self.serve.create_account('cap-roomy')
        plain = self.serve.create_account('cap-plain')
        status, r = self.limits(roomy, 'PUT', {'max_cpu_ms': 2000})
        self.assertEqual(status, 200, r)
        self.assertEqual(r['result']['effective']['cpu_ms'], 50)
        for acc in (roomy, plain):
            status, r = self.serve.upload(acc, 'burn', [('index.js', 'application/javascript+module', BURN.encode())],
                                          {'main_module': 'index.js', 'limits': {'cpu_ms': 1000}})
            self.assertEqual(status, 200, r)
        # The script asks for 1,000 ms: the operator's cap (100 ms) holds it back, the account's (2,000 ms) does not.
        status, body = self.burn('burn.cap-roomy.islet.localhost')
        self.assertEqual(status, 200, body)
        status, body = self.burn('burn.cap-plain.islet.localhost')
        self.assertEqual(status, 503, body)
        self.assertIn(b'CPU time limit (100 ms)', body)

    def test_upload_validation_runs_under_the_accounts_limits(self):
        acc = self.serve.create_account('validate')
        top_level_burn = ('let x = 0; for (let i = 0; i < %d; i++) x = (x + i * 7) %% 1000003;\n'
                          'export default { fetch() { return new Response(String(x)) } }' % self.iterations)
        module = [('index.js', 'application/javascript+module', top_level_burn.encode())]
        status, r = self.serve.upload(acc, 'heavy', module, {'main_module': 'index.js'})
        self.assertEqual(status, 400, r)
        status, r = self.limits(acc, 'PUT', {'cpu_ms': 1000})
        self.assertEqual(status, 200, r)
        status, r = self.serve.upload(acc, 'heavy', module, {'main_module': 'index.js'})
        self.assertEqual(status, 200, r)

    def test_a_heap_override_gets_an_isolate_of_its_own_size(self):
        # 8 arrays of a million doubles: about 64 MB of heap, under the default 128 MB.
        src = '''export default { fetch() {
            const keep = []; for (let i = 0; i < 8; i++) keep.push(new Array(1e6).fill(i + 0.5));
            return new Response(String(keep.length));
        } }'''
        tight = self.serve.create_account('heap-tight')
        roomy = self.serve.create_account('heap-roomy')
        # Warm isolates are made with the process's 128 MB: tight's worker must not take one.
        self.assertEqual(self.limits(tight, 'PUT', {'heap_mb': 32, 'cpu_ms': 5000})[0], 200)
        self.assertEqual(self.limits(roomy, 'PUT', {'cpu_ms': 5000})[0], 200)
        for acc in (tight, roomy):
            self.serve.deploy_js(acc, 'grow', src)
        status, _, _, body = self.serve.get('grow.heap-roomy.islet.localhost')
        self.assertEqual((status, body), (200, b'8'))
        status, _, _, body = self.serve.get('grow.heap-tight.islet.localhost')
        self.assertEqual(status, 503, body)
        self.assertIn(b'memory limit (32 MB)', body)
        # And back: without the override the same script fits.
        self.assertEqual(self.limits(tight, 'PUT', {'cpu_ms': 5000})[0], 200)
        status, _, _, body = self.serve.get('grow.heap-tight.islet.localhost')
        self.assertEqual((status, body), (200, b'8'))

    def test_subrequest_and_connection_overrides(self):
        # `caller` makes ?n= service-binding subrequests, ?parallel=1 all at once, and reports how many succeeded.
        caller = '''export default { async fetch(request, env) {
            const url = new URL(request.url);
            const n = Number(url.searchParams.get('n'));
            if (url.searchParams.get('parallel')) {
              await Promise.all(Array.from({ length: n }, () => env.SLOW.fetch('http://slow/')));
              return new Response('done');
            }
            let ok = 0;
            try { for (let i = 0; i < n; i++) { await env.FAST.fetch('http://fast/'); ok++; } }
            catch (e) { return new Response(ok + ' ' + e.message); }
            return new Response(String(ok));
        } }'''
        fast = 'export default { fetch() { return new Response("ok") } }'
        slow = ('export default { async fetch() { await new Promise(r => setTimeout(r, 300)); '
                'return new Response("ok") } }')
        bindings = [{'type': 'service', 'name': 'FAST', 'service': 'fast'},
                    {'type': 'service', 'name': 'SLOW', 'service': 'slow'}]
        limited = self.serve.create_account('sub-limited')
        plain = self.serve.create_account('sub-plain')
        for acc in (limited, plain):
            self.serve.deploy_js(acc, 'fast', fast)
            self.serve.deploy_js(acc, 'slow', slow)
            self.serve.deploy_js(acc, 'caller', caller, bindings)
        # limited's worker is loaded, and healthy, before its limits change.
        status, _, _, body = self.serve.get('caller.sub-limited.islet.localhost', '/?n=5')
        self.assertEqual((status, body), (200, b'5'))
        status, r = self.limits(limited, 'PUT', {'subrequests': 3, 'connections': 1})
        self.assertEqual(status, 200, r)
        self.assertEqual(r['result']['overrides'], {'subrequests': 3, 'connections': 1})

        status, _, _, body = self.serve.get('caller.sub-plain.islet.localhost', '/?n=5')
        self.assertEqual((status, body), (200, b'5'))
        status, _, _, body = self.serve.get('caller.sub-limited.islet.localhost', '/?n=5')
        self.assertEqual(status, 200, body)
        self.assertEqual(body, b'3 Too many subrequests: the limit is 3 per request')

        # Three 300 ms subrequests at once: side by side by default, one at a time with connections = 1.
        def timed(host):
            start = time.time()
            status, _, _, body = self.serve.get(host, '/?n=3&parallel=1')
            self.assertEqual((status, body), (200, b'done'))
            return time.time() - start
        self.assertLess(timed('caller.sub-plain.islet.localhost'), 0.75)
        self.assertGreater(timed('caller.sub-limited.islet.localhost'), 0.85)

    def test_only_an_admin_token_reaches_the_limits(self):
        acc = self.serve.create_account('tenant')
        other = self.serve.create_account('neighbour')
        for method, body in (('GET', None), ('PUT', {'cpu_ms': 30000}), ('DELETE', None)):
            status, r = self.limits(acc, method, body, token=acc['token'])
            self.assertEqual(status, 403, (method, r))
            self.assertEqual(r['errors'][0]['code'], 10000)
            status, r = self.limits(other, method, body, token=acc['token'])
            self.assertEqual(status, 403, (method, r))
        self.assertEqual(self.limits(acc)[1]['result']['overrides'], {})  # nothing changed
        status, r = self.limits({'id': '0123456789abcdef0123456789abcdef'})
        self.assertEqual(status, 404, r)
        status, r = self.limits(acc, method='POST')
        self.assertEqual(status, 404, r)

    def test_bad_input_is_a_400_that_names_the_problem(self):
        acc = self.serve.create_account('bad-input')
        cases = [
            ({'cpu_ms': '200'}, 'cpu_ms must be a whole number'),
            ({'cpu_ms': 1.5}, 'cpu_ms must be a whole number'),
            ({'heap_mb': True}, 'heap_mb must be a whole number'),
            ({'cpu_ms': 0}, 'cpu_ms must be between 1 and 300000 ms, not 0'),
            ({'wall_ms': -5}, 'wall_ms must be between 1 and 900000 ms, not -5'),
            ({'subrequests': 10 ** 12}, 'subrequests must be between 1 and 1000000'),
            ({'connections': 2 ** 64 - 1}, 'connections must be between 1 and 1000'),
            ({'heap_mb': 8}, 'heap_mb must be between 16 and 4096 MB, not 8'),
            ({'cpu_ms': 500, 'max_cpu_ms': 100}, 'cpu_ms (500) must not exceed max_cpu_ms (100)'),
            ({'cpu': 100}, 'unknown limit "cpu"'),
            ([{'cpu_ms': 100}], 'must be a JSON object'),
        ]
        for body, message in cases:
            status, r = self.limits(acc, 'PUT', body)
            self.assertEqual(status, 400, (body, r))
            self.assertEqual(r['errors'][0]['code'], 10001)
            self.assertIn(message, r['errors'][0]['message'], body)
        status, r = self.serve.api('PUT', '/accounts/%s/limits' % acc['id'], body=b'{"cpu_ms": ',
                                   headers={'Content-Type': 'application/json'})
        self.assertEqual(status, 400, r)
        self.assertEqual(self.limits(acc)[1]['result']['overrides'], {})  # every bad PUT left it alone
        # null is "the process default", like an absent member.
        status, r = self.limits(acc, 'PUT', {'cpu_ms': None, 'heap_mb': 256})
        self.assertEqual((status, r['result']['overrides']), (200, {'heap_mb': 256}))

    def test_the_cli_shows_and_changes_an_account_s_limits(self):
        acc = self.serve.create_account('cli-limits')
        env = {k: v for k, v in os.environ.items() if not k.startswith('ISLET_') or k == 'ISLET_BIN'}
        env['ISLET_API'] = 'http://127.0.0.1:%d' % self.serve.api_port
        env['ISLET_API_TOKEN'] = self.serve.admin_token

        def cli(*args, token=None):
            e = dict(env, ISLET_API_TOKEN=token or env['ISLET_API_TOKEN'])
            return subprocess.run([ISLET, 'account', 'limits', *args], env=e, capture_output=True, text=True,
                                  timeout=60)

        r = cli('cli-limits', '--cpu-ms', '200', '--heap-mb', '256')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r'cpu_ms\s+200\s+200')
        self.assertRegex(r.stdout, r'subrequests\s+default\s+1000')
        # Flags change what they name; the rest stays. "default" removes one.
        r = cli(acc['id'], '--subrequests', '50', '--heap-mb', 'default')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.limits(acc)[1]['result']['overrides'], {'cpu_ms': 200, 'subrequests': 50})
        r = cli('cli-limits', '--wall-ms', 'soon')
        self.assertEqual(r.returncode, 1)
        self.assertIn('--wall-ms takes a whole number', r.stderr)
        r = cli('cli-limits', '--connections', '0')
        self.assertEqual(r.returncode, 1)
        self.assertIn('connections must be between 1 and 1000', r.stderr)
        r = cli(acc['id'], token=acc['token'])
        self.assertEqual(r.returncode, 1)
        self.assertIn('only an admin token', r.stderr)
        r = cli('cli-limits', '--reset')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r'cpu_ms\s+default\s+50')
        self.assertEqual(self.limits(acc)[1]['result']['overrides'], {})


if __name__ == '__main__':
    unittest.main()
