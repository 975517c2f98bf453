// Service-worker syntax.
addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.pathname === '/throw') throw new Error('sw boom');
  event.respondWith(new Response('service worker says hi'));
});
