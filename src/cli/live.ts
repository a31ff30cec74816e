import type { ClusterState } from '../cluster/types.js';

/** Placeholder until the live watch source lands (issue: live cluster state). */
export async function openLiveState(_opts: { kubeconfig?: string; log: (line: string) => void }): Promise<{ state: ClusterState; stop: () => Promise<void> }> {
  throw new Error('serve needs --cluster-state PATH: the live cluster source is not built yet');
}
