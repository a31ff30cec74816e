/**
 * Before any end-to-end test: make sure the control-plane binaries exist (building them from Go
 * modules on a fresh machine takes many minutes on two cores), outside any test's timeout. The
 * build's progress lines, with their elapsed time, go to the terminal, and its silences are
 * filled with the time so far and an estimate. A failure here fails the run with the reason;
 * e2e tests never skip.
 */
import { resolveBinDir } from '../../src/controlplane/binaries.js';
import { buildProgress, duration } from '../../src/controlplane/build-progress.js';

export default async function setup(): Promise<void> {
  const started = Date.now();
  const progress = buildProgress((line) => void process.stderr.write(`${line}\n`));
  let dir: string;
  try {
    dir = await resolveBinDir({ progress: progress.write });
  } finally {
    progress.stop();
  }
  process.stderr.write(`control-plane binaries: ${dir} (${duration(Date.now() - started)})\n`);
}
