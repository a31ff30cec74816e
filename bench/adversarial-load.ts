/**
 * The ordinary load of `npm run bench:adversarial`, in its own process so that building and sending
 * the adversarial bodies cannot delay it: autocannon at a fixed overall rate (its latencies include
 * the wait caused by a stalled server: no coordinated omission), until stdin closes or SIGTERM.
 * argv[2]: JSON {url, body, rate, connections}. Prints one JSON line with autocannon's result.
 */
import autocannon from 'autocannon';

interface LoadOptions {
  url: string;
  body: string;
  rate: number;
  connections: number;
  /** seconds; 0: until told to stop */
  duration: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const instance = autocannon(
  {
    url: `${o.url}/validate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: o.body,
    connections: o.connections,
    overallRate: o.rate,
    ...(o.duration > 0 ? { duration: o.duration } : { duration: 3600 }),
    timeout: 60,
  },
  (err, result) => {
    if (err) {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  },
);
const stop = (): void => {
  instance.stop();
};
process.once('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
