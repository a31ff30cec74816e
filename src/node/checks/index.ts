/** The doctor's checks, in the order their findings print. */
import { configReadable } from './config-readable.js';
import { handlerUnused } from './handler-unused.js';
import { nodeInCluster } from './node-in-cluster.js';
import { reservedLabels } from './reserved-label-keys.js';
import { runtimeClassHandlerMissing } from './runtimeclass-handler-missing.js';
import { runtimeIgnoredPath } from './runtime-ignored-path.js';
import { shimMissing } from './shim-missing.js';
import { shimUnregistered } from './shim-unregistered.js';
import type { NodeCheck } from './types.js';

export type { NodeCheck };

export const NODE_CHECKS: readonly NodeCheck[] = [
  configReadable,
  runtimeIgnoredPath,
  shimMissing,
  shimUnregistered,
  nodeInCluster,
  runtimeClassHandlerMissing,
  handlerUnused,
  reservedLabels,
];
