import { describe, expect, it } from 'vitest';
import type { ReportableFinding } from '../../../src/report/policy-report.js';
import { chooseReportApi, writeReports } from '../../../src/report/writer.js';
import { FakeApi } from './fake-api.js';

const NOW = Date.UTC(2026, 10, 28, 21, 0, 0);
const f = (over: Partial<ReportableFinding> = {}): ReportableFinding => ({
  kind: 'Deployment',
  namespace: 'apps',
  name: 'web',
  rule: 'runtimeclass-exists',
  mode: 'enforce',
  message: 'Deployment apps/web names RuntimeClass wasm2, which does not exist. Fix: create it.',
  ...over,
});
const PR = '/apis/wgpolicyk8s.io/v1alpha2/policyreports';
const CPR = '/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports';
const api = 'wgpolicyk8s.io/v1alpha2' as const;

function cluster(): FakeApi {
  const fake = new FakeApi();
  fake.namespaces.add('apps').add('batch');
  return fake;
}

describe('choosing the report API', () => {
  it.each([
    [['wgpolicyk8s.io/v1alpha2', 'openreports.io/v1alpha1'], 'auto', 'wgpolicyk8s.io/v1alpha2'],
    [['openreports.io/v1alpha1'], 'auto', 'openreports.io/v1alpha1'],
    [['wgpolicyk8s.io/v1alpha2', 'openreports.io/v1alpha1'], 'openreports.io/v1alpha1', 'openreports.io/v1alpha1'],
  ] as const)('served %j, asked %s → %s', async (served, choice, want) => {
    const fake = cluster();
    fake.groupVersions = [...served];
    expect(await chooseReportApi(fake, choice)).toBe(want);
  });

  it.each([
    [
      [],
      'auto',
      'the cluster serves neither wgpolicyk8s.io/v1alpha2 nor openreports.io/v1alpha1: install one of the policy-report CRDs (deploy/crds/) to write reports',
    ],
    [
      ['wgpolicyk8s.io/v1alpha2'],
      'openreports.io/v1alpha1',
      'the cluster does not serve openreports.io/v1alpha1: install its CRDs (deploy/crds/), or choose another report API',
    ],
  ] as const)('served %j, asked %s → a clear error', async (served, choice, message) => {
    const fake = cluster();
    fake.groupVersions = [...served];
    await expect(chooseReportApi(fake, choice)).rejects.toThrow(message);
  });
});

