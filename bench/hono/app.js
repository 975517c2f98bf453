// bench/hono: a small Hono API as people write them: a few routes with params, CORS and a response-time header as
// middleware, JSON out. bench.py bundles it once with esbuild and serves that one file on islet and on workerd.
import { Hono } from 'hono';
import { cors } from 'hono/cors';

const app = new Hono();

app.use('*', cors({ origin: '*' }));
app.use('*', async (c, next) => {
  const start = Date.now();
  await next();
  c.header('X-Response-Time', `${Date.now() - start}ms`);
});

app.get('/', (c) => c.text('Hello Hono!'));
app.get('/users/:id', (c) => {
  const id = c.req.param('id');
  return c.json({ id, name: `User ${id}`, roles: ['reader', 'writer'], active: true });
});
app.get('/posts/:id/comments/:comment', (c) => c.json({ post: c.req.param('id'), comment: c.req.param('comment') }));
app.post('/users', async (c) => c.json(await c.req.json(), 201));
app.get('/search', (c) => c.json({ q: c.req.query('q') ?? '', page: Number(c.req.query('page') ?? 1) }));
app.notFound((c) => c.json({ error: 'not found' }, 404));

export default app;
