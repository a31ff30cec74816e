/**
 * charts/wasmgate with real helm: `helm lint --strict` and `helm template` for each value set,
 * every rendered object accepted by the real kube-apiserver (`kubectl apply --dry-run=server`),
 * and the rendered webhook configurations equal to what `wasmgate manifests` generates.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { caBundle, generateWebhookCerts } from '../../src/certs/generate.js';
import { parseConfig } from '../../src/config/config.js';
import { webhookConfigurations } from '../../src/deploy/webhooks.js';
import { useControlPlane, waitForCrds } from '../harness/controlplane.js';
import { CHART, certManagerCrds, helmBinary, objectsOf, useHelm, type Helm } from '../harness/helm.js';
import { REPO } from '../harness/wasmgate.js';

const cp = useControlPlane();
let helm: Helm;
let secretCa = '';

const NS = 'wasmgate';
const SETS: Record<string, () => object> = {
  defaults: () => ({}),
  'cert-manager': () => ({ certificates: { mode: 'cert-manager' } }),
  secret: () => ({ certificates: { mode: 'secret', secret: { name: 'wasmgate-tls', caBundle: secretCa } } }),
  '3 replicas': () => ({ replicaCount: 3 }),
  'node checks off': () => ({ webhook: { nodeChecks: false } }),
  'dev url, optional objects': () => ({
    webhook: { url: 'https://127.0.0.1:9443' },
    networkPolicy: { enabled: true },
    config: { defaultRuntimeClass: 'wasm1' },
  }),
  'policy-report CRDs': () => ({ crds: { install: true } }),
};

async function render(values: object): Promise<any[]> {
  const res = await helm(['template', 'wg', CHART, '--namespace', NS, '-f', '-'], stringify(values));
  expect(res.code, res.stderr).toBe(0);
  return objectsOf(res.stdout);
}

beforeAll(async () => {
  helm = await useHelm(cp, await helmBinary());
  secretCa = caBundle((await generateWebhookCerts('wg-wasmgate', NS)).ca.cert);
  const ns = await cp.kubectl(['create', 'namespace', NS]);
  expect(ns.code, ns.stderr).toBe(0);
  const crds = await cp.kubectl(['apply', '--server-side', '-f', '-'], { input: await certManagerCrds() });
  expect(crds.code, crds.stderr).toBe(0);
  await waitForCrds(cp, ['certificates.cert-manager.io', 'issuers.cert-manager.io']);
}, 600_000);

describe('helm lint and template', () => {
  for (const [name, values] of Object.entries(SETS)) {
    it(`${name}: lint --strict passes and the API server accepts every object (dry-run=server)`, async () => {
      const lint = await helm(['lint', '--strict', CHART, '--namespace', NS, '-f', '-'], stringify(values()));
      expect(lint.code, lint.stdout + lint.stderr).toBe(0);
      const objects = await render(values());
      expect(objects.length).toBeGreaterThan(8);
      const res = await cp.kubectl(['apply', '--dry-run=server', '-n', NS, '-f', '-'], {
        input: objects.map((o) => stringify(o)).join('---\n'),
      });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout.trim().split('\n')).toHaveLength(objects.length);
    });
  }

  it('a config value that breaks the config schema is refused by helm, naming the field', async () => {
    const res = await helm(['template', 'wg', CHART, '-f', '-'], stringify({ config: { nodes: { requireReady: 'maybe' } } }));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('requireReady');
  });

  it('config.annotations other than those the webhook matchConditions were generated for is refused, saying how to fix it', async () => {
    const res = await helm(['template', 'wg', CHART, '-f', '-'], stringify({ config: { annotations: { runtime: 'example.com/wasm' } } }));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('config.annotations differs from the annotations the chart');
    expect(res.stderr).toContain('scripts/chart-files.ts');
  });
});

describe('the rendered objects', () => {
  it('webhook configurations equal `wasmgate manifests` for the same service, namespaces and opt-out label', async () => {
    for (const [values, opts] of [
      [{}, { client: { service: { name: 'wg-wasmgate', namespace: NS } } }],
      [{ webhook: { url: 'https://127.0.0.1:9443/', nodeChecks: false } }, { client: { url: 'https://127.0.0.1:9443' }, nodes: false }],
      [
        { webhook: { workloads: false, excludeNamespaces: ['tools'] } },
        { client: { service: { name: 'wg-wasmgate', namespace: NS } }, workloads: false, excludeNamespaces: [NS, 'tools'] },
      ],
    ] as const) {
      const objects = await render(values);
      const expected = webhookConfigurations(parseConfig({}), {
        excludeNamespaces: [NS],
        optOutLabel: 'wasmgate.dev/ignore',
        ...opts,
      } as never) as any[];
      for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
        const got = objects.find((o) => o.kind === kind);
        expect(got.metadata.name).toBe('wg-wasmgate');
        expect(got.webhooks).toEqual(expected.find((o) => o.kind === kind).webhooks);
      }
    }
  });

  it('validation failurePolicy is a value; mutation stays fail-open', async () => {
    const objects = await render({ webhook: { failurePolicy: 'Ignore' } });
    const policies = objects
      .filter((o) => o.kind.endsWith('WebhookConfiguration'))
      .flatMap((o) => o.webhooks.map((w: any) => w.failurePolicy));
    expect(new Set(policies)).toEqual(new Set(['Ignore']));
  });

  it('the Deployment: replicas, spread, probes, resources, hardening, memory flag, config checksum', async () => {
    const a = await render({});
    const d = a.find((o) => o.kind === 'Deployment');
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(d.spec.replicas).toBe(2);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'kubernetes.io/hostname', maxSkew: 1 });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', scheme: 'HTTPS' });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', scheme: 'HTTPS' });
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.env).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-semi-space-size=8 --expose-gc' });
    expect(a.find((o) => o.kind === 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    const b = await render({ config: { unsynced: 'allow' } });
    const sum = (objs: any[]): string => objs.find((o) => o.kind === 'Deployment').spec.template.metadata.annotations['checksum/config'];
    expect(sum(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(sum(b)).not.toBe(sum(a));
    expect(b.find((o) => o.kind === 'ConfigMap').data['config.yaml']).toContain('unsynced: allow');
  });

  it('cert-manager: Issuer, Certificate and inject-ca-from; secret: the given Secret and caBundle', async () => {
    const cm = await render({ certificates: { mode: 'cert-manager' } });
    expect(cm.map((o) => o.kind)).toEqual(expect.arrayContaining(['Issuer', 'Certificate']));
    for (const w of cm.filter((o) => o.kind.endsWith('WebhookConfiguration'))) {
      expect(w.metadata.annotations['cert-manager.io/inject-ca-from']).toBe(`${NS}/wg-wasmgate-tls`);
    }
    const sec = await render(SETS['secret']!());
    const d = sec.find((o) => o.kind === 'Deployment');
    expect(d.spec.template.spec.volumes.find((v: any) => v.name === 'certs').secret.secretName).toBe('wasmgate-tls');
    for (const w of sec.filter((o) => o.kind.endsWith('WebhookConfiguration')).flatMap((o) => o.webhooks))
      expect(w.clientConfig.caBundle).toBe(secretCa);
    // no Secret rights outside self mode: the Role holds only the background audit's Lease
    expect(sec.find((o) => o.kind === 'Role').rules.flatMap((r: any) => r.resources)).toEqual(['leases', 'leases']);
  });

  it('crds.install renders exactly the four policy-report CRDs of deploy/crds, kept on uninstall; off (the default) renders none', async () => {
    const crds = (objects: any[]): any[] => objects.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds(await render({}))).toEqual([]);
    const all = crds(await render({ crds: { install: true } }));
    const summary = (o: any): string =>
      `${o.metadata.name} ${o.spec.group} ${o.spec.names.kind} ${o.spec.scope} ${o.spec.versions.map((v: any) => `${v.name}:${v.served}:${v.storage}`)}`;
    expect(all.map(summary).sort()).toEqual([
      'clusterpolicyreports.wgpolicyk8s.io wgpolicyk8s.io ClusterPolicyReport Cluster v1alpha2:true:true',
      'clusterreports.openreports.io openreports.io ClusterReport Cluster v1alpha1:true:true',
      'policyreports.wgpolicyk8s.io wgpolicyk8s.io PolicyReport Namespaced v1alpha2:true:true',
      'reports.openreports.io openreports.io Report Namespaced v1alpha1:true:true',
    ]);
    for (const o of all) {
      // the projects' own definitions, unchanged: only Helm's labels and the keep annotation are added
      const file = parse(await readFile(join(REPO, 'deploy/crds', `${o.spec.group}_${o.spec.names.plural}.yaml`), 'utf8'));
      expect(o.spec).toEqual(file.spec);
      expect(o.metadata.annotations).toEqual({ ...file.metadata.annotations, 'helm.sh/resource-policy': 'keep' });
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'wg', 'app.kubernetes.io/managed-by': 'Helm' });
    }
    const one = crds(await render({ crds: { install: true, groups: ['openreports.io'], keep: false } }));
    expect(one.map((o) => o.metadata.name).sort()).toEqual(['clusterreports.openreports.io', 'reports.openreports.io']);
    for (const o of one) expect(o.metadata.annotations['helm.sh/resource-policy']).toBeUndefined();
    const bad = await helm(['template', 'wg', CHART, '-f', '-'], stringify({ crds: { install: true, groups: ['kyverno.io'] } }));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("at '/crds/groups/0': value must be one of 'wgpolicyk8s.io', 'openreports.io'");
  });

  it("the audit's Lease Role follows config.audit.leaderElection.namespace", async () => {
    const leaseRules = (o: any): boolean => o.rules.some((r: any) => r.resources.includes('leases'));
    const here = (await render({})).filter((o) => o.kind === 'Role');
    expect(here.map((o) => [o.metadata.namespace, leaseRules(o)])).toEqual([[NS, true]]);
    const objects = await render({ config: { audit: { leaderElection: { namespace: 'leases', name: 'wg-lease' } } } });
    const roles = objects.filter((o) => o.kind === 'Role');
    expect(roles.map((o) => [o.metadata.namespace, leaseRules(o)])).toEqual([
      [NS, false],
      ['leases', true],
    ]);
    expect(roles[1].rules).toContainEqual(expect.objectContaining({ verbs: ['get', 'update'], resourceNames: ['wg-lease'] }));
    const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'leases');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'wg-wasmgate', namespace: NS }]);
  });

  it('RBAC: reads cluster-wide; writes only to its own objects by resourceNames (self mode)', async () => {
    const objects = await render({});
    const cr = objects.find((o) => o.kind === 'ClusterRole');
    const role = objects.find((o) => o.kind === 'Role');
    for (const r of [...cr.rules, ...role.rules]) {
      const writes = r.verbs.filter((v: string) => !['get', 'list', 'watch'].includes(v));
      if (writes.length > 0 && !(writes.length === 1 && writes[0] === 'create')) expect(r.resourceNames, JSON.stringify(r)).toBeDefined();
    }
    expect(cr.rules).toContainEqual(
      expect.objectContaining({
        resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
        resourceNames: ['wg-wasmgate'],
      }),
    );
    expect(role.rules).toContainEqual(
      expect.objectContaining({ resources: ['secrets'], verbs: ['get', 'update'], resourceNames: ['wg-wasmgate-certs'] }),
    );
  });
});
