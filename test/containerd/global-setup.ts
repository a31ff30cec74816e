/**
 * Before the containerd tests: build containerd 1.7 and 2.x from their Go modules (cached in
 * ~/.cache/wasmgate; a cold build takes minutes), printing progress. A build that fails fails the
 * run with its reason: these tests never skip for want of a binary.
 */
import type { TestProject } from 'vitest/node';
import { buildContainerd, type Built } from '../harness/containerd.js';
import { ensureBuilt } from '../harness/wasmgate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    containerdBins: Record<Built, string>;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const bins = {} as Record<Built, string>;
  for (const which of ['1.7', '2'] as const) {
    process.stderr.write(`containerd ${which}: hack/containerd/build.sh ${which} (cached after the first build)\n`);
    bins[which] = await buildContainerd(which, (line) => process.stderr.write(`  ${line}\n`));
    process.stderr.write(`containerd ${which}: ${bins[which]}\n`);
  }
  ensureBuilt();
  project.provide('containerdBins', bins);
}
