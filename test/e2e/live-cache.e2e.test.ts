/**
 * The live watch cache against a real API server: changes to Nodes and RuntimeClasses change
 * wasmgate's decisions promptly, and an API server restart does not leave the cache stale.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startLiveState, loadKubeConfig, type LiveState } from '../../src/cluster/live.js';
import { parseConfig } from '../../src/config/config.js';
import { validate } from '../../src/decide/engine.js';
import {
  applyObjects,
  createNode,
  kubectlOk,
  RESTART_TEST_TIMEOUT_MS,
  setNodeReady,
  useControlPlane,
  waitFor,
} from '../harness/controlplane.js';
import { podObject, request } from '../harness/fixtures.js';

let live: LiveState;
const config = parseConfig({});

/** Would a pod asking for RuntimeClass `rc` be admitted right now? */
function admitted(rc: string): boolean {
  return validate(request(podObject({ name: 'probe', spec: { runtimeClassName: rc } })), live.state, config).allowed;
}

/** The time from a completed API write until the decision flips, polled every 10 ms. */
async function flipsWithin(expected: boolean, rc: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await waitFor(() => admitted(rc) === expected, { timeoutMs, intervalMs: 10, what: `decision for ${rc} to become ${expected}` });
  return Date.now() - started;
}

/**
 * How long a change may take to reach decisions before the test fails. Generous on purpose: the
 * test proves the change arrives through the watch, not how fast this machine is; the measured
 * latencies are printed after the run (the README quotes them).
 */
const FLIP_DEADLINE_MS = 30_000;

const latencies: number[] = [];

const cp = useControlPlane({ scheduler: false }, async (cp) => {
  await createNode(cp, { name: 'wasm-1', labels: { 'wasmtime-enabled': 'yes' } });
  await createNode(cp, { name: 'plain-1' });
  await applyObjects(cp, {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: 'wasm1' },
    handler: 'wasmtime',
    scheduling: { nodeSelector: { 'wasmtime-enabled': 'yes' } },
  });
  live = startLiveState({ kubeconfig: loadKubeConfig(cp.kubeconfig), log: () => {} });
  await live.synced;
});

afterAll(async () => {
  await live?.stop();
  if (latencies.length > 0) process.stderr.write(`live cache: decision flips after API writes took ${latencies.join(', ')} ms\n`);
}, 60_000);

describe('live cache', () => {
  it('is synced and reports it', () => {
    expect(live.state.status().synced).toBe(true);
    expect(live.state.nodeCount()).toBe(2);
    expect(live.state.getRuntimeClass('wasm1')?.handler).toBe('wasmtime');
    expect(admitted('wasm1')).toBe(true);
  });

  it('unlabelling, relabelling, cordoning and NotReady change decisions promptly (latencies printed)', async () => {
    await kubectlOk(cp, ['label', 'node', 'wasm-1', 'wasmtime-enabled-']);
    latencies.push(await flipsWithin(false, 'wasm1', FLIP_DEADLINE_MS));
    await kubectlOk(cp, ['label', 'node', 'wasm-1', 'wasmtime-enabled=yes']);
    latencies.push(await flipsWithin(true, 'wasm1', FLIP_DEADLINE_MS));
    await kubectlOk(cp, ['cordon', 'wasm-1']);
    latencies.push(await flipsWithin(false, 'wasm1', FLIP_DEADLINE_MS));
    await kubectlOk(cp, ['uncordon', 'wasm-1']);
    latencies.push(await flipsWithin(true, 'wasm1', FLIP_DEADLINE_MS));
    await setNodeReady(cp, 'wasm-1', false);
    latencies.push(await flipsWithin(false, 'wasm1', FLIP_DEADLINE_MS));
    await setNodeReady(cp, 'wasm-1', true);
    latencies.push(await flipsWithin(true, 'wasm1', FLIP_DEADLINE_MS));
  });

  it('creating and deleting RuntimeClasses change decisions promptly (latencies printed)', async () => {
    expect(admitted('spin')).toBe(false);
    await createNode(cp, { name: 'spin-1', labels: { 'spin-enabled': 'yes' } });
    await applyObjects(cp, {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'spin' },
      handler: 'spin',
      scheduling: { nodeSelector: { 'spin-enabled': 'yes' } },
    });
    latencies.push(await flipsWithin(true, 'spin', FLIP_DEADLINE_MS));
    await kubectlOk(cp, ['delete', 'runtimeclass', 'spin']);
    latencies.push(await flipsWithin(false, 'spin', FLIP_DEADLINE_MS));
  });

  it(
    'recovers after the API server restarts, and decisions stay right',
    async () => {
      await cp.restartApiServer();
      // a change made after the restart must reach the cache through the resumed watch
      await kubectlOk(cp, ['label', 'node', 'wasm-1', 'wasmtime-enabled-']);
      await flipsWithin(false, 'wasm1', 60_000);
      await kubectlOk(cp, ['label', 'node', 'wasm-1', 'wasmtime-enabled=yes']);
      latencies.push(await flipsWithin(true, 'wasm1', FLIP_DEADLINE_MS));
      expect(live.state.nodeCount()).toBe(3);
      expect(live.state.status().synced).toBe(true);
    },
    RESTART_TEST_TIMEOUT_MS,
  );
});
