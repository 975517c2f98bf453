const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// Escapes text for HTML.
export function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => escapes[c]);
}

// An HTML page; `title` is escaped, `body` is trusted markup.
export function page(title, body) {
  const html = `<!doctype html><html><head><title>${escape(title)}</title></head><body>${body}</body></html>\n`;
  return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } });
}
