/**
 * README.md's table of kinds is generated from the kinds registry: this test regenerates it and
 * compares. When it fails after a registry change, paste the expected table into the README.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KINDS, apiVersionOf, verbsOf, type KindRecord } from '../../../src/kinds/registry.js';

const README = new URL('../../../README.md', import.meta.url);

function row(k: KindRecord): string {
  const a = k.admission;
  const webhook = a === undefined ? '—' : `${a.webhook}: ${a.endpoints.join(', ')} (${a.operations.join(', ')})`;
  const cells = [
    k.kind,
    `\`${apiVersionOf(k)}\``,
    k.resource,
    k.scope,
    k.podSpec === undefined ? '—' : `\`${k.podSpec}\``,
    webhook,
    k.watched ? 'yes' : '—',
    k.audited ? 'yes' : '—',
    verbsOf(k).join(', ') || '—',
  ];
  return `| ${cells.join(' | ')} |`;
}

function kindsTable(): string {
  return [
    '| kind | apiVersion | resource | scope | pod spec | webhook: endpoints (operations) | watched | audited | RBAC verbs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...(KINDS as readonly KindRecord[]).map(row),
  ].join('\n');
}

/** The first table after the heading `## Kinds`. */
function readmeTable(): string {
  const lines = readFileSync(README, 'utf8').split('\n');
  const start = lines.indexOf('## Kinds');
  if (start < 0) throw new Error('README.md has no "## Kinds" section');
  const first = lines.findIndex((l, i) => i > start && l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
  return lines.slice(first, end < 0 ? undefined : end).join('\n');
}

describe("README's table of kinds", () => {
  it('is the registry', () => {
    expect(readmeTable()).toBe(kindsTable());
  });
});
