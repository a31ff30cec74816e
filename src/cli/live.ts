import type { ClusterState } from '../cluster/types.js';
import type { ApiAccess } from '../cluster/kubeconfig.js';
import { loadKubeConfig, startLiveState, type LiveOptions } from '../cluster/live.js';

/**
 * Open the live source for `serve`. The server starts listening at once; /readyz answers 503
 * and validation follows the `unsynced` policy until the first full sync.
 */
export async function openLiveState(opts: {
  kubeconfig?: string;
  log: (line: string) => void;
  onChange?: LiveOptions['onChange'];
  /** config `trackPods`: watch Pods for the per-RuntimeClass counts; default true */
  trackPods?: boolean;
}): Promise<{ state: ClusterState; api: ApiAccess; stop: () => Promise<void> }> {
  const kc = loadKubeConfig(opts.kubeconfig);
  const trackPods = opts.trackPods ?? true;
  const live = startLiveState({
    kubeconfig: kc,
    log: opts.log,
    trackPods,
    ...(opts.onChange === undefined ? {} : { onChange: opts.onChange }),
  });
  const started = Date.now();
  void live.synced.then(() => opts.log(`cluster state: ${live.state.status().detail} (synced in ${Date.now() - started} ms)`));
  if (trackPods) void live.podsCounted.then(() => opts.log(`cluster state: pods counted per RuntimeClass (in ${Date.now() - started} ms)`));
  return { state: live.state, api: kc, stop: live.stop };
}
