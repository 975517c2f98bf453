// A small router over relative ES imports and a JSON module, with no bundler: `islet dev examples/router` or
// `islet deploy examples/router`.
import { Router } from './lib/router.js';
import * as pages from './routes/pages.js';
import * as api from './routes/api.js';

const router = new Router()
  .get('/', pages.home)
  .get('/api/quotes', api.listQuotes)
  .get('/api/quotes/:id', api.getQuote)
  .get('/hello/:name', pages.hello);

export default {
  fetch(request, env, ctx) {
    return router.handle(request, env, ctx);
  },
};
