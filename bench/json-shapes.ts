/**
 * `npx tsx bench/json-shapes.ts`: how long JSON.parse takes for 256 KiB texts of several shapes,
 * the largest body that is parsed on the main thread without a worker (src/server/body.ts,
 * STEP_BYTES). Why the item count (limits.jsonItems) runs on bodies of that size too: without it,
 * the worst shape here holds the event loop for 15-20 ms (bench/results.md, issue 13 notes).
 * Run with the deployed V8 flag: `node --max-semi-space-size=8 --import tsx bench/json-shapes.ts`.
 */
const SIZE = 256 * 1024;

/** A JSON array or object of `item(i)` members, as many as fit in SIZE characters. */
function fill(open: string, close: string, item: (i: number) => string): string {
  const parts: string[] = [];
  let length = 2;
  for (let i = 0; ; i++) {
    const next = item(i);
    if (length + next.length + 1 > SIZE) break;
    parts.push(next);
    length += next.length + 1;
  }
  return `${open}${parts.join(',')}${close}`;
}

const shapes: Record<string, string> = {
  'array of 0': fill('[', ']', () => '0'),
  'array of ""': fill('[', ']', () => '""'),
  'array of {}': fill('[', ']', () => '{}'),
  'array of []': fill('[', ']', () => '[]'),
  'array of {"a":0}': fill('[', ']', () => '{"a":0}'),
  'array of {"<distinct key>":0}': fill('[', ']', (i) => `{"${i.toString(36)}":0}`),
  'object of short distinct keys': fill('{', '}', (i) => `"${i.toString(36)}":0`),
  'object of selector keys': fill('{', '}', (i) => `"kubernetes.io/k${i}":"v"`),
};

process.stdout.write('| shape | characters | JSON.parse median ms | max ms (20 parses) |\n|---|---|---|---|\n');
for (const [name, text] of Object.entries(shapes)) {
  for (let i = 0; i < 5; i++) JSON.parse(text);
  const ms: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = process.hrtime.bigint();
    JSON.parse(text);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  process.stdout.write(`| ${name} | ${text.length} | ${ms[10]!.toFixed(2)} | ${ms[19]!.toFixed(2)} |\n`);
}
