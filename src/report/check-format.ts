/**
 * `wasmgate check` output: text (one line per mutation, warning, audit note and verdict, each
 * prefixed with the object's `file:line`), and JSON (the same, as data). SARIF is in sarif.ts.
 *
 * Exit codes of `check` (documented in the README, tested in test/integration/cli.test.ts):
 *   0  every object would be admitted (warnings and audit-mode findings do not fail)
 *   1  at least one object would be denied
 *   2  nothing was checked: bad arguments, an unreadable or invalid manifest, config or snapshot
 */
import type { CheckEntry } from './check-run.js';

export const EXIT_OK = 0;
export const EXIT_DENIED = 1;
export const EXIT_ERROR = 2;

export function checkExitCode(entries: readonly CheckEntry[]): number {
  return entries.some((e) => !e.allowed) ? EXIT_DENIED : EXIT_OK;
}

/** Every line starts with file:line (CI problem matchers and grep see each); a message's further lines are indented under it. */
export function formatCheckText(entries: readonly CheckEntry[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    const at = `${e.file}:${e.line}: ${e.label}`;
    const push = (text: string): void => {
      const [first, ...rest] = text.split('\n');
      lines.push(`${at}: ${first}`, ...rest.map((l) => `${at}:   ${l}`));
    };
    for (const op of e.mutations) push(`mutate: ${op.op} ${op.path} = ${JSON.stringify(op.value)}`);
    for (const w of e.warnings) push(`warning: ${w}`);
    for (const [k, a] of e.audit) push(`audit: [${k}] ${a}`);
    push(e.allowed ? 'allowed' : `DENIED: ${e.denial ?? ''}`);
  }
  lines.push(`${entries.length} checked, ${entries.filter((e) => !e.allowed).length} denied`);
  return `${lines.join('\n')}\n`;
}

export function formatCheckJson(entries: readonly CheckEntry[]): string {
  const out = {
    checked: entries.length,
    denied: entries.filter((e) => !e.allowed).length,
    objects: entries.map((e) => ({
      file: e.file,
      line: e.line,
      kind: e.kind,
      ...(e.namespace === undefined ? {} : { namespace: e.namespace }),
      name: e.name,
      allowed: e.allowed,
      ...(e.denial === undefined ? {} : { denial: e.denial }),
      mutations: e.mutations,
      warnings: e.warnings,
      auditAnnotations: Object.fromEntries(e.audit),
      findings: e.findings,
    })),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
