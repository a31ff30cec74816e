import { describe, expect, it } from 'vitest';
import {
  MAX_RESULTS,
  REPORT_APIS,
  buildReports,
  firstSeenOf,
  reportKinds,
  resultKey,
  timestampOf,
  type ReportableFinding,
} from '../../../src/report/policy-report.js';
import { loadCrd } from './crd.js';

const NOW = Date.UTC(2026, 10, 28, 21, 0, 0, 250);
const f = (over: Partial<ReportableFinding>): ReportableFinding => ({
  kind: 'Deployment',
  namespace: 'apps',
  name: 'web',
  rule: 'runtimeclass-exists',
  mode: 'enforce',
  message: 'Deployment apps/web names RuntimeClass wasm2, which does not exist. Fix: create it.',
  ...over,
});

const findings: ReportableFinding[] = [
  f({ uid: 'u-web' }),
  f({ name: 'api', rule: 'runtimeclass-has-selector', mode: 'warn', message: 'warn text. Fix: add one.' }),
  f({ kind: 'Pod', namespace: 'batch', name: 'p', rule: 'nodes-available', mode: 'audit', message: 'no node. Fix: label one.' }),
  f({
    kind: 'RuntimeClass',
    namespace: undefined,
    name: 'spin',
    rule: 'runtimeclass-has-selector',
    mode: 'warn',
    message: 'no selector. Fix: add one.',
  }),
  f({ kind: 'Pod', namespace: undefined, name: 'loose', rule: 'selector-conflict', mode: 'enforce', message: 'conflict. Fix: drop it.' }),
];

describe('policy reports from audit findings', () => {
  it('one report per namespace plus a cluster report, named and labelled as wasmgate', () => {
    const { reports } = buildReports(findings, { api: 'wgpolicyk8s.io/v1alpha2', now: NOW });
    expect(reports.map((r) => `${r.kind} ${r.metadata.namespace ?? '-'}/${r.metadata.name} ${JSON.stringify(r.summary)}`)).toEqual([
      'ClusterPolicyReport -/wasmgate {"pass":0,"fail":0,"warn":1,"error":0,"skip":0}',
      'PolicyReport apps/wasmgate {"pass":0,"fail":1,"warn":1,"error":0,"skip":0}',
      'PolicyReport batch/wasmgate {"pass":0,"fail":0,"warn":1,"error":0,"skip":0}',
      'PolicyReport default/wasmgate {"pass":0,"fail":1,"warn":0,"error":0,"skip":0}',
    ]);
    for (const r of reports) expect(r.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'wasmgate' });
  });

  it.each([
    ['enforce', 'fail', 'high', true],
    ['warn', 'warn', 'medium', undefined],
    ['audit', 'warn', 'low', undefined],
  ] as const)('mode %s → result %s, severity %s', (mode, result, severity, scored) => {
    const { reports } = buildReports([f({ mode })], { api: 'openreports.io/v1alpha1', now: NOW });
    const r = reports[0]!.results[0]!;
    expect(r).toEqual({
      source: 'wasmgate',
      policy: 'wasmgate',
      rule: 'runtimeclass-exists',
      category: 'WebAssembly workloads',
      result,
      ...(scored === undefined ? {} : { scored }),
      severity,
      message: f({}).message,
      properties: { mode },
      resources: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'apps' }],
      timestamp: { seconds: Math.floor(NOW / 1000), nanos: 250_000_000 },
    });
    expect(reports[0]!.source).toBe('wasmgate');
  });

  it('resource references carry apiVersion by kind, and the uid when known', () => {
    const { reports } = buildReports(findings, { api: 'wgpolicyk8s.io/v1alpha2', now: NOW });
    const refs = reports.flatMap((r) => r.results.map((x) => x.resources[0]));
    expect(refs).toContainEqual({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', name: 'spin' });
    expect(refs).toContainEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'apps', uid: 'u-web' });
    expect(refs).toContainEqual({ apiVersion: 'v1', kind: 'Pod', name: 'loose', namespace: 'default' });
  });

  it('keeps the first-seen timestamp of a result that persists, and dedups identical results', () => {
    const first = buildReports(findings, { api: 'wgpolicyk8s.io/v1alpha2', now: NOW });
    const later = buildReports([...findings, findings[0]!], {
      api: 'wgpolicyk8s.io/v1alpha2',
      now: NOW + 60_000,
      firstSeen: firstSeenOf(first.reports),
    });
    expect(later.reports).toEqual(first.reports);
    const changed = buildReports([f({ message: 'other. Fix: x.' })], {
      api: 'wgpolicyk8s.io/v1alpha2',
      now: NOW + 60_000,
      firstSeen: firstSeenOf(first.reports),
    });
    expect(changed.reports[0]!.results[0]!.timestamp).toEqual(timestampOf(NOW + 60_000));
  });

  it('caps a report at MAX_RESULTS, the strictest first, and counts what was left out', () => {
    const many = Array.from({ length: MAX_RESULTS + 5 }, (_, i) =>
      f({ name: `w${String(i).padStart(5, '0')}`, mode: i < 10 ? 'warn' : 'enforce' }),
    );
    const { reports, truncated } = buildReports(many, { api: 'wgpolicyk8s.io/v1alpha2', now: NOW });
    expect(reports[0]!.results).toHaveLength(MAX_RESULTS);
    expect(reports[0]!.summary).toEqual({ pass: 0, fail: MAX_RESULTS - 5, warn: 5, error: 0, skip: 0 });
    expect(truncated.get('apps')).toBe(5);
  });

  it('results are ordered deterministically: enforce, warn, audit; then kind, name, rule', () => {
    const { reports } = buildReports([...findings].reverse(), { api: 'wgpolicyk8s.io/v1alpha2', now: NOW });
    const apps = reports.find((r) => r.metadata.namespace === 'apps')!;
    expect(apps.results.map((r) => resultKey(r))).toEqual(
      buildReports(findings, { api: 'wgpolicyk8s.io/v1alpha2', now: NOW })
        .reports.find((r) => r.metadata.namespace === 'apps')!
        .results.map((r) => resultKey(r)),
    );
    expect(apps.results.map((r) => r.result)).toEqual(['fail', 'warn']);
  });
});

