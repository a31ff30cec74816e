/**
 * Golden files for every output format of issue 12: `check` as text, JSON and SARIF (with
 * file:line), `audit -o policyreport` for both report APIs, and the Warning Event on a stranded
 * RuntimeClass. Regenerate with
 *   npx vitest run test/unit/report-golden.test.ts -u
 * and read every changed file in test/golden/ before committing it.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { auditObjects } from '../../src/audit/audit.js';
import { loadSnapshot } from '../../src/cluster/snapshot.js';
import { RULES } from '../../src/rules/registry.js';
import { checkExitCode, formatCheckJson, formatCheckText } from '../../src/report/check-format.js';
import { checkLocated } from '../../src/report/check-run.js';
import { StrandTracker, strandEvent } from '../../src/report/events.js';
import { locateObjects } from '../../src/report/locate.js';
import { buildReports, type ReportApi } from '../../src/report/policy-report.js';
import { reportsYaml } from '../../src/report/print.js';
import { formatCheckSarif } from '../../src/report/sarif.js';
import { config, node } from '../harness/fixtures.js';

const FILES = [
  'examples/manifests/good-pod.yaml',
  'examples/manifests/bad-pods.yaml',
  'examples/manifests/good-deployment.yaml',
  'examples/manifests/bad-deployment.yaml',
];
const NOW = Date.UTC(2026, 10, 28, 21, 0, 0, 123);

async function checked() {
  const { state } = await loadSnapshot('examples/cluster');
  const located = [];
  for (const f of FILES) located.push(...locateObjects(await readFile(f, 'utf8'), f));
  return checkLocated(located, state, config());
}

describe('check output formats', () => {
  it('text: file:line on every line', async () => {
    const entries = await checked();
    const text = formatCheckText(entries);
    for (const line of text.trim().split('\n').slice(0, -1)) expect(line).toMatch(/^examples\/manifests\/[a-z-]+\.yaml:\d+: /);
    await expect(text).toMatchFileSnapshot('../golden/check-output.txt');
    expect(checkExitCode(entries)).toBe(1);
    expect(checkExitCode(entries.filter((e) => e.allowed))).toBe(0);
  });

  it('the line is where the object starts in its file (after comments and ---)', async () => {
    const entries = await checked();
    for (const e of entries) {
      const lines = (await readFile(e.file, 'utf8')).split('\n');
      expect(lines[e.line - 1], `${e.file}:${e.line}`).toMatch(/^(apiVersion|kind|metadata):/);
    }
    expect(entries.map((e) => `${e.file}:${e.line}`)).toContain('examples/manifests/bad-pods.yaml:4');
  });

  it('json', async () => {
    const json = formatCheckJson(await checked());
    expect(JSON.parse(json)).toMatchObject({ checked: expect.any(Number), denied: expect.any(Number) });
    await expect(json).toMatchFileSnapshot('../golden/check-output.json');
  });

  it('sarif 2.1.0: every rule with help text, results with ruleId, level, message and location', async () => {
    const sarif = formatCheckSarif(await checked(), { version: '0.1.0', rules: RULES });
    const log = JSON.parse(sarif) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string; help: { text: string } }[] } };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          message: { text: string };
          locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
        }[];
      }[];
    };
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0]!;
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    for (const r of run.tool.driver.rules) expect(r.help.text).toContain(`rules.${r.id}`);
    expect(run.results.length).toBeGreaterThan(0);
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
      expect(['error', 'warning', 'note']).toContain(r.level);
      expect(r.locations[0]!.physicalLocation.region.startLine).toBeGreaterThan(0);
      expect(r.locations[0]!.physicalLocation.artifactLocation.uri).toMatch(/^examples\/manifests\//);
    }
    await expect(sarif).toMatchFileSnapshot('../golden/check-output.sarif.json');
  });
});

describe('audit -o policyreport', () => {
  it.each([
    ['wgpolicyk8s.io/v1alpha2', 'audit-policyreport.yaml'],
    ['openreports.io/v1alpha1', 'audit-openreports.yaml'],
  ] as const)('%s', async (api: ReportApi, golden) => {
    const { state } = await loadSnapshot('examples/cluster');
    const objects = [];
    for (const f of FILES) objects.push(...locateObjects(await readFile(f, 'utf8'), f).map((l) => l.object));
    const report = auditObjects(objects, state, config());
    await expect(reportsYaml(buildReports(report.findings, { api, now: NOW }).reports)).toMatchFileSnapshot(`../golden/${golden}`);
  });
});

describe('Warning Event on a stranded RuntimeClass', () => {
  it('carries the node-change warning', async () => {
    const { state } = await loadSnapshot('examples/cluster');
    const t = new StrandTracker();
    t.reconcile(state, config());
    const before = state.getNode('wasm-1')!;
    const after = node('wasm-1', {}, {});
    state.upsertNode(after);
    const [s] = t.nodeChanged(before, after, state, config());
    expect(s).toBeDefined();
    const ev = strandEvent({ name: s!.runtimeClass }, 'uid-of-wasm1', s!.message, 'wasmgate-0_1a2b3c4d', NOW);
    await expect(`${JSON.stringify(ev, null, 2)}\n`).toMatchFileSnapshot('../golden/event-runtimeclass-stranded.json');
  });
});
