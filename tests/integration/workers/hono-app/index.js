// A Hono app, unmodified framework code bundled by `islet deploy`: routing with params, JSON, and the cors, etag,
// basic-auth, jwt and streaming helpers. frameworks_test.py copies it next to an installed hono.
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { etag } from 'hono/etag';
import { basicAuth } from 'hono/basic-auth';
import { jwt, sign } from 'hono/jwt';
import { stream, streamText } from 'hono/streaming';
import { HTTPException } from 'hono/http-exception';

const SECRET = 'it-is-very-secret';
const app = new Hono();

app.get('/', (c) => c.text('hello from hono'));
app.get('/users/:id/posts/:post', (c) => c.json({ user: c.req.param('id'), post: Number(c.req.param('post')),
                                                   q: c.req.query('q') ?? null }));
app.post('/echo', async (c) => c.json({ got: await c.req.json(), type: c.req.header('content-type') }, 201));

app.use('/api/*', cors({ origin: 'https://app.example', allowMethods: ['GET', 'PUT'], allowHeaders: ['X-Custom'],
                         maxAge: 600, credentials: true }));
app.get('/api/data', (c) => c.json({ data: [1, 2, 3] }));

app.use('/etag/*', etag());
app.get('/etag/doc', (c) => c.text('a document whose tag is its digest'));

app.use('/admin/*', basicAuth({ username: 'ada', password: 'lovelace' }));
app.get('/admin/panel', (c) => c.text('welcome, admin'));

app.get('/token', async (c) => c.text(await sign({ sub: 'user-7', role: 'reader', exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET, 'HS256')));
app.use('/private/*', jwt({ secret: SECRET, alg: 'HS256' }));
app.get('/private/me', (c) => c.json(c.get('jwtPayload')));

app.get('/stream', (c) => streamText(c, async (s) => {
  for (let i = 0; i < 5; i++) {
    await s.writeln(`chunk ${i}`);
    await s.sleep(5);
  }
}));
app.get('/body-stream', (c) => {
  const enc = new TextEncoder();
  const body = new ReadableStream({
    async start(controller) {
      for (const part of ['alpha ', 'beta ', 'gamma']) controller.enqueue(enc.encode(part));
      controller.close();
    },
  });
  return c.body(body, 200, { 'Content-Type': 'text/plain' });
});
app.get('/raw-stream', (c) => stream(c, async (s) => { await s.write(new Uint8Array([104, 105])); }));

app.notFound((c) => c.json({ error: 'no route', path: c.req.path }, 404));
app.onError((err, c) => (err instanceof HTTPException ? err.getResponse() : c.json({ error: String(err) }, 500)));

export default app;
