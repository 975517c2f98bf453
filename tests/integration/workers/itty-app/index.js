// An itty-router app (AutoRouter, params, JSON, cors), bundled by `islet deploy`; see frameworks_test.py.
import { AutoRouter, cors, error, json, text } from 'itty-router';

const { preflight, corsify } = cors({ origin: 'https://app.example' });
const router = AutoRouter({ before: [preflight], finally: [corsify] });

router
  .get('/', () => text('hello from itty'))
  .get('/hello/:name', ({ name }) => ({ hello: name }))
  .get('/items/:id', ({ params, query }) => json({ id: params.id, sort: query.sort ?? null }))
  .post('/echo', async (request) => ({ echoed: await request.json() }))
  .get('/teapot', () => error(418, 'short and stout'));

export default router;
