/**
 * The cluster's view for `node doctor`: Nodes and RuntimeClasses from a snapshot (the same loader
 * as `check` and `audit`) or from one list of each through a kubeconfig (no watch: one look).
 */
import { MemoryState } from '../cluster/memory-state.js';
import { listPages } from '../cluster/api.js';
import { loadKubeConfig } from '../cluster/kubeconfig.js';
import { leanNode, leanRuntimeClass } from '../cluster/lean.js';
import { loadSnapshot } from '../cluster/snapshot.js';
import type { Config } from '../config/config.js';
import type { ClusterFacts } from './facts.js';

async function fromKubeconfig(file: string | undefined): Promise<{ state: MemoryState; source: string }> {
  const api = loadKubeConfig(file);
  const state = new MemoryState('live', `one list from ${api.server}`);
  const signal = AbortSignal.timeout(60_000);
  await listPages(api, '/api/v1/nodes', 500, signal, (item) => {
    const n = leanNode(item);
    if (n !== undefined) state.upsertNode(n);
  });
  await listPages(api, '/apis/node.k8s.io/v1/runtimeclasses', 500, signal, (item) => {
    const rc = leanRuntimeClass(item);
    if (rc !== undefined) state.upsertRuntimeClass(rc);
  });
  state.markSynced(true);
  return { state, source: `the cluster at ${api.server}` };
}

export interface ClusterSource {
  clusterState?: string[];
  kubeconfig?: string;
}

export async function loadClusterFacts(src: ClusterSource, nodeName: string, config: Config): Promise<ClusterFacts> {
  let state: MemoryState;
  let source: string;
  if (src.clusterState !== undefined) {
    const snap = await loadSnapshot(src.clusterState);
    state = snap.state;
    source = `the cluster state (${snap.summary.files} file${snap.summary.files === 1 ? '' : 's'})`;
  } else {
    ({ state, source } = await fromKubeconfig(src.kubeconfig));
  }
  return { source, nodeName, node: state.getNode(nodeName), runtimeClasses: state.listRuntimeClasses(), ctx: { state, config } };
}
