"""Secrets and binding inheritance in the management API, as wrangler uses them: a secret put is a new, deployed
version; secrets carry over to later uploads; `inherit` bindings and keep_bindings; plus the wrangler-facing
details (hyphenated version ids, deployment_id, the Workers API view, 7000 for unknown endpoints)."""
import json
import shutil
import unittest

from serve_process import Serve

SOURCE = 'export default { fetch(r, env) { return Response.json({v: %d, env}) } }'


class Secrets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.serve = Serve()
        cls.acme = cls.serve.create_account('secret-co')

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        shutil.rmtree(cls.serve.data_dir, ignore_errors=True)

    def api(self, method, path, body=None, headers=None):
        return self.serve.api(method, '/accounts/%s%s' % (self.acme['id'], path), token=self.acme['token'], body=body,
                              headers=headers)

    def served(self, script):
        status, _, _, body = self.serve.get('%s.secret-co.islet.localhost' % script)
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def upload(self, script, version, bindings, query='', extra=None, method='PUT'):
        metadata = dict({'main_module': 'index.js', 'bindings': bindings}, **(extra or {}))
        return self.serve.upload(self.acme, script, [('index.js', 'application/javascript+module',
                                                      (SOURCE % version).encode())], metadata, method=method,
                                 path_suffix=query)

    def test_secret_put_deploys_and_carries_over(self):
        self.upload('api', 1, [{'type': 'plain_text', 'name': 'MODE', 'text': 'prod'}])
        status, r = self.api('PUT', '/workers/scripts/api/secrets', {'name': 'TOKEN', 'text': 't1', 'type': 'secret_text'})
        self.assertEqual((status, r['result']), (200, {'name': 'TOKEN', 'type': 'secret_text'}))
        self.assertEqual(self.served('api'), {'v': 1, 'env': {'MODE': 'prod', 'TOKEN': 't1'}})
        # Replacing a secret keeps one binding of that name.
        self.api('PUT', '/workers/scripts/api/secrets', {'name': 'TOKEN', 'text': 't2', 'type': 'secret_text'})
        self.assertEqual(self.served('api')['env']['TOKEN'], 't2')
        status, r = self.api('GET', '/workers/scripts/api/secrets')
        self.assertEqual(r['result'], [{'name': 'TOKEN', 'type': 'secret_text'}])
        self.assertEqual(self.api('GET', '/workers/scripts/api/secrets/TOKEN')[1]['result']['name'], 'TOKEN')
        # A later upload that does not name the secret keeps it; its own vars replace the old ones.
        status, r = self.upload('api', 2, [{'type': 'plain_text', 'name': 'MODE', 'text': 'canary'}])
        self.assertEqual(status, 200, r)
        self.assertEqual(self.served('api'), {'v': 2, 'env': {'MODE': 'canary', 'TOKEN': 't2'}})
        # The secret's text is stored, never shown.
        status, r = self.api('GET', '/workers/scripts/api/versions')
        self.assertNotIn('t2', json.dumps([v['resources']['bindings'] for v in r['result']['items']]))
        self.assertEqual(r['result']['items'][1]['annotations']['workers/triggered_by'], 'secret')
        # Deleting it is a new version without it.
        self.assertEqual(self.api('DELETE', '/workers/scripts/api/secrets/TOKEN')[0], 200)
        self.assertEqual(self.served('api'), {'v': 2, 'env': {'MODE': 'canary'}})
        self.assertEqual(self.api('DELETE', '/workers/scripts/api/secrets/TOKEN')[0], 404)
        self.assertEqual(self.api('GET', '/workers/scripts/api/secrets/TOKEN')[0], 404)

    def test_secret_errors(self):
        # No such script: 10007, which makes wrangler create a draft worker first.
        status, r = self.api('PUT', '/workers/scripts/ghost/secrets', {'name': 'A', 'text': 'b', 'type': 'secret_text'})
        self.assertEqual((status, r['errors'][0]['code']), (404, 10007))
        self.upload('clash', 1, [{'type': 'plain_text', 'name': 'TAKEN', 'text': 'var'}])
        status, r = self.api('PUT', '/workers/scripts/clash/secrets', {'name': 'TAKEN', 'text': 'x', 'type': 'secret_text'})
        self.assertEqual(status, 400, r)
        status, r = self.api('PUT', '/workers/scripts/clash/secrets', {'name': 'K', 'text': 'x', 'type': 'secret_key'})
        self.assertEqual(status, 400, r)
        status, r = self.api('PUT', '/workers/scripts/clash/secrets', {'name': 'not valid', 'text': 'x'})
        self.assertEqual(status, 400, r)
        # A gradual deployment has no single version to change.
        first = self.api('GET', '/workers/scripts/clash/versions')[1]['result']['items'][0]['id']
        status, r = self.upload('clash', 2, [], query='/versions', method='POST')
        self.assertEqual(status, 200, r)
        second = r['result']['id']
        self.api('POST', '/workers/scripts/clash/deployments',
                 {'strategy': 'percentage', 'versions': [{'version_id': first, 'percentage': 50},
                                                         {'version_id': second, 'percentage': 50}]})
        status, r = self.api('PUT', '/workers/scripts/clash/secrets', {'name': 'K', 'text': 'x', 'type': 'secret_text'})
        self.assertEqual(status, 400, r)
        self.assertIn('gradual', r['errors'][0]['message'])

    def test_inherit_and_keep_bindings(self):
        self.upload('inh', 1, [{'type': 'plain_text', 'name': 'A', 'text': 'a1'},
                               {'type': 'json', 'name': 'J', 'json': {'n': 1}}])
        status, r = self.upload('inh', 2, [{'type': 'inherit', 'name': 'A'}], query='?bindings_inherit=strict')
        self.assertEqual(status, 200, r)
        self.assertEqual(self.served('inh'), {'v': 2, 'env': {'A': 'a1'}})
        status, r = self.upload('inh', 3, [{'type': 'inherit', 'name': 'NOPE'}], query='?bindings_inherit=strict')
        self.assertEqual(status, 400, r)
        self.assertEqual(self.served('inh')['v'], 2)  # a refused upload changes nothing
        status, r = self.upload('inh', 3, [{'type': 'inherit', 'name': 'NOPE'}])
        self.assertEqual(status, 200, r)
        self.assertEqual(self.served('inh'), {'v': 3, 'env': {}})
        self.upload('inh', 4, [{'type': 'plain_text', 'name': 'A', 'text': 'a4'}])
        status, r = self.upload('inh', 5, [], extra={'keep_bindings': ['plain_text']})
        self.assertEqual(status, 200, r)
        self.assertEqual(self.served('inh'), {'v': 5, 'env': {'A': 'a4'}})

    def test_wrangler_facing_details(self):
        status, r = self.upload('ids', 1, [])
        version = r['result']['version_id']
        self.assertEqual(r['result']['deployment_id'], version)  # wrangler prints this as the version id
        hyphenated = '%s-%s-%s-%s-%s' % (version[:8], version[8:12], version[12:16], version[16:20], version[20:])
        status, r = self.api('GET', '/workers/scripts/ids/versions/' + hyphenated)
        self.assertEqual((status, r['result']['id']), (200, version))
        status, r = self.api('POST', '/workers/scripts/ids/deployments',
                             {'strategy': 'percentage', 'versions': [{'version_id': hyphenated, 'percentage': 100}]})
        self.assertEqual(status, 200, r)
        self.assertEqual(r['result']['versions'][0]['version_id'], version)
        status, r = self.api('GET', '/workers/workers/ids')
        self.assertEqual((status, r['result']['name'], r['result']['subdomain']['enabled']), (200, 'ids', True))
        self.assertEqual(self.api('GET', '/workers/workers/ghost')[1]['errors'][0]['code'], 10007)
        # An endpoint islet does not have is not "no such script" (wrangler would upload a draft over it).
        status, r = self.api('GET', '/workers/scripts/ids/no-such-thing')
        self.assertEqual((status, r['errors'][0]['code']), (404, 7000))


if __name__ == '__main__':
    unittest.main()
