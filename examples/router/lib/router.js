// Matches a request's method and path against patterns such as /items/:id; the handler gets the params.
export class Router {
  #routes = [];

  get(pattern, handler) {
    return this.on('GET', pattern, handler);
  }

  on(method, pattern, handler) {
    const parts = pattern.split('/').filter(Boolean);
    this.#routes.push({ method, parts, handler });
    return this;
  }

  handle(request, env, ctx) {
    const url = new URL(request.url);
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    for (const route of this.#routes) {
      if (route.method !== request.method || route.parts.length !== segments.length) continue;
      const params = {};
      const matches = route.parts.every((part, i) => {
        if (part.startsWith(':')) {
          params[part.slice(1)] = segments[i];
          return true;
        }
        return part === segments[i];
      });
      if (matches) return route.handler({ request, env, ctx, url, params });
    }
    return new Response('not found\n', { status: 404 });
  }
}
