/**
 * The tool versions pinned in hack/controlplane/versions.env, the one place they are written: the
 * shell build scripts source it, and TypeScript (benchmarks, tests) reads it here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from './binaries.js';

export const VERSIONS_FILE = join('hack', 'controlplane', 'versions.env');

/**
 * The KEY=value lines of versions.env text (comments and blank lines skipped); a value is a plain
 * version (letters, digits, `._+-`). Throws on a line of any other shape and on a key set twice: a
 * second line would silently win in the shell.
 */
export function parseVersions(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Z][A-Z0-9_]*)=([A-Za-z0-9._+-]+)$/.exec(line);
    if (m === null) throw new Error(`${VERSIONS_FILE}:${i + 1}: expected KEY=value, got ${JSON.stringify(line.slice(0, 80))}`);
    if (m[1]! in out) throw new Error(`${VERSIONS_FILE}:${i + 1}: ${m[1]} is pinned twice`);
    out[m[1]!] = m[2]!;
  });
  return out;
}

/** One pinned version, e.g. pinnedVersion('KYVERNO_VERSION'); throws when it is not pinned. */
export function pinnedVersion(key: string, root: string | undefined = findRepoRoot()): string {
  if (root === undefined) throw new Error(`${VERSIONS_FILE} not found: not run from the wasmgate repository`);
  const value = parseVersions(readFileSync(join(root, VERSIONS_FILE), 'utf8'))[key];
  if (value === undefined) throw new Error(`${key} is not pinned in ${VERSIONS_FILE}`);
  return value;
}
