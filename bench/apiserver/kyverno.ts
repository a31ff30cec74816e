/**
 * Kyverno, the peer doing wasmgate's job, run out of cluster as its docs describe (`--kubeconfig`,
 * `--serverIP`): built from its Go module by `hack/tools/build.sh kyverno` (version pinned in
 * hack/controlplane/versions.env), with the CRDs from that module. One ClusterPolicy does what
 * wasmgate does: a mutate rule sets runtimeClassName from the annotation, and a validate rule looks
 * the RuntimeClass up through a context apiCall and denies when it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, type ControlPlane } from '../../src/controlplane/index.js';
import type { ApiClient } from '../api.js';
import { RUNTIME_ANNOTATION } from '../transport/pods.js';
import { waitForMutation, type Setup } from './setups.js';

const ann = `request.object.metadata.annotations."${RUNTIME_ANNOTATION}"`;
const podCreate = { any: [{ resources: { kinds: ['Pod'], operations: ['CREATE'] } }] };

export const KYVERNO_POLICY = {
  apiVersion: 'kyverno.io/v1',
  kind: 'ClusterPolicy',
  metadata: { name: 'wasm-runtimeclass' },
  spec: {
    background: false,
    rules: [
      {
        name: 'set-runtimeclass',
        match: podCreate,
        preconditions: { all: [{ key: `{{ ${ann} || '' }}`, operator: 'NotEquals', value: '' }] },
        mutate: { patchStrategicMerge: { spec: { runtimeClassName: `{{ ${ann} }}` } } },
      },
      {
        name: 'runtimeclass-exists',
        match: podCreate,
        preconditions: { all: [{ key: "{{ request.object.spec.runtimeClassName || '' }}", operator: 'NotEquals', value: '' }] },
        context: [
          {
            name: 'classes',
            apiCall: {
              urlPath: '/apis/node.k8s.io/v1/runtimeclasses',
              jmesPath: "items[?metadata.name=='{{ request.object.spec.runtimeClassName }}'] | length(@)",
            },
          },
        ],
        validate: {
          failureAction: 'Enforce',
          message: 'RuntimeClass {{ request.object.spec.runtimeClassName }} does not exist',
          deny: { conditions: { any: [{ key: '{{ classes }}', operator: 'Equals', value: 0 }] } },
        },
      },
    ],
  },
};

export interface KyvernoBuild {
  bin: string;
  crds: string;
  version: string;
}

/** Where hack/tools/build.sh puts Kyverno; undefined (with the reason) when it is not built. */
export function kyvernoBuild(root: string, version: string): KyvernoBuild | { missing: string } {
  const dir = join(process.env['WASMGATE_CACHE'] ?? join(process.env['HOME'] ?? '/root', '.cache', 'wasmgate'), `kyverno-${version}`);
  const bin = join(dir, 'bin', 'kyverno');
  if (!existsSync(bin) || !existsSync(join(dir, 'STAMP')))
    return { missing: `${bin} not built: run \`nice -n 15 bash hack/tools/build.sh kyverno\` (from ${root})` };
  return { bin, crds: join(dir, 'crds'), version };
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...yamlFiles(join(dir, e.name)));
    else if (e.name.endsWith('.yaml')) out.push(join(dir, e.name));
  }
  return out.sort();
}

async function kubectl(cp: ControlPlane, args: string[], input?: string): Promise<string> {
  const r = await cp.kubectl(args, input === undefined ? { timeoutMs: 180_000 } : { input, timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export async function setupKyverno(
  cp: ControlPlane,
  api: ApiClient,
  build: KyvernoBuild,
  log: (line: string) => void,
): Promise<Setup & { output(): string }> {
  // CRDs from the module (server-side apply: some are larger than the last-applied annotation allows)
  for (const f of yamlFiles(build.crds)) await kubectl(cp, ['apply', '--server-side', '-f', f]);
  for (const f of yamlFiles(build.crds)) await kubectl(cp, ['wait', '--for=condition=Established', '--timeout=120s', '-f', f]);
  const ns = 'kyverno';
  await kubectl(
    cp,
    ['apply', '-f', '-'],
    [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kyverno', namespace: ns }, data: {} },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kyverno-metrics', namespace: ns }, data: {} },
    ]
      .map((o) => stringify(o))
      .join('---\n'),
  );
  const port = await freePort();
  const metricsPort = await freePort();
  const args = [
    `--kubeconfig=${cp.kubeconfig}`,
    `--serverIP=127.0.0.1:${port}`,
    '--webhookServerHost=127.0.0.1',
    `--webhookServerPort=${port}`,
    '--caSecretName=kyverno-svc.kyverno.svc.kyverno-tls-ca',
    '--tlsSecretName=kyverno-svc.kyverno.svc.kyverno-tls-pair',
    '--metricsHost=127.0.0.1',
    `--metricsPort=${metricsPort}`,
    '--controllerRuntimeMetricsAddress=0',
    // admission reports feed the separate reports controller, which is not run here
    '--admissionReports=false',
    '--loggingFormat=text',
    '--v=1',
  ];
  const env = {
    ...process.env,
    KYVERNO_NAMESPACE: ns,
    KYVERNO_SERVICEACCOUNT_NAME: 'kyverno-admission-controller',
    KYVERNO_DEPLOYMENT: 'kyverno-admission-controller',
    KYVERNO_POD_NAME: 'kyverno-bench',
    KYVERNO_SVC: 'kyverno-svc',
    INIT_CONFIG: 'kyverno',
    METRICS_CONFIG: 'kyverno-metrics',
  };
  const child: ChildProcess = spawn(build.bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (c: Buffer): void => {
    out = (out + c.toString('utf8')).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let dead = false;
  void exited.then(() => (dead = true));
  log(`kyverno ${build.version} pid ${child.pid}: ${build.bin} ${args.join(' ').replace(cp.dir, '<cp>')}`);
  const stop = async (): Promise<void> => {
    if (!dead) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
  };
  try {
    await kubectl(cp, ['apply', '-f', '-'], stringify(KYVERNO_POLICY));
    // ready: the policy is ready and Kyverno's webhooks (registered by Kyverno itself) mutate pods
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (dead) throw new Error(`kyverno exited:\n${out.slice(-3000)}`);
      const status = await cp.kubectl([
        'get',
        'clusterpolicy',
        'wasm-runtimeclass',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ]);
      if (status.stdout.trim() === 'True') break;
      if (Date.now() > deadline) throw new Error(`the Kyverno policy did not become Ready within 300 s:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await waitForMutation(api, true, 180_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: 'kyverno',
    describe: `Kyverno ${build.version} (out of cluster, --serverIP; one ClusterPolicy: mutate rule + validate rule with a context apiCall listing RuntimeClasses)`,
    pid: child.pid!,
    command: `${build.bin} ${args.join(' ').replace(cp.dir, '<cp>')}`,
    output: () => out,
    async stop() {
      await stop();
      await cp.kubectl(['delete', 'clusterpolicy', 'wasm-runtimeclass', '--wait=false']);
      await cp.kubectl([
        'delete',
        'mutatingwebhookconfigurations,validatingwebhookconfigurations',
        '-l',
        'webhook.kyverno.io/managed-by=kyverno',
      ]);
    },
  };
}
