/**
 * The admission set-ups compared through kube-apiserver: none; the null webhook (the same webhook
 * configurations as wasmgate's, answered by bench/transport/null-webhook.ts --patch: what any
 * webhook on this transport costs the API server); wasmgate (its webhooks as `wasmgate manifests`
 * writes them, pointing at a local `wasmgate serve --kubeconfig`); a MutatingAdmissionPolicy
 * setting runtimeClassName from the annotation; Kyverno (kyverno.ts).
 * Each one is put in place, checked to take effect (a server-side dry-run create comes back with
 * runtimeClassName set, or without it for "none"), measured, and removed.
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { caBundle, ensureDevCerts } from '../../src/certs/generate.js';
import { parseConfig } from '../../src/config/config.js';
import { freePort, type ControlPlane } from '../../src/controlplane/index.js';
import { webhookYaml } from '../../src/deploy/webhooks.js';
import type { ApiClient } from '../api.js';
import { RUNTIME_ANNOTATION } from '../transport/pods.js';
import { benchConfig, liveServeArgs, startNull, startServer, type Server } from '../transport/servers.js';
import { NAMESPACE, wasmPod } from './load.js';

export type SetupName = 'none' | 'null' | 'wasmgate' | 'map' | 'kyverno';

export interface Setup {
  name: SetupName;
  describe: string;
  /** the process serving admission, when there is one (for its RSS and CPU) */
  pid?: number;
  command?: string;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until a server-side dry-run create of a Wasm pod comes back mutated (or not, for `want: false`). */
export async function waitForMutation(api: ApiClient, want: boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let i = 0; Date.now() < deadline; i++) {
    const res = await api.request('POST', `/api/v1/namespaces/${NAMESPACE}/pods?dryRun=All`, wasmPod(`probe-${i}`));
    last = `HTTP ${res.status}: ${res.body.slice(0, 300)}`;
    if (res.status === 201 && res.body.includes('"runtimeClassName":"wasm1"') === want) return;
    await sleep(250);
  }
  throw new Error(`admission did not ${want ? 'start' : 'stop'} setting runtimeClassName within ${timeoutMs} ms; last dry run: ${last}`);
}

