/**
 * `check -o sarif`: SARIF 2.1.0, the format code-scanning UIs (GitHub, GitLab, Azure DevOps) read.
 * tool.driver.rules lists every rule of the registry with its help text and default level; each
 * finding is a result with its ruleId, level (enforce → error, warn → warning, audit → note),
 * wasmgate's message, and the manifest's path and line.
 */
import { isAbsolute, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Mode } from '../config/config.js';
import type { Rule } from '../decide/types.js';
import type { CheckEntry } from './check-run.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const LEVEL: Record<Mode, 'error' | 'warning' | 'note'> = { enforce: 'error', warn: 'warning', audit: 'note' };

/** A rule for denials no rule produced (an object wasmgate could not decide on). */
const FALLBACK = {
  id: 'wasmgate',
  summary: 'wasmgate could not decide on this object (for example, the cluster state was not available).',
  defaultMode: 'enforce' as Mode,
};

function pascal(id: string): string {
  return id
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

export function sarifRule(r: Pick<Rule, 'id' | 'summary' | 'defaultMode'>): Record<string, unknown> {
  const help =
    `${r.summary}\n\nwasmgate applies this rule at admission (kubectl apply), in \`wasmgate check\` and in audits. ` +
    `Default mode: ${r.defaultMode} (enforce denies, warn admits with a warning, audit only records). ` +
    `Change it with \`rules.${r.id}\` in wasmgate's config file. Each finding's message names the object, the field and the fix.`;
  return {
    id: r.id,
    name: pascal(r.id),
    shortDescription: { text: r.summary },
    fullDescription: { text: r.summary },
    help: { text: help },
    defaultConfiguration: { level: LEVEL[r.defaultMode] },
    properties: { tags: ['kubernetes', 'webassembly'] },
  };
}

/** A path relative to `cwd` with forward slashes, or a file: URI when it is outside. */
export function artifactUri(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  return pathToFileURL(file).href;
}

export interface SarifOptions {
  version: string;
  rules: readonly Pick<Rule, 'id' | 'summary' | 'defaultMode'>[];
  cwd?: string;
}

export function formatCheckSarif(entries: readonly CheckEntry[], opts: SarifOptions): string {
  const rules = [...opts.rules];
  if (entries.some((e) => e.findings.some((f) => f.rule === FALLBACK.id))) rules.push(FALLBACK);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const results = entries.flatMap((e) =>
    e.findings.map((f) => ({
      ruleId: f.rule,
      ruleIndex: index.get(f.rule) ?? -1,
      level: LEVEL[f.mode],
      message: { text: f.message },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: artifactUri(e.file, opts.cwd) }, region: { startLine: e.line } },
          logicalLocations: [{ fullyQualifiedName: e.label, kind: 'resource' }],
        },
      ],
    })),
  );
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'wasmgate', version: opts.version, semanticVersion: opts.version, rules: rules.map(sarifRule) } },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
