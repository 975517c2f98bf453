// bench/url's worker: GET /?n=N runs `new URL(input, base)` over every input of inputs.js, N times, and answers
// "<parses> <checksum>", the checksum being the sum of the first pass's href lengths (so a server that skipped or
// mis-parsed shows). GET /?check answers, as JSON, the inputs and the parts of each one's URL (null where
// `new URL` throws), for comparing runtimes.
import INPUTS from './inputs.js';

const inputs = INPUTS.map((entry) => entry[0]);
const bases = INPUTS.map((entry) => entry[1]);

function parts(input, base) {
  try {
    const u = new URL(input, base);
    return [u.href, u.origin, u.protocol, u.host, u.pathname, u.search, u.hash];
  } catch (e) {
    return null;
  }
}

export default {
  fetch(request) {
    const params = new URL(request.url).searchParams;
    if (params.has('check')) {
      const body = { inputs: INPUTS, parts: inputs.map((input, i) => parts(input, bases[i])) };
      return new Response(JSON.stringify(body),
                          { headers: { 'content-type': 'application/json' } });
    }
    const n = Number(params.get('n')) || 0;
    const count = inputs.length;
    let checksum = 0;
    if (n > 0) {
      for (let j = 0; j < count; j++) checksum += new URL(inputs[j], bases[j]).href.length;
    }
    let last = null;
    for (let i = 1; i < n; i++) {
      for (let j = 0; j < count; j++) last = new URL(inputs[j], bases[j]);
    }
    if (last !== null && last.href.length === 0) checksum = -1;  // keeps the last parse observable
    return new Response(`${n * count} ${checksum}\n`);
  },
};
