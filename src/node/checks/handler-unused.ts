/**
 * handler-unused: every runtime this node registers (other than containerd's default runtime) is
 * the handler of some RuntimeClass; otherwise no pod can ask for it.
 */
import { listNames } from '../../decide/format.js';
import type { NodeCheck } from './types.js';

export const handlerUnused: NodeCheck = {
  id: 'handler-unused',
  summary: 'every runtime registered on the node is the handler of some RuntimeClass',
  needsCluster: true,
  run({ config, cluster }) {
    if (cluster === undefined) return [];
    const used = new Set(cluster.runtimeClasses.map((rc) => rc.handler));
    return config.registrations
      .filter((r) => r.effective && r.name !== config.defaultRuntime && !used.has(r.name))
      .map((r) => {
        const classes = cluster.runtimeClasses.map((rc) => `${rc.name} (handler ${rc.handler})`);
        return (
          `Runtime ${r.name} is registered in ${config.file}, but no RuntimeClass in ${cluster.source} has handler ${r.name} ` +
          `(${cluster.runtimeClasses.length === 0 ? 'there are none' : `${cluster.runtimeClasses.length} there: ${listNames(classes)}`}): no pod can ask for it. ` +
          `Fix: wasmgate node runtimeclass --runtime ${r.name} --label ${r.name}-enabled=yes | kubectl apply -f -, and label the node as it prints; or remove the runtime if it is not meant to be used.`
        );
      });
  },
};
