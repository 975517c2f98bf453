// Run once while the snapshot is built, in a context of its own that is then thrown away (never in a worker's):
// it takes requests through the path every fetch takes - setWorker, dispatchFetch, Request, Headers, Response,
// responseParts, fetchDone - so that the functions on it are compiled into the snapshot, and a cold start does not
// parse and compile them again on its first request (about 0.8 ms of it). Natives reach a Host that does nothing.
// Add what most requests run through; what only some workers use (URL parsing, streams, crypto) costs every
// isolate its bytecode, so it stays lazy.
(function (g, native, internal) {
  'use strict';
  internal.setWorker({
    default: {
      fetch(request, env, ctx) {
        if (request.headers.get('x-async') !== null) return Promise.resolve(new Response('warm', { status: 200 }));
        return new Response('warm');
      },
    },
  }, {});
  const headers = ['accept', '*/*', 'host', 'warm.invalid', 'user-agent', 'islet-warm-up'];
  internal.dispatchFetch(1, 'GET', 'http://warm.invalid/', headers, null);
  internal.dispatchFetch(2, 'GET', 'http://warm.invalid/', headers.concat(['x-async', '1']), null);
})
