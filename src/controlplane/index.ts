/**
 * The local control plane, in rooms along envtest's seams:
 *   types.ts      options, the ControlPlane handle, kubectl results
 *   plane.ts      startControlPlane and the plane itself
 *   components.ts each component's flags and readiness probe
 *   process.ts    process supervision (process groups, parent-death signal, stale dirs)
 *   cleanup.ts    process-wide cleanup on exit and SIGINT/SIGTERM
 *   net.ts        free ports and the one HTTP(S) request function
 *   pki.ts        the CA, certificates and kubeconfigs
 *   kubectl.ts    running kubectl, kubectlOk/kubectlJson/applyObjects
 *   nodes.ts      fake Nodes (createNode, setNodeReady)
 *   binaries.ts   locating or building the binaries (hack/controlplane/build.sh)
 *   versions.ts   the tool versions pinned in hack/controlplane/versions.env
 */
export * from './types.js';
export { startControlPlane, NODE_LIFECYCLE_CONTROLLER } from './plane.js';
export { freePort, httpCall, type HttpCallOptions, type HttpCallResult } from './net.js';
export { tailFile } from './process.js';
export { kubectlOk, kubectlJson, applyObjects } from './kubectl.js';
export { createNode, setNodeReady, NOT_READY_TAINT_KEY, type FakeNode, type Taint } from './nodes.js';
export { pinnedVersion } from './versions.js';
