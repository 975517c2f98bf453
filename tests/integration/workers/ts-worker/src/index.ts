import { greet, type Greeting } from './greet.js';

interface Env {
  GREETING?: string;
}

enum Volume {
  Normal = 'normal',
  Loud = 'loud',
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const volume: Volume = url.searchParams.has('loud') ? Volume.Loud : Volume.Normal;
    const greeting: Greeting = greet(env.GREETING ?? 'hello', volume === Volume.Loud);
    return Response.json({ ...greeting, volume });
  },
} satisfies ExportedHandler<Env>;
