import { escape, page } from '../lib/html.js';

export function home() {
  return page('islet router', '<p>Try <a href="/hello/world">/hello/world</a> or <a href="/api/quotes">/api/quotes</a>.</p>');
}

export function hello({ params }) {
  return page(`Hello, ${params.name}`, `<p>Hello, ${escape(params.name)}!</p>`);
}
