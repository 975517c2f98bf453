// The input both halves hash: 1 MB of a fixed pattern, made once at the worker's top level.
export const INPUT = new Uint8Array(1 << 20);
for (let i = 0; i < INPUT.length; i++) INPUT[i] = (i * 31 + 7) & 0xff;