describe('writing reports', () => {
  it('creates, then leaves an unchanged report alone, updates a changed one, deletes an empty one', async () => {
    const fake = cluster();
    const batchPod = f({ kind: 'Pod', namespace: 'batch', name: 'p', rule: 'nodes-available' });
    const first = await writeReports(
      fake,
      [f(), batchPod, f({ kind: 'RuntimeClass', namespace: undefined, name: 'spin', rule: 'runtimeclass-has-selector', mode: 'warn' })],
      { api, now: NOW },
    );
    expect(first).toMatchObject({
      created: ['ClusterPolicyReport wasmgate', 'PolicyReport apps/wasmgate', 'PolicyReport batch/wasmgate'],
      updated: [],
      deleted: [],
      skipped: [],
    });
    expect(fake.get(PR, 'apps', 'wasmgate')?.['summary']).toEqual({ pass: 0, fail: 1, warn: 0, error: 0, skip: 0 });

    fake.calls.length = 0;
    const again = await writeReports(
      fake,
      [batchPod, f(), f({ kind: 'RuntimeClass', namespace: undefined, name: 'spin', rule: 'runtimeclass-has-selector', mode: 'warn' })],
      { api, now: NOW + 60_000 },
    );
    expect(again).toMatchObject({ created: [], updated: [], unchanged: 3, deleted: [] });
    expect(fake.calls.filter((c) => !c.startsWith('GET'))).toEqual([]);

    // the Deployment is fixed, a second finding appears in batch, the RuntimeClass is fixed
    const fixed = await writeReports(fake, [batchPod, f({ kind: 'Job', namespace: 'batch', name: 'j' })], { api, now: NOW + 120_000 });
    expect(fixed).toMatchObject({ created: [], updated: ['PolicyReport batch/wasmgate'], unchanged: 0 });
    expect(fixed.deleted.sort()).toEqual(['ClusterPolicyReport wasmgate', 'PolicyReport apps/wasmgate']);
    expect(fake.get(PR, 'apps', 'wasmgate')).toBeUndefined();
    expect(fake.get(CPR, undefined, 'wasmgate')).toBeUndefined();
    const batch = fake.get(PR, 'batch', 'wasmgate')!;
    expect(
      (batch['results'] as { resources: { name: string }[]; timestamp: { seconds: number } }[]).map((r) => [
        r.resources[0]!.name,
        r.timestamp.seconds,
      ]),
    ).toEqual([
      ['j', (NOW + 120_000) / 1000],
      ['p', NOW / 1000],
    ]);
  });

  it('never touches a report that is not labelled as wasmgate’s', async () => {
    const fake = cluster();
    const foreign = {
      apiVersion: api,
      kind: 'PolicyReport',
      metadata: { name: 'wasmgate', namespace: 'apps', labels: { 'app.kubernetes.io/managed-by': 'kyverno' } },
      results: [],
    };
    fake.put(PR, foreign);
    const other = { apiVersion: api, kind: 'PolicyReport', metadata: { name: 'kyverno-x', namespace: 'batch' }, results: [] };
    fake.put(PR, other);
    const out = await writeReports(fake, [f()], { api, now: NOW });
    expect(out.created).toEqual([]);
    expect(out.skipped).toEqual([
      'PolicyReport apps/wasmgate: an object of that name exists and is not wasmgate\'s ("wasmgate" already exists)',
    ]);
    expect(fake.get(PR, 'apps', 'wasmgate')?.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'kyverno' });
    await writeReports(fake, [], { api, now: NOW });
    expect(fake.get(PR, 'batch', 'kyverno-x')).toBeDefined();
    expect(fake.get(PR, 'apps', 'wasmgate')).toBeDefined();
  });

  it('a namespace being deleted is skipped, not an error; other namespaces are still written', async () => {
    const fake = cluster();
    const out = await writeReports(fake, [f({ namespace: 'gone' }), f()], { api, now: NOW });
    expect(out.created).toEqual(['PolicyReport apps/wasmgate']);
    expect(out.skipped).toEqual(['PolicyReport gone/wasmgate: namespaces "gone" not found']);
  });

  it('an update that races another writer is a conflict, retried at the next pass', async () => {
    const fake = cluster();
    await writeReports(fake, [f()], { api, now: NOW });
    const stored = fake.get(PR, 'apps', 'wasmgate')!;
    const realRequest = fake.request.bind(fake);
    fake.request = async (method, path, body) => {
      if (method === 'PUT') fake.put(PR, structuredClone(stored)); // someone wrote in between: resourceVersion moves on
      return realRequest(method, path, body);
    };
    const out = await writeReports(fake, [f({ message: 'changed. Fix: x.' })], { api, now: NOW });
    expect(out.updated).toEqual([]);
    expect(out.skipped[0]).toMatch(/^PolicyReport apps\/wasmgate: changed meanwhile, written at the next pass/);
  });

  it('stops writing as soon as the lease is lost', async () => {
    const fake = cluster();
    const out = await writeReports(fake, [f(), f({ namespace: 'batch' })], { api, now: NOW, mayWrite: () => false });
    expect(out.created).toEqual([]);
    expect(fake.calls.filter((c) => !c.startsWith('GET'))).toEqual([]);
  });

  it('an API error other than the expected ones is thrown with its message', async () => {
    const fake = cluster();
    await writeReports(fake, [f()], { api, now: NOW });
    fake.failNext = { status: 500, times: 1 };
    await expect(writeReports(fake, [f()], { api, now: NOW })).rejects.toThrow(
      `GET ${PR}?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dwasmgate&limit=500: HTTP 500: injected failure`,
    );
  });

  it('openreports.io: Report and ClusterReport with a top-level source', async () => {
    const fake = cluster();
    await writeReports(fake, [f()], { api: 'openreports.io/v1alpha1', now: NOW });
    const r = fake.get('/apis/openreports.io/v1alpha1/reports', 'apps', 'wasmgate')!;
    expect([r['kind'], r['source']]).toEqual(['Report', 'wasmgate']);
  });
});
