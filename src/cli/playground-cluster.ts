/**
 * The playground's second phase: the local cluster. Builds (or reuses) the control-plane binaries
 * with visible progress, starts etcd, kube-apiserver, kube-scheduler and kube-controller-manager
 * on loopback, creates the example nodes (with Ready status) and RuntimeClasses, opens wasmgate's
 * live source on it and registers wasmgate's webhooks there.
 */
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { caBundle } from '../certs/generate.js';
import { leanNode } from '../cluster/lean.js';
import { isRecord } from '../objects/json.js';
import { parseObjects } from '../cluster/snapshot.js';
import type { ClusterState } from '../cluster/types.js';
import { parseConfig } from '../config/config.js';
import { resolveBinDir } from '../controlplane/binaries.js';
import { buildProgress, duration } from '../controlplane/build-progress.js';
import { createNode, startControlPlane, type ControlPlane } from '../controlplane/index.js';
import { webhookYaml } from '../deploy/webhooks.js';
import { openLiveState } from './live.js';

export interface LocalCluster {
  cp: ControlPlane;
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  examples: string;
  configFile: string;
  certDir: string;
  /** where the kubeconfig is copied for the user */
  dir: string;
  /** wasmgate's URL, for the webhook configurations */
  url: string;
  say: (line: string) => void;
  /** aborting stops a running build */
  signal: AbortSignal;
  /** true once the caller is stopping: a plane that comes up afterwards is stopped at once */
  stopping: () => boolean;
  /** Called with wasmgate's live source of the local cluster once it has synced (or after 30 s), before the webhooks are registered. */
  useLive: (state: ClusterState) => void;
}

async function exampleNodes(cp: ControlPlane, file: string): Promise<number> {
  let n = 0;
  for (const obj of parseObjects(await readFile(file, 'utf8'), file)) {
    if (!isRecord(obj) || obj['kind'] !== 'Node') continue;
    const lean = leanNode(obj);
    if (lean === undefined) continue;
    await createNode(cp, {
      name: lean.name,
      labels: { ...lean.labels },
      taints: lean.taints,
      ready: lean.ready,
      unschedulable: lean.unschedulable,
    });
    n++;
  }
  return n;
}

/** Returns undefined when the caller started stopping meanwhile (everything started is stopped). */
export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster | undefined> {
  const t0 = Date.now();
  const progress = buildProgress((l) => o.say(`  ${l}`));
  let binDir: string;
  try {
    binDir = await resolveBinDir({ progress: progress.write, signal: o.signal });
  } finally {
    progress.stop();
  }
  if (o.stopping()) return undefined;
  o.say(`  control-plane binaries ready after ${duration(Date.now() - t0)}: ${binDir}`);
  const cp = await startControlPlane({
    binDir,
    scheduler: true,
    controllerManager: true,
    handleSignals: false,
    log: (l) => o.say(`  ${l}`),
  });
  let stopLive = async (): Promise<void> => {};
  const stop = async (): Promise<void> => {
    await stopLive();
    await cp.stop();
  };
  try {
    if (o.stopping()) {
      await stop();
      return undefined;
    }
    const nodes = await exampleNodes(cp, join(o.examples, 'cluster', 'nodes.yaml'));
    const applied = await cp.kubectl(['apply', '-f', join(o.examples, 'cluster', 'runtimeclasses.yaml')]);
    if (applied.code !== 0) throw new Error(`kubectl apply of the example RuntimeClasses failed: ${applied.stderr}`);
    o.say(`  created ${nodes} example nodes and the example RuntimeClasses`);
    const live = await openLiveState({ kubeconfig: cp.kubeconfig, log: (l) => o.say(`  ${l}`) });
    stopLive = live.stop;
    for (let i = 0; i < 300 && !live.state.status().synced; i++) await new Promise((r) => setTimeout(r, 100));
    o.useLive(live.state);
    const config = parseConfig(parseYaml(await readFile(o.configFile, 'utf8')));
    const ca = await readFile(join(o.certDir, 'ca.crt'), 'utf8');
    const registered = await cp.kubectl(['apply', '-f', '-'], {
      input: webhookYaml(config, { client: { url: o.url, caBundle: caBundle(ca) }, timeoutSeconds: 5 }),
    });
    if (registered.code !== 0) throw new Error(`registering the webhooks failed: ${registered.stderr}`);
    await copyFile(cp.kubeconfig, join(o.dir, 'kubeconfig'));
    return { cp, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
