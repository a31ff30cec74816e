/**
 * full: a cache of FULL objects, as @kubernetes/client-node's informer keeps them (what a webhook
 * built on makeInformer holds): an informer on Nodes and one on RuntimeClasses. Reports the time
 * from start until every Node is in the cache, then RSS and heapUsed after two GCs.
 */
import { CoreV1Api, KubeConfig, makeInformer, NodeV1Api, type V1Node, type V1RuntimeClass } from '@kubernetes/client-node';
import { gcTwice, log, memory, modules, runWorker, workerArgs } from './worker-common.js';

runWorker(async () => {
  const { kubeconfig, expectNodes } = workerArgs();
  void modules;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const nodeApi = kc.makeApiClient(NodeV1Api);

  const started = process.hrtime.bigint();
  const nodes = makeInformer<V1Node>(kc, '/api/v1/nodes', () => core.listNode());
  const classes = makeInformer<V1RuntimeClass>(kc, '/apis/node.k8s.io/v1/runtimeclasses', () => nodeApi.listRuntimeClass());
  const errors: string[] = [];
  let adds = 0;
  let allAddedAt: bigint | undefined;
  nodes.on('add', () => {
    adds++;
    if (adds === expectNodes) allAddedAt = process.hrtime.bigint();
  });
  for (const inf of [nodes, classes]) inf.on('error', (err: unknown) => errors.push(String(err)));

  // start() resolves once the list is in the cache and the watch is established
  await Promise.all([nodes.start(), classes.start()]);
  const startedAt = process.hrtime.bigint();
  const deadline = Date.now() + 600_000;
  while (nodes.list().length < expectNodes) {
    if (errors.length > 0) throw new Error(`informer error: ${errors.join('; ')}`);
    if (Date.now() > deadline) throw new Error(`informer has ${nodes.list().length}/${expectNodes} nodes after 10 minutes`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const syncedAt = allAddedAt ?? process.hrtime.bigint();
  const syncMs = Number(syncedAt - started) / 1e6;
  const startResolvedMs = Number(startedAt - started) / 1e6;
  log(`full: informer holds ${nodes.list().length} nodes, ${classes.list().length} RuntimeClasses after ${syncMs.toFixed(0)} ms`);

  await gcTwice();
  const mem = memory();
  // keep the caches alive (and observable) past the measurement
  const nodeCount = nodes.list().length;
  const classCount = classes.list().length;
  const sample = nodes.list()[0];
  const syncErrors = [...errors];
  // stopping aborts the watch requests; the informers report that as an error (expected)
  await Promise.all([nodes.stop(), classes.stop()]);
  return {
    kind: 'full',
    syncMs,
    startResolvedMs,
    nodes: nodeCount,
    runtimeClasses: classCount,
    sampleImages: sample?.status?.images?.length ?? 0,
    errors: syncErrors,
    memory: mem,
  };
});