async function kubectl(cp: ControlPlane, args: string[], input?: string): Promise<string> {
  const r = await cp.kubectl(args, input === undefined ? { timeoutMs: 120_000 } : { input, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export async function setupNone(api: ApiClient): Promise<Setup> {
  await waitForMutation(api, false, 60_000);
  return { name: 'none', describe: 'no admission webhook or policy (the in-tree admission plugins only)', stop: async () => {} };
}

export async function setupWasmgate(cp: ControlPlane, api: ApiClient, root: string, work: string, v8Flags: string[]): Promise<Setup> {
  const certDir = join(work, 'wasmgate-certs');
  const ca = (await ensureDevCerts(certDir)).caCert!;
  const port = await freePort();
  const args = liveServeArgs({
    v8Flags,
    kubeconfig: cp.kubeconfig,
    config: benchConfig(join(work, 'wasmgate-config.yaml')),
    certDir,
    port,
  });
  const server: Server = await startServer('wasmgate', args, root, /wasmgate listening on/, `https://127.0.0.1:${port}`, 120_000);
  // wait for the live cache's first sync (/readyz) and for its Pod list (pods are tracked, the
  // default): the earlier set-ups' pods are all in the API server by now (10,500 per set-up at the
  // default rates), and a list of that size overlapping the first phase measured the list, not
  // admission (webhook p99 at 50/s 47 ms against 5 ms, 2026-11-29 23:26Z); then register the
  // webhooks as `manifests` writes them
  for (const [what, done] of [
    ['sync', /synced in \d+ ms/],
    ['count its pods', /pods counted per RuntimeClass \(in \d+ ms\)/],
  ] as const) {
    const deadline = Date.now() + 300_000;
    while (!done.test(server.stderrText())) {
      if (Date.now() > deadline) throw new Error(`wasmgate did not ${what} within 300 s: ${server.stderrText().slice(-1000)}`);
      await sleep(200);
    }
  }
  return {
    name: 'wasmgate',
    describe:
      'wasmgate: its mutating and validating webhooks (matchConditions, timeoutSeconds 5) → `wasmgate serve --kubeconfig` on loopback; pods tracked (the default), its phases start once it has listed them',
    pid: server.pid,
    command: `node ${args.join(' ').replace(work, '<tmp>').replace(cp.dir, '<cp>')}`,
    stop: await behindWebhooks(cp, api, server, ca),
  };
}

/**
 * Register wasmgate's webhook configurations (as `wasmgate manifests` writes them) for a server and
 * wait until they take effect. Returns the set-up's stop(): remove them, wait, stop the server.
 */
async function behindWebhooks(cp: ControlPlane, api: ApiClient, server: Server, ca: string): Promise<() => Promise<void>> {
  const yaml = webhookYaml(parseConfig({}), { client: { url: server.url, caBundle: caBundle(ca) }, timeoutSeconds: 5 });
  await kubectl(cp, ['apply', '-f', '-'], yaml);
  await waitForMutation(api, true, 60_000);
  return async () => {
    await kubectl(cp, ['delete', '-f', '-', '--wait=true'], yaml);
    await waitForMutation(api, false, 60_000);
    await server.stop();
  };
}

/**
 * The null webhook behind the same webhook configurations: it parses each review and answers
 * allowed (with wasmgate's patch on /mutate), deciding nothing. The floor any webhook adds.
 */
export async function setupNull(cp: ControlPlane, api: ApiClient, root: string, work: string, v8Flags: string[]): Promise<Setup> {
  const certDir = join(work, 'null-certs');
  const ca = (await ensureDevCerts(certDir)).caCert!;
  const port = await freePort();
  const server = await startNull({ root, v8Flags, certDir, snapshot: '', port, extraArgs: ['--patch'] });
  return {
    name: 'null',
    describe:
      "the null webhook (bench/transport/null-webhook.ts --patch) behind wasmgate's webhook configurations: it parses each review and answers allowed, with wasmgate's JSONPatch on /mutate; nothing is decided",
    pid: server.pid,
    command: server.command.replace(work, '<tmp>'),
    stop: await behindWebhooks(cp, api, server, ca),
  };
}

/** The in-tree MutatingAdmissionPolicy (beta in 1.35: feature gate + admissionregistration.k8s.io/v1beta1). */
export const MAP_OBJECTS = [
  {
    apiVersion: 'admissionregistration.k8s.io/v1beta1',
    kind: 'MutatingAdmissionPolicy',
    metadata: { name: 'wasm-runtimeclass' },
    spec: {
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'Never',
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
      matchConditions: [
        {
          name: 'annotated-without-class',
          expression: `has(object.metadata.annotations) && '${RUNTIME_ANNOTATION}' in object.metadata.annotations && !has(object.spec.runtimeClassName)`,
        },
      ],
      mutations: [
        {
          patchType: 'ApplyConfiguration',
          applyConfiguration: {
            expression: `Object{ spec: Object.spec{ runtimeClassName: object.metadata.annotations['${RUNTIME_ANNOTATION}'] } }`,
          },
        },
      ],
    },
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1beta1',
    kind: 'MutatingAdmissionPolicyBinding',
    metadata: { name: 'wasm-runtimeclass' },
    spec: { policyName: 'wasm-runtimeclass' },
  },
];

export async function setupMap(cp: ControlPlane, api: ApiClient): Promise<Setup> {
  const yaml = MAP_OBJECTS.map((o) => stringify(o)).join('---\n');
  await kubectl(cp, ['apply', '-f', '-'], yaml);
  await waitForMutation(api, true, 60_000);
  return {
    name: 'map',
    describe:
      'MutatingAdmissionPolicy (admissionregistration.k8s.io/v1beta1, CEL ApplyConfiguration) setting runtimeClassName from the annotation; no existence check',
    async stop() {
      await kubectl(cp, ['delete', '-f', '-', '--wait=true'], yaml);
      await waitForMutation(api, false, 60_000);
    },
  };
}
