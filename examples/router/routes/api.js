import quotes from '../data/quotes.json';

export function listQuotes() {
  return Response.json(quotes);
}

export function getQuote({ params }) {
  const quote = quotes.find((q) => String(q.id) === params.id);
  return quote ? Response.json(quote) : Response.json({ error: 'no such quote' }, { status: 404 });
}
