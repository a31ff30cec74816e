/**
 * Before the registry tests: build (or find cached) the registry and oras binaries from their Go
 * modules (hack/tools/build.sh), outside any test's timeout. A failure fails the run with the
 * reason: these tests never skip.
 */
import { toolBin } from './harness.js';

export default async function setup(): Promise<void> {
  for (const tool of ['registry', 'oras'] as const) {
    const dir = await toolBin(tool);
    process.stderr.write(`${tool}: ${dir}\n`);
  }
}
