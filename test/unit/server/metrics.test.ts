import { describe, expect, it } from 'vitest';
import { MemoryState } from '../../../src/cluster/memory-state.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { metricValue } from '../../harness/http.js';

async function gauge(state: MemoryState, name: string): Promise<number> {
  const text = await createMetrics(state, { defaultMetrics: false }).registry.metrics();
  expect(text).toContain(`# TYPE ${name} gauge`); // metricValue() reads an absent series as 0
  return metricValue(text, name);
}

describe('cluster-state gauges', () => {
  it('wasmgate_cluster_access_problems counts the refused lists and watches; synced stays 1', async () => {
    const state = new MemoryState('live', 'test');
    state.markSynced(true);
    expect(await gauge(state, 'wasmgate_cluster_access_problems')).toBe(0);
    state.setProblem('pods', 'the API server refuses to let wasmgate watch pods (403)');
    state.setProblem('nodes', 'the API server refuses to let wasmgate list nodes (403)');
    expect(await gauge(state, 'wasmgate_cluster_access_problems')).toBe(2);
    expect(await gauge(state, 'wasmgate_cluster_state_synced')).toBe(1);
    state.setProblem('pods', undefined);
    expect(await gauge(state, 'wasmgate_cluster_access_problems')).toBe(1);
  });
});
