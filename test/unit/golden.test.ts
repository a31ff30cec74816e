/**
 * Golden files: the exact text users see (denial message, warnings, audit annotations) for every
 * message shape the rules and the engine produce. Regenerate with
 *   npx vitest run test/unit/golden.test.ts -u
 * and read every changed file in test/golden/ before committing it.
 */
import { afterEach, describe, it, expect, vi } from 'vitest';
import { loadSnapshot } from '../../src/cluster/snapshot.js';
import type { MemoryState } from '../../src/cluster/memory-state.js';
import type { Config } from '../../src/config/config.js';
import { mutate, validate, type EngineResult } from '../../src/decide/engine.js';
import { nodesAvailable } from '../../src/rules/nodes-available.js';
import type { Rule } from '../../src/decide/types.js';
import type { AdmissionRequest } from '../../src/review/envelope.js';
import {
  config,
  deploymentObject,
  node,
  nodeObject,
  podObject,
  request,
  runtimeClass,
  runtimeClassObject,
  stateOf,
} from '../harness/fixtures.js';
import { range, unsyncedState, workloadObject } from './helpers.js';

const RUNTIME = 'wasmgate.dev/runtime';
const VARIANT = 'module.wasm.image/variant';
const W = { 'wasmtime-enabled': 'yes' };
const WASM_TAINT = { key: 'wasm', value: 'true', effect: 'NoSchedule' };

/** examples/cluster: plain-1/2, wasm-1 (tainted), wasm-2 (tainted, NotReady, arm64), spin-1, spin-2 (cordoned); wasm1, wasmtime-spin-v2 */
async function example(): Promise<MemoryState> {
  return (await loadSnapshot('examples/cluster')).state;
}

