// Deployed by cli_test.py: answers with its version (from a relative import), its vars, and KV values.
import { VERSION } from './version.js';
import banner from './banner.txt';

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/') return new Response(`${env.GREETING} from ${VERSION}`);
    if (url.pathname === '/vars') return Response.json({ greeting: env.GREETING, limits: env.LIMITS, banner });
    if (url.pathname.startsWith('/kv/')) {
      const value = await env.KV.get(decodeURIComponent(url.pathname.slice(4)));
      return value === null ? new Response('no such key', { status: 404 }) : new Response(value);
    }
    if (url.pathname.startsWith('/api')) return new Response(`api ${VERSION} ${url.pathname}`);
    return new Response('not found', { status: 404 });
  },
};
