"""V8 code caches per script version, end to end: made in the background after a version first loads and kept in the
store, compiled from after eviction and after a restart; a corrupt or foreign cache only costs a compile, and is
made again."""
import os
import re
import shutil
import sqlite3
import time
import unittest

from serve_process import Serve

SOURCE = ('import { greet } from "./greet.js";\n'
          'function shout(s) { return s.toUpperCase(); }\n'
          'export default { fetch() { return new Response(shout(greet("cache"))); } };\n')
GREET = 'export function greet(name) { return "hello " + name; }\n'
HOST = 'app.cc.islet.localhost'


def metrics(serve):
    text = serve.metrics()
    return {
        'accepted': int(re.search(r'^islet_code_cache_modules_total\{result="accepted"\} (\d+)$', text, re.M).group(1)),
        'rejected': int(re.search(r'^islet_code_cache_modules_total\{result="rejected"\} (\d+)$', text, re.M).group(1)),
        'made': int(re.search(r'^islet_code_caches_made_total (\d+)$', text, re.M).group(1)),
        'loads': int(float(re.search(r'^islet_worker_loads_total (\S+)$', text, re.M).group(1))),
    }


def rows(data_dir):
    db = sqlite3.connect(os.path.join(data_dir, 'islet.db'))
    try:
        return {module: (tag, data) for module, tag, data in db.execute('SELECT module, tag, data FROM code_cache')}
    finally:
        db.close()


def update(data_dir, sql, *args):
    db = sqlite3.connect(os.path.join(data_dir, 'islet.db'))
    try:
        db.execute(sql, args)
        db.commit()
    finally:
        db.close()


def wait_for(cond, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline and not cond():
        time.sleep(0.05)
    return cond()


class CodeCache(unittest.TestCase):
    def setUp(self):
        self.serve = Serve(extra=('--threads', '1', '--idle-timeout', '1'))
        acc = self.serve.create_account('cc')
        status, r = self.serve.upload(acc, 'app', [('index.js', 'application/javascript+module', SOURCE.encode()),
                                                    ('greet.js', 'application/javascript+module', GREET.encode())],
                                      {'main_module': 'index.js'})
        self.assertEqual(status, 200, r)

    def tearDown(self):
        self.serve.stop()
        shutil.rmtree(self.serve.data_dir)

    def restart(self):
        self.serve.stop()
        self.serve = Serve(data_dir=self.serve.data_dir, extra=('--threads', '1', '--idle-timeout', '1'))

    def get(self):
        status, _, _, body = self.serve.get(HOST)
        self.assertEqual((status, body), (200, b'HELLO CACHE'))

    def test_made_once_then_used_after_eviction_and_after_a_restart(self):
        self.get()
        self.assertTrue(wait_for(lambda: metrics(self.serve)['made'] == 1))
        # Made and written by the API thread, off the request path, within about a second.
        self.assertTrue(wait_for(lambda: set(rows(self.serve.data_dir)) == {'index.js', 'greet.js'}))
        self.get()
        self.assertEqual(metrics(self.serve)['made'], 1)

        # Evicted after its idle timeout: the reload compiles both modules from the cache. (Counted from here: on a
        # loaded machine the idle timeout, 1 s, can pass while the cache is written, and the request above reload.)
        self.assertTrue(wait_for(self._evicted))
        before = metrics(self.serve)
        self.get()
        m = metrics(self.serve)
        self.assertEqual((m['loads'] - before['loads'], m['accepted'] - before['accepted'], m['rejected'], m['made']),
                         (1, 2, 0, 1))

        # A new process reads it from the store.
        self.restart()
        self.get()
        m = metrics(self.serve)
        self.assertEqual((m['accepted'], m['rejected']), (2, 0))
        time.sleep(0.3)
        self.assertEqual(metrics(self.serve)['made'], 0)

    def test_a_corrupt_cache_falls_back_to_compiling_and_is_replaced(self):
        self.get()
        self.assertTrue(wait_for(lambda: len(rows(self.serve.data_dir)) == 2))
        good = rows(self.serve.data_dir)
        self.serve.stop()
        # Flip bytes in the middle of one module's cache; cut the other's short.
        data = bytearray(good['index.js'][1])
        for i in range(len(data) // 2, len(data) // 2 + 16):
            data[i] ^= 0x5a
        update(self.serve.data_dir, "UPDATE code_cache SET data = ? WHERE module = 'index.js'", bytes(data))
        update(self.serve.data_dir, "UPDATE code_cache SET data = ? WHERE module = 'greet.js'", good['greet.js'][1][:40])
        corrupt = rows(self.serve.data_dir)
        self.serve = Serve(data_dir=self.serve.data_dir, extra=('--threads', '1', '--idle-timeout', '1'))
        self.get()
        m = metrics(self.serve)
        self.assertEqual((m['accepted'], m['rejected']), (0, 2))
        self.assertTrue(wait_for(lambda: metrics(self.serve)['made'] == 1))
        # A good cache replaces the bad one, and the next process compiles from it.
        self.assertTrue(wait_for(lambda: all(rows(self.serve.data_dir)[m] != corrupt[m] for m in corrupt)))
        self.restart()
        self.get()
        m = metrics(self.serve)
        self.assertEqual((m['accepted'], m['rejected']), (2, 0))

    def test_a_cache_from_another_v8_is_not_used(self):
        self.get()
        self.assertTrue(wait_for(lambda: len(rows(self.serve.data_dir)) == 2))
        tags = {module: tag for module, (tag, _) in rows(self.serve.data_dir).items()}
        self.serve.stop()
        update(self.serve.data_dir, 'UPDATE code_cache SET tag = tag + 1')  # as if another V8 (or flags) made it
        self.serve = Serve(data_dir=self.serve.data_dir, extra=('--threads', '1', '--idle-timeout', '1'))
        self.get()
        m = metrics(self.serve)
        self.assertEqual((m['accepted'], m['rejected']), (0, 0))  # never handed to V8
        self.assertTrue(wait_for(lambda: metrics(self.serve)['made'] == 1))
        # Replaced by one made under this V8's tag, which the next process uses.
        self.assertTrue(wait_for(lambda: {m: tag for m, (tag, _) in rows(self.serve.data_dir).items()} == tags))
        self.restart()
        self.get()
        self.assertEqual(metrics(self.serve)['accepted'], 2)

    def _evicted(self):
        return self.serve.metric('islet_workers_loaded') == 0


if __name__ == '__main__':
    unittest.main()
