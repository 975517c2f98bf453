// Counts requests in a KV namespace bound as env.COUNTER: GET / adds one and shows the count, DELETE / resets it.
// KV is eventually consistent and has no atomic increment: concurrent requests may count once between them.
export default {
  async fetch(request, env) {
    if (!env.COUNTER) {
      return new Response('No KV binding: this example needs `islet deploy` (see wrangler.toml).\n', { status: 501 });
    }
    const key = env.COUNTER_KEY;
    if (request.method === 'DELETE') {
      await env.COUNTER.delete(key);
      return new Response('reset\n');
    }
    const count = Number((await env.COUNTER.get(key)) ?? 0) + 1;
    await env.COUNTER.put(key, String(count));
    return new Response(`${count}\n`, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
  },
};
