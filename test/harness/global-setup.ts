/**
 * Before any end-to-end test: make sure the control-plane binaries exist (building them from Go
 * modules on a fresh machine, ~15 min on two cores), outside any test's timeout. A failure here
 * fails the run with the reason; e2e tests never skip.
 */
import { resolveBinDir } from '../../src/controlplane/binaries.js';
import { helmBinary } from './helm.js';

export default async function setup(): Promise<void> {
  const dir = await resolveBinDir();
  process.stderr.write(`control-plane binaries: ${dir}\n`);
  process.stderr.write(`helm: ${await helmBinary()}\n`); // hack/helm/build.sh: cached, or built from its Go module
}
