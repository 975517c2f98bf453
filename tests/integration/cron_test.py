"""Cron triggers: `islet dev --test-scheduled` fires one by hand; `islet serve` fires them at the minute."""
import json
import os
import shutil
import tempfile
import time
import unittest

from islet_process import Islet
from serve_process import Serve

WORKER = '''
let fired = [];
export default {
  async fetch(request, env) {
    if (env.KV) return new Response(await env.KV.get('last') ?? 'none');
    return Response.json(fired);
  },
  async scheduled(controller, env, ctx) {
    if (controller.cron === 'throw') throw new Error('scheduled failure');
    fired.push({ cron: controller.cron, type: controller.type, t: controller.scheduledTime });
    if (env.KV) await env.KV.put('last', controller.cron + ' at ' + controller.scheduledTime);
  },
};
'''


class DevScheduled(unittest.TestCase):
    def test_test_scheduled_fires_the_handler(self):
        d = tempfile.mkdtemp()
        try:
            with open(os.path.join(d, 'index.js'), 'w') as f:
                f.write(WORKER)
            islet = Islet('dev', d, '--port', '0', '--threads', '1', '--test-scheduled')
            try:
                status, _, _, body = islet.request('GET', '/__scheduled?cron=*/5+*+*+*+*')
                self.assertEqual((status, body), (200, b'Ran scheduled event\n'))
                fired = json.loads(islet.request('GET', '/')[3])
                self.assertEqual([(f['cron'], f['type']) for f in fired], [('*/5 * * * *', 'scheduled')])
                self.assertEqual(islet.request('GET', '/__scheduled?cron=throw')[0], 500)
                self.assertTrue(islet.wait_for_log('scheduled failure'))
            finally:
                islet.stop()
        finally:
            shutil.rmtree(d)


class ServeCron(unittest.TestCase):
    def test_every_minute_trigger_runs_within_a_minute(self):
        with Serve() as serve:
            acc = serve.create_account('crons')
            base = '/accounts/%s/storage/kv/namespaces' % acc['id']
            ns = serve.api('POST', base, token=acc['token'], body={'title': 'c'})[1]['result']['id']
            serve.deploy_js(acc, 'ticker', WORKER, [{'type': 'kv_namespace', 'name': 'KV', 'namespace_id': ns}])
            status, r = serve.api('PUT', '/accounts/%s/workers/scripts/ticker/schedules' % acc['id'], token=acc['token'],
                                  body=[{'cron': '* * * * *'}])
            self.assertEqual(status, 200, r)
            status, r = serve.api('PUT', '/accounts/%s/workers/scripts/ticker/schedules' % acc['id'], token=acc['token'],
                                  body=[{'cron': '61 * * * *'}])
            self.assertEqual(status, 400)
            self.assertIn('minute', r['errors'][0]['message'])
            deadline = time.time() + 75
            body = b'none'
            while time.time() < deadline and body == b'none':
                time.sleep(1)
                body = serve.get('ticker.crons.islet.localhost')[3]
            self.assertTrue(body.startswith(b'* * * * * at '), body)
            minute_ms = int(body.split(b' at ')[1])
            self.assertEqual(minute_ms % 60000, 0)


if __name__ == '__main__':
    unittest.main()
