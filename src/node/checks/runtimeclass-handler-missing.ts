/**
 * runtimeclass-handler-missing: a RuntimeClass whose pods can land on this node (the node carries
 * its selector labels; or it has no selector and its handler is a Wasm one) has its handler
 * registered here. Otherwise its pods fail at sandbox creation with
 * `no runtime for "<handler>" is configured`.
 */
import { formatSelector, listNames } from '../../decide/format.js';
import { CRI_PLUGIN, ignoredBy, runtimePath } from '../containerd.js';
import { nodeHandlers, reaches } from './cluster-helpers.js';
import type { NodeCheck } from './types.js';

export const runtimeClassHandlerMissing: NodeCheck = {
  id: 'runtimeclass-handler-missing',
  summary: 'RuntimeClasses whose pods can land on this node have their handler registered here',
  needsCluster: true,
  run(facts) {
    const { config, cluster } = facts;
    if (cluster?.node === undefined || config.status === 'invalid') return [];
    const node = cluster.node;
    const handlers = nodeHandlers(facts);
    const out: string[] = [];
    for (const rc of cluster.runtimeClasses) {
      if (handlers.has(rc.handler)) continue;
      const how = reaches(rc, node);
      if (how === undefined) continue;
      if (how === 'anywhere' && !cluster.ctx.config.wasmHandlers.includes(rc.handler)) continue;
      const ignored = config.registrations.find((r) => r.name === rc.handler && !r.effective);
      const where =
        config.status === 'missing'
          ? `${config.file} does not exist`
          : ignored !== undefined
            ? `${config.file} has runtime ${rc.handler} only under ${ignored.path}, where ${config.effective === undefined ? 'containerd cannot read it' : ignoredBy(config.effective, ignored.plugin)}`
            : `${config.file} registers no runtime ${rc.handler} (it registers ${listNames([...handlers].sort())})`;
      const path = config.effective === undefined ? `runtime ${rc.handler}` : runtimePath(CRI_PLUGIN[config.effective], rc.handler);
      const reach =
        how === 'selector'
          ? `Node ${node.name} carries the node selector of RuntimeClass ${rc.name} (handler ${rc.handler}), ${formatSelector(rc.nodeSelector ?? {})}`
          : `RuntimeClass ${rc.name} (handler ${rc.handler}) has no scheduling.nodeSelector, so its pods may land on any node, ${node.name} included`;
      const unlabel =
        how === 'selector'
          ? `; or take the node out of the class: kubectl label nodes ${node.name} ${Object.keys(rc.nodeSelector ?? {})
              .sort()
              .map((k) => `${k}-`)
              .join(' ')}`
          : `; or give the RuntimeClass a scheduling.nodeSelector that only nodes with the shim carry`;
      out.push(
        `${reach}, but ${where}: its pods that land here fail with no runtime for "${rc.handler}" is configured. ` +
          `Fix: install the shim and register ${path} (wasmgate node config --runtime ${rc.handler} --merge ${config.file}), then restart containerd${unlabel}.`,
      );
    }
    return out;
  },
};
