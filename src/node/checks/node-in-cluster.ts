/** node-in-cluster: the cluster has a Node of this name (the other cluster checks need it). */
import type { NodeCheck } from './types.js';

export const nodeInCluster: NodeCheck = {
  id: 'node-in-cluster',
  summary: 'the cluster has a Node named as this node',
  needsCluster: true,
  run({ cluster }) {
    if (cluster === undefined || cluster.node !== undefined) return [];
    return [
      `Node ${cluster.nodeName} is not in ${cluster.source}: wasmgate cannot tell which RuntimeClasses reach this node. ` +
        `Fix: pass --node with the Node's name as kubectl get nodes shows it; or join the node to the cluster first.`,
    ];
  },
};
