// The worker the integration tests call: one path per behaviour under test.
import { greet } from './lib/greet.js';
import data from './data.json';

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/': return new Response('ok');
      case '/echo':
        return new Response(await request.text(), { headers: { 'x-method': request.method } });
      case '/json': return Response.json({ a: 1, greeting: env.GREETING ?? null });
      case '/import': return new Response(greet('islet') + ' ' + data.answer);
      case '/throw': throw new Error('boom from the worker');
      case '/reject': return Promise.reject(new TypeError('rejected on purpose'));
      case '/nonresponse': return 'a string, not a Response';
      case '/never': return new Promise(() => {});
      case '/hop':
        return new Response('hop', {
          headers: { connection: 'close', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', 'x-ok': '1' },
        });
      case '/204': return new Response(null, { status: 204 });
      case '/304': return new Response(null, { status: 304 });
      case '/status': return new Response('teapot', { status: 418, statusText: 'I am a teapot' });
      case '/clock': {
        const a = Date.now();
        const p1 = performance.now();
        let x = 0;
        for (let i = 0; i < 5e6; i++) x += i;
        const b = Date.now();
        const p2 = performance.now();
        await new Promise((r) => setTimeout(r, 30));
        const c = Date.now();
        return Response.json({ a, b, c, p1, p2, x });
      }
      case '/eval': {
        const out = [];
        try { eval('1'); out.push('eval ran'); } catch (e) { out.push(e.name); }
        try { new Function('return 1'); out.push('Function ran'); } catch (e) { out.push(e.name); }
        try { setTimeout('1', 0); out.push('string timer ran'); } catch (e) { out.push(e.name); }
        return Response.json(out);
      }
      case '/sab': return new Response(typeof SharedArrayBuffer);
      case '/timeout':
        await new Promise((r) => setTimeout(r, 20));
        return new Response('later');
      case '/loop': for (;;) {}
      case '/log':
        console.log('hello from the worker', { a: 1 });
        return new Response('logged');
      case '/headers': return Response.json([...request.headers]);
      case '/cookies': {
        const h = new Headers();
        h.append('set-cookie', 'a=1');
        h.append('set-cookie', 'b=2');
        return new Response('cookies', { headers: h });
      }
      case '/redirect': return Response.redirect('https://example.com/next', 301);
      case '/big': return new Response('x'.repeat(1 << 20));
      case '/utf8': return new Response('héllo wörld ✓');
      default: return new Response('not found', { status: 404 });
    }
  },
};
