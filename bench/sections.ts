/**
 * bench/results.md is shared by several benchmarks. `npm run bench` regenerates its own part;
 * every other benchmark owns one marked section (`<!-- name:start -->` … `<!-- name:end -->`; bench/affinity.ts
 * writes `name:begin`) and replaces only that. These helpers keep the sections when either side rewrites the file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const SECTION = /<!-- ([a-z0-9-]+):(?:begin|start) -->[\s\S]*?<!-- \1:end -->\n?/g;

/** The marked sections of a document, in order, each ending with a newline. */
export function markedSections(doc: string): { name: string; text: string }[] {
  return [...doc.matchAll(SECTION)].map((m) => ({ name: m[1]!, text: m[0].endsWith('\n') ? m[0] : `${m[0]}\n` }));
}

/** `fresh` (which has no marked sections of its own) followed by the marked sections of `previous`. */
export function keepSections(fresh: string, previous: string): string {
  const kept = markedSections(previous).filter((s) => !fresh.includes(`<!-- ${s.name}:end -->`));
  if (kept.length === 0) return fresh;
  return `${fresh.trimEnd()}\n\n${kept.map((s) => s.text).join('\n')}`;
}

/** Replace (or append) the marked section `name` of `doc` with `body` (without markers). */
export function upsertSection(doc: string, name: string, body: string): string {
  const section = `<!-- ${name}:start -->\n${body.trimEnd()}\n<!-- ${name}:end -->\n`;
  const re = new RegExp(`<!-- ${name}:start -->[\\s\\S]*?<!-- ${name}:end -->\\n?`);
  return re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}`;
}

/** Write section `name` into the results file (created when missing). */
export function writeSection(path: string, name: string, body: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  writeFileSync(path, upsertSection(current, name, body));
}