/** Render a decision as the user would meet it. */
function render(r: EngineResult): string {
  const lines: string[] = [];
  lines.push(r.allowed ? 'ALLOWED' : 'DENIED');
  if (r.message !== undefined) lines.push(`message: ${r.message}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  for (const [k, v] of Object.entries(r.auditAnnotations)) lines.push(`audit ${k}: ${v}`);
  return `${lines.join('\n')}\n`;
}

interface Golden {
  name: string;
  run: () => Promise<EngineResult> | EngineResult;
  /** what the decision must be, checked besides the file ('allowed': with no finding at all) */
  expect: 'denied' | 'warned' | 'audited' | 'allowed';
}

const keyed = (n: number, key: (i: number) => string, value = 'v'): Record<string, string> =>
  Object.fromEntries(range(n).map((i) => [key(i), value]));

const pod = (name: string, spec: Record<string, unknown> = {}, annotations?: Record<string, string>) =>
  podObject({ name, namespace: 'apps', spec, ...(annotations ? { annotations } : {}) });

const check = async (
  obj: Record<string, unknown> | null,
  state: MemoryState | Promise<MemoryState>,
  cfg: Config = config(),
  op: AdmissionRequest['operation'] = 'CREATE',
  old: Record<string, unknown> | null = null,
) => validate(request(obj, op, old), await state, cfg);

const cases: Golden[] = [
  // nodes-available
  {
    name: 'nodes-available-no-match',
    run: () => check(pod('hello', { runtimeClassName: 'wasm1', nodeSelector: { zone: 'eu-1' } }), example()),
    expect: 'denied',
  },
  {
    name: 'nodes-available-not-ready',
    run: () => check(pod('hello', { runtimeClassName: 'wasm1', nodeSelector: { 'kubernetes.io/arch': 'arm64' } }), example()),
    expect: 'denied',
  },
  {
    name: 'nodes-available-cordoned',
    run: () =>
      check(pod('hello', { runtimeClassName: 'wasmtime-spin-v2', nodeSelector: { 'kubernetes.io/hostname': 'spin-2' } }), example()),
    expect: 'denied',
  },
  {
    name: 'nodes-available-tainted',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'wasm1' }),
        stateOf([node('plain-1'), node('wasm-1', W, { taints: [WASM_TAINT] })], [runtimeClass('wasm1', 'wasmtime', W)]),
      ),
    expect: 'denied',
  },
  {
    name: 'nodes-available-tainted-many',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'wasm1' }),
        stateOf(
          ['wasm-1', 'wasm-2', 'wasm-3', 'wasm-4', 'wasm-5'].map((n, i) =>
            node(n, W, { taints: i % 2 === 0 ? [WASM_TAINT] : [WASM_TAINT, { key: 'gpu', effect: 'NoExecute' }] }),
          ),
          [runtimeClass('wasm1', 'wasmtime', W)],
        ),
      ),
    expect: 'denied',
  },
  {
    name: 'nodes-available-not-ready-cordoned-tainted',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'wasm1' }),
        stateOf(
          [
            node('wasm-1', W, { ready: false }),
            node('wasm-2', W, { unschedulable: true }),
            node('wasm-3', W, { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] }),
          ],
          [runtimeClass('wasm1', 'wasmtime', W)],
        ),
      ),
    expect: 'denied',
  },
  {
    name: 'nodes-available-no-nodes',
    run: () => check(pod('hello', { runtimeClassName: 'wasm1' }), stateOf([], [runtimeClass('wasm1', 'wasmtime', W)])),
    expect: 'denied',
  },
  {
    name: 'nodes-available-empty-selector',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'open' }),
        stateOf([node('node-1', {}, { ready: false }), node('node-2', {}, { ready: false })], [runtimeClass('open', 'spin')]),
        config({ rules: { 'runtimeclass-has-selector': 'audit' } }),
      ),
    expect: 'denied',
  },
  {
    name: 'nodes-available-empty-selector-one-node',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'open' }),
        stateOf([node('node-1', {}, { unschedulable: true })], [runtimeClass('open', 'spin')]),
        config({ rules: { 'runtimeclass-has-selector': 'audit' } }),
      ),
    expect: 'denied',
  },
  {
    name: 'nodes-available-kubelet-label-only',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'open', nodeSelector: { 'kubernetes.io/arch': 's390x' } }),
        stateOf([node('node-1', { 'kubernetes.io/arch': 'amd64' })], [runtimeClass('open', 'spin')]),
        config({ rules: { 'runtimeclass-has-selector': 'audit' } }),
      ),
    expect: 'denied',
  },
  // runtimeclass-exists
  {
    name: 'runtimeclass-exists-with-wasm-classes',
    run: () => check(pod('hello', { runtimeClassName: 'wasm2' }), example()),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-exists-no-wasm-classes',
    run: () => check(pod('hello', { runtimeClassName: 'wasmtime' }), stateOf([node('node-1')], [runtimeClass('runc', 'runc')])),
    expect: 'denied',
  },
  // runtimeclass-assigned: the mutating webhook did not run
  {
    name: 'runtimeclass-assigned-choice-possible',
    run: () => check(pod('hello', {}, { [RUNTIME]: 'wasmtime' }), example()),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-assigned-crun-marker',
    run: () => check(pod('hello', {}, { [VARIANT]: 'compat-smart' }), example(), config({ defaultRuntimeClass: 'wasm1' })),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-assigned-several-with-handler',
    run: () =>
      check(
        pod('hello', {}, { [RUNTIME]: 'spin' }),
        stateOf(
          [node('s1', { s: 'y' })],
          [
            runtimeClass('spin-a', 'spin', { s: 'n' }),
            runtimeClass('spin-b', 'spin', { s: 'y' }),
            runtimeClass('spin-c', 'spin', { s: 'y' }),
          ],
        ),
      ),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-assigned-several-with-handler-default',
    run: () =>
      check(
        pod('hello', {}, { [RUNTIME]: 'spin' }),
        stateOf([node('s1', { s: 'y' })], [runtimeClass('spin-a', 'spin', { s: 'y' }), runtimeClass('spin-b', 'spin', { s: 'y' })]),
        config({ defaultRuntimeClass: 'spin-b' }),
      ),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-assigned-several-with-handler-none-usable',
    run: () =>
      check(
        pod('hello', {}, { [RUNTIME]: 'spin' }),
        stateOf([node('s1')], [runtimeClass('spin-a', 'spin', { s: 'y' }), runtimeClass('spin-b', 'spin', { s: 'y' })]),
      ),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-assigned-several-with-handler-none-usable-default',
    run: () =>
      check(
        pod('hello', {}, { [RUNTIME]: 'spin' }),
        stateOf([node('s1')], [runtimeClass('spin-a', 'spin', { s: 'y' }), runtimeClass('spin-b', 'spin', { s: 'y' })]),
        config({ defaultRuntimeClass: 'spin-b' }),
      ),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-assigned-unknown-value',
    run: () => check(pod('hello', {}, { [RUNTIME]: 'wasmedge' }), example()),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-assigned-unknown-value-no-wasm-classes',
    run: () => check(pod('hello', {}, { [RUNTIME]: 'wasmedge' }), stateOf([node('node-1')], [])),
    expect: 'denied',
  },
  { name: 'runtimeclass-assigned-auto-ambiguous', run: () => check(pod('hello', {}, { [RUNTIME]: 'auto' }), example()), expect: 'denied' },
  {
    name: 'runtimeclass-assigned-auto-ambiguous-missing-default',
    run: () => check(pod('hello', {}, { [RUNTIME]: 'auto' }), example(), config({ defaultRuntimeClass: 'wasm9' })),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-assigned-auto-no-wasm-classes',
    run: () => check(pod('hello', {}, { [RUNTIME]: 'auto' }), stateOf([node('node-1')], [runtimeClass('runc', 'runc')])),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-assigned-auto-none-usable',
    run: () =>
      check(
        pod('hello', {}, { [RUNTIME]: 'auto' }),
        stateOf([node('node-1')], [runtimeClass('wasm1', 'wasmtime', W), runtimeClass('spin', 'spin', { 'spin-enabled': 'yes' })]),
      ),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-assigned-auto-one-unusable',
    run: () => check(pod('hello', {}, { [RUNTIME]: 'auto' }), stateOf([node('node-1')], [runtimeClass('wasm1', 'wasmtime', W)])),
    expect: 'denied',
  },
  // selector-conflict
  {
    name: 'selector-conflict',
    run: () => check(pod('hello', { runtimeClassName: 'wasm1', nodeSelector: { 'wasmtime-enabled': 'no' } }), example()),
    expect: 'denied',
  },
  // reserved-label-keys
  {
    name: 'reserved-label-keys-pod-kubernetes-io',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'wasm1', nodeSelector: { 'kubernetes.io/wasm': 'yes' } }),
        stateOf([node('wasm-1', { ...W, 'kubernetes.io/wasm': 'yes' })], [runtimeClass('wasm1', 'wasmtime', W)]),
      ),
    expect: 'denied',
  },
  {
    name: 'reserved-label-keys-pod-k8s-io',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'wasm1', nodeSelector: { 'shim.k8s.io/wasmtime': 'true' } }),
        stateOf([node('wasm-1', { ...W, 'shim.k8s.io/wasmtime': 'true' })], [runtimeClass('wasm1', 'wasmtime', W)]),
      ),
    expect: 'denied',
  },
  {
    // the class's reserved key is judged when the RuntimeClass is admitted, not on its pods: a node
    // carries the label, so the pod is allowed with no finding
    name: 'reserved-label-keys-pod-uses-class',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'wasm1' }),
        stateOf([node('wasm-1', { 'kubernetes.io/wasm': 'yes' })], [runtimeClass('wasm1', 'wasmtime', { 'kubernetes.io/wasm': 'yes' })]),
      ),
    expect: 'allowed',
  },
  {
    name: 'reserved-label-keys-runtimeclass',
    run: () =>
      check(
        runtimeClassObject('wasm1', 'wasmtime', { 'kubernetes.io/wasm': 'yes' }),
        stateOf([node('wasm-1', { 'kubernetes.io/wasm': 'yes' })], []),
      ),
    expect: 'denied',
  },
  {
    name: 'reserved-label-keys-runtimeclass-k8s-io',
    run: () =>
      check(
        runtimeClassObject('wasm1', 'wasmtime', { 'wasm.k8s.io/shim': 'wasmtime' }),
        stateOf([node('wasm-1', { 'wasm.k8s.io/shim': 'wasmtime' })], []),
      ),
    expect: 'denied',
  },
  // runtimeclass-has-selector
  {
    name: 'runtimeclass-has-selector-pod',
    run: () => check(pod('hello', { runtimeClassName: 'spin' }), stateOf([node('node-1')], [runtimeClass('spin', 'spin')])),
    expect: 'warned',
  },
  {
    name: 'runtimeclass-has-selector-runtimeclass',
    run: () => check(runtimeClassObject('spin', 'spin'), stateOf([node('node-1')], [])),
    expect: 'warned',
  },
  // daemonset-selects-runtime-nodes
  {
    name: 'daemonset-selects-runtime-nodes',
    run: () =>
      check(workloadObject('DaemonSet', { name: 'agent', spec: { runtimeClassName: 'wasm1', tolerations: [WASM_TAINT] } }), example()),
    expect: 'warned',
  },
  // runtimeclass-selector-matches
  {
    name: 'runtimeclass-selector-matches-no-match',
    run: () => check(runtimeClassObject('wasmedge', 'wasmedge', { 'wasmedge-enabled': 'yes' }), example()),
    expect: 'warned',
  },
  {
    name: 'runtimeclass-selector-matches-tainted',
    run: () => check(runtimeClassObject('wasm-untolerated', 'wasmtime', W), example()),
    expect: 'warned',
  },
  {
    name: 'runtimeclass-selector-matches-no-nodes',
    run: () => check(runtimeClassObject('wasm1', 'wasmtime', W), stateOf([], [])),
    expect: 'warned',
  },
  // issue 11: required node affinity, spec.nodeName, the handlers kubelet reports, made-up reserved keys
  {
    name: 'nodes-available-affinity-excludes',
    run: () =>
      check(
        pod('hello', {
          runtimeClassName: 'wasm1',
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-3'] }] },
                  {
                    matchExpressions: [
                      { key: 'kubernetes.io/arch', operator: 'NotIn', values: ['amd64', 'arm64'] },
                      { key: 'tier', operator: 'Exists' },
                    ],
                  },
                ],
              },
            },
          },
        }),
        stateOf(
          [
            node('plain-1', { 'topology.kubernetes.io/zone': 'eu-3' }),
            node('wasm-1', { ...W, 'topology.kubernetes.io/zone': 'eu-1', 'kubernetes.io/arch': 'amd64' }),
            node('wasm-2', { ...W, 'topology.kubernetes.io/zone': 'eu-2', 'kubernetes.io/arch': 'arm64' }),
          ],
          [runtimeClass('wasm1', 'wasmtime', W)],
        ),
      ),
    expect: 'denied',
  },
  {
    name: 'nodes-available-handler-missing',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'wasm1' }),
        stateOf(
          [node('plain-1'), node('wasm-1', W, { runtimeHandlers: ['runc', 'spin'] }), node('wasm-2', W, { unschedulable: true })],
          [runtimeClass('wasm1', 'wasmtime', W)],
        ),
      ),
    expect: 'denied',
  },
  {
    name: 'nodes-available-node-name-missing',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'wasm1', nodeName: 'wasm-9' }),
        stateOf([node('wasm-1', W)], [runtimeClass('wasm1', 'wasmtime', W)]),
      ),
    expect: 'denied',
  },
  {
    name: 'nodes-available-node-name-lacks',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'wasm1', nodeName: 'plain-1' }),
        stateOf([node('plain-1', {}, { runtimeHandlers: ['runc'] }), node('wasm-1', W)], [runtimeClass('wasm1', 'wasmtime', W)]),
      ),
    expect: 'denied',
  },
  {
    name: 'runtimeclass-selector-matches-handler-missing',
    run: () => check(runtimeClassObject('wasm1', 'wasmtime', W), stateOf([node('wasm-1', W, { runtimeHandlers: ['runc', 'spin'] })], [])),
    expect: 'warned',
  },
  {
    name: 'reserved-label-keys-pod-made-up-node-kubernetes-io',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'wasm1', nodeSelector: { 'node.kubernetes.io/wasmtime': 'true' } }),
        stateOf([node('wasm-1', { ...W, 'node.kubernetes.io/wasmtime': 'true' })], [runtimeClass('wasm1', 'wasmtime', W)]),
      ),
    expect: 'denied',
  },
  {
    name: 'reserved-label-keys-runtimeclass-made-up-node-kubernetes-io',
    run: () =>
      check(
        runtimeClassObject('wasm1', 'wasmtime', { 'node.kubernetes.io/wasmtime': 'true' }),
        stateOf([node('wasm-1', { 'node.kubernetes.io/wasmtime': 'true' })], []),
      ),
    expect: 'denied',
  },
  {
    name: 'node-change-label-promises-missing-handler',
    run: () =>
      check(
        nodeObject('wasm-3', W, { runtimeHandlers: ['runc', 'spin'] }),
        stateOf([node('wasm-1', W), node('wasm-3', {}, { runtimeHandlers: ['runc', 'spin'] })], [runtimeClass('wasm1', 'wasmtime', W)]),
        config(),
        'UPDATE',
        nodeObject('wasm-3', {}, { runtimeHandlers: ['runc', 'spin'] }),
      ),
    expect: 'warned',
  },
  // node-change-strands-runtimeclass
  {
    name: 'node-change-label-removed',
    run: () =>
      check(
        nodeObject('wasm-1'),
        stateOf([node('plain-1'), node('wasm-1', W)], [runtimeClass('wasm1', 'wasmtime', W)]),
        config(),
        'UPDATE',
        nodeObject('wasm-1', W),
      ),
    expect: 'warned',
  },
  {
    name: 'node-change-label-changed',
    run: () =>
      check(
        nodeObject('wasm-1', { 'wasmtime-enabled': 'no' }),
        stateOf([node('wasm-1', W)], [runtimeClass('wasm1', 'wasmtime', W)]),
        config(),
        'UPDATE',
        nodeObject('wasm-1', W),
      ),
    expect: 'warned',
  },
  {
    name: 'node-change-cordon',
    run: () =>
      check(
        nodeObject('wasm-1', W, { unschedulable: true }),
        stateOf([node('wasm-1', W)], [runtimeClass('wasm1', 'wasmtime', W)], { 'apps/a': 'wasm1', 'apps/b': 'wasm1', 'apps/c': 'wasm1' }),
        config(),
        'UPDATE',
        nodeObject('wasm-1', W),
      ),
    expect: 'warned',
  },
  {
    name: 'node-change-cordon-one-pod',
    run: () =>
      check(
        nodeObject('wasm-1', W, { unschedulable: true }),
        stateOf([node('wasm-1', W)], [runtimeClass('wasm1', 'wasmtime', W)], { 'apps/a': 'wasm1' }),
        config(),
        'UPDATE',
        nodeObject('wasm-1', W),
      ),
    expect: 'warned',
  },
  {
    name: 'node-change-taint',
    run: () =>
      check(
        nodeObject('wasm-1', W, { taints: [{ key: 'maintenance', effect: 'NoExecute' }] }),
        stateOf([node('wasm-1', W)], [runtimeClass('wasm1', 'wasmtime', W)]),
        config(),
        'UPDATE',
        nodeObject('wasm-1', W),
      ),
    expect: 'warned',
  },
  {
    name: 'node-change-class-without-selector',
    run: () =>
      check(
        nodeObject('node-1', {}, { unschedulable: true }),
        stateOf([node('node-1')], [runtimeClass('spin', 'spin')]),
        config(),
        'UPDATE',
        nodeObject('node-1'),
      ),
    expect: 'warned',
  },
  // runtimeclass-delete-in-use
  {
    name: 'runtimeclass-delete-in-use',
    run: () =>
      check(
        null,
        stateOf([], [runtimeClass('wasm1', 'wasmtime', W)], { 'apps/a': 'wasm1', 'apps/b': 'wasm1' }),
        config(),
        'DELETE',
        runtimeClassObject('wasm1', 'wasmtime', W),
      ),
    expect: 'warned',
  },
  {
    name: 'runtimeclass-delete-in-use-one-pod',
    run: () =>
      check(
        null,
        stateOf([], [runtimeClass('wasm1', 'wasmtime', W)], { 'apps/a': 'wasm1' }),
        config(),
        'DELETE',
        runtimeClassObject('wasm1', 'wasmtime', W),
      ),
    expect: 'warned',
  },
  // the engine
  {
    name: 'unsynced-deny',
    run: () => check(pod('hello', { runtimeClassName: 'wasm1' }), unsyncedState('waiting for the first list of nodes, runtimeclasses')),
    expect: 'denied',
  },
  {
    name: 'unsynced-allow',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'wasm1' }),
        unsyncedState('waiting for the first list of nodes, runtimeclasses'),
        config({ unsynced: 'allow' }),
      ),
    expect: 'warned',
  },
  {
    name: 'unsynced-runtimeclass',
    run: () => check(runtimeClassObject('wasm1', 'wasmtime', W), unsyncedState('waiting for the first list of nodes, runtimeclasses')),
    expect: 'warned',
  },
  {
    name: 'multi-problem-denial',
    run: () => check(pod('reserved-label', { runtimeClassName: 'wasm1', nodeSelector: { 'kubernetes.io/wasm': 'yes' } }), example()),
    expect: 'denied',
  },
  {
    name: 'multi-problem-denial-with-warning',
    run: () =>
      check(
        pod('hello', { runtimeClassName: 'spin', nodeSelector: { 'kubernetes.io/wasm': 'yes', 'k8s.io/other': 'x' } }),
        stateOf([node('node-1')], [runtimeClass('spin', 'spin')]),
      ),
    expect: 'denied',
  },
  {
    name: 'audit-mode',
    run: () => check(pod('hello', { runtimeClassName: 'wasm2' }), example(), config({ rules: { 'runtimeclass-exists': 'audit' } })),
    expect: 'audited',
  },
  {
    name: 'rule-failed',
    run: () => {
      vi.spyOn(nodesAvailable.checks.podTemplate as Required<NonNullable<Rule['checks']['podTemplate']>>, 'CREATE').mockImplementation(
        () => {
          throw new Error('label index is corrupt');
        },
      );
      return check(pod('hello', { runtimeClassName: 'wasm1' }), example());
    },
    expect: 'denied',
  },
  // workload field paths
  {
    name: 'deployment-runtimeclass-exists',
    run: () => check(deploymentObject({ name: 'web', namespace: 'apps', spec: { runtimeClassName: 'wasm2' } }), example()),
    expect: 'denied',
  },
  {
    name: 'cronjob-runtimeclass-assigned',
    run: () => check(workloadObject('CronJob', { name: 'tick', namespace: 'apps', annotations: { [RUNTIME]: 'wasmtime' } }), example()),
    expect: 'denied',
  },
  {
    name: 'cronjob-selector-conflict',
    run: () =>
      check(
        workloadObject('CronJob', {
          name: 'tick',
          namespace: 'apps',
          spec: { runtimeClassName: 'wasm1', nodeSelector: { 'wasmtime-enabled': 'no' } },
        }),
        example(),
      ),
    expect: 'denied',
  },
  {
    name: 'job-nodes-available-tainted',
    run: () =>
      check(
        workloadObject('Job', { name: 'batch', namespace: 'apps', spec: { runtimeClassName: 'wasm1' } }),
        stateOf([node('wasm-1', W, { taints: [WASM_TAINT] })], [runtimeClass('wasm1', 'wasmtime', W)]),
      ),
    expect: 'denied',
  },
  {
    name: 'podtemplate-reserved-label-keys',
    run: () =>
      check(
        workloadObject('PodTemplate', {
          name: 'tpl',
          namespace: 'apps',
          spec: { runtimeClassName: 'wasm1', nodeSelector: { 'k8s.io/wasm': 'on' } },
        }),
        stateOf([node('wasm-1', { ...W, 'k8s.io/wasm': 'on' })], [runtimeClass('wasm1', 'wasmtime', W)]),
      ),
    expect: 'denied',
  },
  // bounded work per review (issue 10, src/decide/limits.ts)
  {
    name: 'limits-pod-node-selector',
    run: () => check(pod('hostile', { runtimeClassName: 'wasm1', nodeSelector: keyed(20000, (i) => `kubernetes.io/k${i}`) }), example()),
    expect: 'denied',
  },
  {
    name: 'limits-pod-several',
    run: () =>
      check(
        pod('hostile', {
          runtimeClassName: 'wasm1',
          nodeSelector: keyed(200, (i) => `k${i}`),
          tolerations: range(300).map(() => ({ operator: 'Exists' })),
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: range(300).map((i) => ({ matchExpressions: [{ key: `k${i}`, operator: 'Exists' }] })),
              },
            },
          },
          containers: range(257).map((i) => ({ name: `c${i}`, image: 'i' })),
        }),
        example(),
      ),
    expect: 'denied',
  },
  {
    name: 'limits-deployment-tolerations',
    run: () =>
      check(
        deploymentObject({
          name: 'web',
          namespace: 'apps',
          spec: { runtimeClassName: 'wasm1', tolerations: range(1000).map(() => ({ operator: 'Exists' })) },
        }),
        example(),
      ),
    expect: 'denied',
  },
  {
    name: 'limits-audit',
    run: () =>
      check(
        pod('hostile', { runtimeClassName: 'wasm1', nodeSelector: keyed(500, (i) => `k${i}`) }),
        example(),
        config({
          rules: Object.fromEntries(
            [
              'runtimeclass-assigned',
              'runtimeclass-exists',
              'selector-conflict',
              'reserved-label-keys',
              'nodes-available',
              'runtimeclass-has-selector',
              'daemonset-selects-runtime-nodes',
            ].map((id) => [id, 'audit']),
          ),
        }),
      ),
    expect: 'audited',
  },
  {
    name: 'limits-runtimeclass',
    run: () =>
      check(
        runtimeClassObject(
          'hostile',
          'wasmtime',
          keyed(20000, (i) => `kubernetes.io/k${i}`),
        ),
        example(),
      ),
    expect: 'denied',
  },
  {
    name: 'limits-mutate',
    run: async () =>
      mutate(request(pod('hostile', { nodeSelector: keyed(20000, (i) => `k${i}`) }, { [RUNTIME]: 'auto' })), await example(), config()),
    expect: 'audited',
  },
  {
    name: 'limits-findings-per-rule',
    run: () =>
      check(
        pod('many', { runtimeClassName: 'wasm1', nodeSelector: keyed(30, (i) => `kubernetes.io/k${String(i).padStart(2, '0')}`) }),
        example(),
      ),
    expect: 'denied',
  },
  {
    name: 'limits-message-length',
    run: () =>
      check(
        pod('long', {
          runtimeClassName: 'wasm1',
          // keys and values past what a message shows (LABEL_SHOWN): clipped in each message, and the whole denial still overflows
          nodeSelector: keyed(40, (i) => `kubernetes.io/k${String(i).padStart(2, '0')}-${'k'.repeat(400)}`, 'v'.repeat(5000)),
        }),
        example(),
      ),
    expect: 'denied',
  },
  {
    name: 'nodes-available-many-labels',
    run: () =>
      check(
        pod('hello', {
          runtimeClassName: 'wasm1',
          nodeSelector: {
            ...keyed(11, (i) => `example.com/k${String(i).padStart(2, '0')}`),
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
          },
        }),
        example(),
      ),
    expect: 'denied',
  },
  {
    name: 'generate-name-pod',
    run: () => {
      const obj = pod('x', { runtimeClassName: 'wasm2' });
      const meta = obj['metadata'] as Record<string, unknown>;
      delete meta['name'];
      meta['generateName'] = 'hello-';
      return check(obj, example());
    },
    expect: 'denied',
  },
];

afterEach(() => {
  vi.restoreAllMocks();
});

describe('golden messages', () => {
  it('case names are unique', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases)('$name', async ({ name, run, expect: kind }) => {
    const r = await run();
    if (kind === 'denied') expect(r.allowed).toBe(false);
    else expect(r.allowed).toBe(true);
    if (kind === 'warned') expect(r.warnings.length).toBeGreaterThan(0);
    if (kind === 'audited') expect(Object.keys(r.auditAnnotations).length).toBeGreaterThan(0);
    if (kind === 'allowed') expect(r).toMatchObject({ findings: [], warnings: [], auditAnnotations: {}, errors: [] });
    await expect(render(r)).toMatchFileSnapshot(`../golden/${name}.txt`);
  });
});