describe('generated reports validate against the projects’ CRDs (unknown fields forbidden)', () => {
  const files: Record<string, [string, string]> = {
    PolicyReport: ['deploy/crds/wgpolicyk8s.io_policyreports.yaml', 'v1alpha2'],
    ClusterPolicyReport: ['deploy/crds/wgpolicyk8s.io_clusterpolicyreports.yaml', 'v1alpha2'],
    Report: ['deploy/crds/openreports.io_reports.yaml', 'v1alpha1'],
    ClusterReport: ['deploy/crds/openreports.io_clusterreports.yaml', 'v1alpha1'],
  };
  const crds = Object.fromEntries(Object.entries(files).map(([k, [file, v]]) => [k, loadCrd(file, v)]));

  it.each(REPORT_APIS)('%s: every report is valid, and kinds and plurals match the CRDs', (api) => {
    const kinds = reportKinds(api);
    for (const [k, scope] of [
      [kinds.namespaced, 'Namespaced'],
      [kinds.cluster, 'Cluster'],
    ] as const) {
      const crd = crds[k.kind]!;
      expect([crd.group, crd.version, crd.plural, crd.scope]).toEqual([kinds.group, kinds.version, k.plural, scope]);
    }
    for (const r of buildReports(findings, { api, now: NOW }).reports) {
      const crd = crds[r.kind]!;
      const ok = crd.validate(r);
      expect(crd.validate.errors ?? [], `${r.kind} ${r.metadata.namespace ?? ''}`).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it.each([
    ['an invented field', (r: Record<string, unknown>) => ({ ...r, results: [{ ...(r['results'] as object[])[0], inventedField: 1 }] })],
    [
      'a result outside the enum',
      (r: Record<string, unknown>) => ({ ...r, results: [{ ...(r['results'] as object[])[0], result: 'denied' }] }),
    ],
    [
      'a timestamp without nanos',
      (r: Record<string, unknown>) => ({ ...r, results: [{ ...(r['results'] as object[])[0], timestamp: { seconds: 1 } }] }),
    ],
  ])('the check can fail: %s is rejected', (_name, spoil) => {
    const r = buildReports(findings, { api: 'wgpolicyk8s.io/v1alpha2', now: NOW }).reports[1]!;
    expect(crds['PolicyReport']!.validate(spoil(r as unknown as Record<string, unknown>))).toBe(false);
  });
});
