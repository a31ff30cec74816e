/**
 * Test-side entry point for the real control plane (src/controlplane/).
 *
 * Re-exports the runner and its helpers — startControlPlane, kubectlOk/kubectlJson/applyObjects,
 * createNode/setNodeReady (fake Nodes kube-scheduler can bind pods to; they live in src because
 * the playground uses them too) — and adds the one fixture every e2e file uses: useControlPlane.
 */
import { afterAll, beforeAll } from 'vitest';
import { kubectlOk, startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../src/controlplane/index.js';
import { waitFor } from './wait.js';

export * from '../../src/controlplane/index.js';
export { resolveBinDir, findRepoRoot, BIN_DIR_ENV, BINARIES } from '../../src/controlplane/binaries.js';
export { waitFor, type WaitForOptions } from './wait.js';

/**
 * How long a file's set-up (a control-plane start, plus whatever the file creates in it) may take.
 * A cold start took 18–30 s on a busy 2-core machine; the readiness timeout of each component is
 * 90 s. Generous on purpose: no test may depend on how fast the machine is.
 */
export const SETUP_TIMEOUT_MS = 600_000;
/** For a single test that restarts kube-apiserver (or waits on another component start). */
export const RESTART_TEST_TIMEOUT_MS = 300_000;

/** For a single test that waits on a controller or the scheduler (they act within seconds on an idle machine). */
export const CONTROLLER_TEST_TIMEOUT_MS = 300_000;
/** How long such a test waits for the controller's result before failing with what it waited for. */
export const CONTROLLER_WAIT_MS = 240_000;

/** A ControlPlane handle whose calls go to the plane the fixture started. */
export interface PlaneFixture extends ControlPlane {
  /** Whether the plane started (and the set-up ran); false before beforeAll or after a failure. */
  readonly started: boolean;
}

/**
 * Starts a control plane in beforeAll (then runs `setup` in it: nodes, wasmgate, ...) and stops
 * it in afterAll; returns a handle usable wherever a ControlPlane is. A failure is not thrown
 * from the hook (vitest would then report the tests as skipped): every use of the handle rethrows
 * it, so every test of the file FAILS with the reason. Hooks registered later in the file run
 * after the set-up, and their afterAll before the plane stops.
 */
export function useControlPlane(opts: ControlPlaneOptions = {}, setup?: (cp: ControlPlane) => Promise<void>): PlaneFixture {
  let cp: ControlPlane | undefined;
  let failure: unknown;
  beforeAll(async () => {
    try {
      cp = await startControlPlane(opts);
      await setup?.(cp);
    } catch (err) {
      failure = err;
    }
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await cp?.stop();
  }, 60_000);
  const plane = (): ControlPlane => {
    if (failure !== undefined) throw failure;
    if (cp === undefined) throw new Error('control plane not started (beforeAll did not run or timed out)');
    return cp;
  };
  return {
    get started() {
      return cp !== undefined && failure === undefined;
    },
    get dir() {
      return plane().dir;
    },
    get kubeconfig() {
      return plane().kubeconfig;
    },
    get server() {
      return plane().server;
    },
    get binDir() {
      return plane().binDir;
    },
    get caCert() {
      return plane().caCert;
    },
    get adminCert() {
      return plane().adminCert;
    },
    get etcdUrl() {
      return plane().etcdUrl;
    },
    get ports() {
      return plane().ports;
    },
    processes: () => plane().processes(),
    logFile: (name) => plane().logFile(name),
    kubectl: (args, o) => plane().kubectl(args, o),
    restartApiServer: () => plane().restartApiServer(),
    stop: () => cp?.stop() ?? Promise.resolve(),
  };
}

/**
 * Waits until every named CRD is Established. `kubectl wait` alone fails at once (".status.conditions
 * accessor error: <nil> is of the type <nil>") when it reads a CRD the API server has not yet given
 * any condition, instead of waiting for one; so it is retried until the deadline.
 */
export async function waitForCrds(cp: ControlPlane, names: readonly string[], timeoutMs = 120_000): Promise<void> {
  const args = ['wait', '--for=condition=Established', `--timeout=${Math.ceil(timeoutMs / 1000)}s`, ...names.map((n) => `crd/${n}`)];
  await waitFor(() => kubectlOk(cp, args).then(() => true), { timeoutMs, what: `CRDs ${names.join(', ')} to be established` });
}
