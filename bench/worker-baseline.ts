/**
 * baseline: the runtime's floor. Loads exactly the modules every worker loads (see
 * worker-common.ts: wasmgate's live source), reads the kubeconfig,
 * holds no cluster data, then reports RSS and heapUsed after two GCs.
 */
import { gcTwice, memory, modules, runWorker, workerArgs } from './worker-common.js';

runWorker(async () => {
  const { kubeconfig } = workerArgs();
  const kc = modules.live.loadKubeConfig(kubeconfig);
  await gcTwice();
  const mem = memory();
  return { kind: 'baseline', server: kc.server, memory: mem };
});
