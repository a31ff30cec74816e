/**
 * `wasmgate playground` (what `npm start` runs): a local cluster to try wasmgate in.
 *
 * Full mode builds or reuses the control-plane binaries, starts etcd, kube-apiserver,
 * kube-scheduler and kube-controller-manager on loopback, starts wasmgate against it with the
 * live cache, registers the webhooks, creates the example cluster (nodes with Ready status,
 * RuntimeClasses) and prints what to try. `--offline` serves the example snapshot only.
 * Ctrl-C stops everything.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { leanNode } from '../cluster/lean.js';
import { isRecord } from '../objects/json.js';
import { parseObjects } from '../cluster/snapshot.js';
import { parseConfig } from '../config/config.js';
import { createNode, startControlPlane, type ControlPlane } from '../controlplane/controlplane.js';
import { webhookYaml } from '../deploy/webhooks.js';
import { caBundle } from '../certs/generate.js';
import { startServer, type Running } from './serve.js';

export interface PlaygroundOptions {
  offline: boolean;
  port: number;
  dir: string;
  examples: string;
}

const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

async function exampleNodes(cp: ControlPlane, file: string): Promise<number> {
  let n = 0;
  for (const obj of parseObjects(await readFile(file, 'utf8'), file)) {
    if (!isRecord(obj) || obj['kind'] !== 'Node') continue;
    const lean = leanNode(obj);
    if (lean === undefined) continue;
    await createNode(cp, {
      name: lean.name,
      labels: { ...lean.labels },
      taints: lean.taints.map((t) => ({ key: t.key, ...(t.value === undefined ? {} : { value: t.value }), effect: t.effect as 'NoSchedule' })),
      ready: lean.ready,
      unschedulable: lean.unschedulable,
    });
    n++;
  }
  return n;
}

export async function playground(opts: PlaygroundOptions): Promise<{ stop: () => Promise<void> }> {
  const dir = resolve(opts.dir);
  const examples = resolve(opts.examples);
  const rel = (p: string): string => relative(process.cwd(), p) || '.';
  await mkdir(dir, { recursive: true });
  const configFile = join(examples, 'config.yaml');
  const certDir = join(dir, 'certs');
  let cp: ControlPlane | undefined;
  let server: Running | undefined;
  const stop = async (): Promise<void> => {
    await server?.close();
    await cp?.stop();
  };
  try {
    if (opts.offline) {
      server = await startServer({
        config: configFile,
        clusterState: [join(examples, 'cluster')],
        certDir,
        port: opts.port,
        host: '127.0.0.1',
        logLevel: 'warn',
      });
    } else {
      say('wasmgate playground: starting a local control plane (the first run builds it from Go modules: ~15 min on 2 cores)');
      cp = await startControlPlane({ scheduler: true, controllerManager: true, handleSignals: false, log: (l) => say(`  ${l}`) });
      const nodes = await exampleNodes(cp, join(examples, 'cluster', 'nodes.yaml'));
      const applied = await cp.kubectl(['apply', '-f', join(examples, 'cluster', 'runtimeclasses.yaml')]);
      if (applied.code !== 0) throw new Error(`kubectl apply of the example RuntimeClasses failed: ${applied.stderr}`);
      say(`  created ${nodes} example nodes and the example RuntimeClasses`);
      server = await startServer(
        { config: configFile, kubeconfig: cp.kubeconfig, certDir, port: opts.port, host: '127.0.0.1', logLevel: 'warn' },
        (l) => say(`  ${l}`),
      );
      const live = server.state;
      for (let i = 0; i < 300 && !live.status().synced; i++) await new Promise((r) => setTimeout(r, 100));
      const config = parseConfig((await import('yaml')).parse(await readFile(configFile, 'utf8')));
      const ca = await readFile(join(certDir, 'ca.crt'), 'utf8');
      const registered = await cp.kubectl(['apply', '-f', '-'], {
        input: webhookYaml(config, { client: { url: server.url, caBundle: caBundle(ca) }, timeoutSeconds: 5 }),
      });
      if (registered.code !== 0) throw new Error(`registering the webhooks failed: ${registered.stderr}`);
      await copyFile(cp.kubeconfig, join(dir, 'kubeconfig'));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const curl = `curl --cacert ${rel(join(certDir, 'ca.crt'))} -H 'Content-Type: application/json' --data @${rel(join(examples, 'admission-review.json'))} ${server.url}/mutate`;
  say();
  say(`wasmgate is serving on ${server.url} (${opts.offline ? 'offline: example snapshot' : 'live cache of the local cluster'})`);
  say();
  say('Post a sample AdmissionReview:');
  say(`  ${curl}`);
  if (cp !== undefined) {
    say();
    say('Use the cluster:');
    say(`  export KUBECONFIG=${join(dir, 'kubeconfig')}`);
    say(`  export PATH=${cp.binDir}:$PATH`);
    say(`  kubectl apply -f ${rel(join(examples, 'manifests', 'good-pod.yaml'))}   # gets runtimeClassName wasm1`);
    say("  kubectl get pod hello-wasm -o jsonpath='{.spec.runtimeClassName} {.spec.nodeName}{\"\\n\"}'");
    say(`  kubectl apply -f ${rel(join(examples, 'manifests', 'bad-pods.yaml'))}    # each denied, with the fix`);
    say('  kubectl label node spin-1 spin-enabled-                # warns: strands RuntimeClass wasmtime-spin-v2');
  }
  say();
  say('Ctrl-C stops everything.');
  return { stop };
}
