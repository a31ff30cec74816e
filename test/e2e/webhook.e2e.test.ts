/**
 * wasmgate through a real kube-apiserver: real `kubectl apply`, real TLS to the webhook, the
 * in-tree RuntimeClass plugin and the real scheduler. No fakes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  applyObjects,
  CONTROLLER_TEST_TIMEOUT_MS,
  CONTROLLER_WAIT_MS,
  createNode,
  kubectlJson,
  kubectlOk,
  useControlPlane,
  waitFor,
  type ControlPlane,
} from '../harness/controlplane.js';
import { registerWebhooks, startWasmgate, type Wasmgate } from '../harness/wasmgate.js';

const WASM_TAINT = { key: 'wasm', value: 'true', effect: 'NoSchedule' as const };

function pod(name: string, o: { namespace?: string; annotations?: Record<string, string>; spec?: Record<string, unknown> } = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { containers: [{ name: 'app', image: 'ghcr.io/containerd/runwasi/wasi-demo-app:latest' }], ...o.spec },
  };
}

/** `kubectl apply -f -` of YAML text, as a user would; returns the whole result. YAML 1.1 as kubectl reads it ("yes" quoted). */
async function apply(cp: ControlPlane, obj: object) {
  return cp.kubectl(['apply', '-f', '-'], { input: stringify(obj, { version: '1.1' }) });
}

let wg: Wasmgate;

const cp = useControlPlane({ scheduler: true }, async (cp) => {
  // the seed's mixed cluster: plain nodes, wasmtime nodes (tainted so ordinary pods stay off),
  // spin nodes of which none is usable (one NotReady, one cordoned)
  await createNode(cp, { name: 'plain-1' });
  await createNode(cp, { name: 'plain-2' });
  await createNode(cp, { name: 'wasm-1', labels: { 'wasmtime-enabled': 'yes' }, taints: [WASM_TAINT] });
  await createNode(cp, { name: 'wasm-2', labels: { 'wasmtime-enabled': 'yes' }, taints: [WASM_TAINT] });
  await createNode(cp, { name: 'spin-1', labels: { 'spin-enabled': 'yes' }, ready: false });
  await createNode(cp, { name: 'spin-2', labels: { 'spin-enabled': 'yes' }, unschedulable: true });
  await applyObjects(cp, [
    {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'wasm1' },
      handler: 'wasmtime',
      scheduling: { nodeSelector: { 'wasmtime-enabled': 'yes' }, tolerations: [{ ...WASM_TAINT, operator: 'Equal' }] },
    },
    {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'spin' },
      handler: 'spin',
      scheduling: { nodeSelector: { 'spin-enabled': 'yes' } },
    },
  ]);
  wg = await startWasmgate(cp);
  await registerWebhooks(cp, wg);
});

afterAll(async () => {
  await wg?.stop();
}, 60_000);

describe('mutation through kube-apiserver', () => {
  it('sets runtimeClassName, and the in-tree RuntimeClass plugin then merges nodeSelector and tolerations', async () => {
    const res = await apply(cp, pod('hello-wasm', { annotations: { 'wasmgate.dev/runtime': 'wasmtime' } }));
    expect(res.code, res.stderr).toBe(0);
    const stored = await kubectlJson(cp, ['get', 'pod', 'hello-wasm', '-n', 'default']);
    expect(stored.spec.runtimeClassName).toBe('wasm1');
    expect(stored.spec.nodeSelector).toEqual({ 'wasmtime-enabled': 'yes' });
    expect(stored.spec.tolerations).toContainEqual({ key: 'wasm', operator: 'Equal', value: 'true', effect: 'NoSchedule' });
  });

  it(
    'the scheduler binds annotated pods only to nodes labelled for their runtime',
    async () => {
      const names = ['sched-1', 'sched-2', 'sched-3', 'sched-4'];
      for (const n of names) {
        const res = await apply(cp, pod(n, { annotations: { 'wasmgate.dev/runtime': 'auto' } }));
        expect(res.code, res.stderr).toBe(0);
      }
      const placed = await waitFor(
        async () => {
          const nodes = await Promise.all(
            names.map(async (n) => (await kubectlJson(cp, ['get', 'pod', n, '-n', 'default'])).spec.nodeName as string | undefined),
          );
          return nodes.every((x) => x !== undefined) ? nodes : undefined;
        },
        { timeoutMs: CONTROLLER_WAIT_MS, what: 'the scheduler to bind the Wasm pods' },
      );
      for (const nodeName of placed) expect(['wasm-1', 'wasm-2']).toContain(nodeName);
    },
    CONTROLLER_TEST_TIMEOUT_MS,
  );

  it('a pod that is not Wasm is untouched and never reaches the webhook', async () => {
    const before = await wg.requestsServed();
    const res = await apply(cp, pod('plain-app'));
    expect(res.code, res.stderr).toBe(0);
    const stored = await kubectlJson(cp, ['get', 'pod', 'plain-app', '-n', 'default']);
    expect(stored.spec.runtimeClassName).toBeUndefined();
    expect(await wg.requestsServed()).toBe(before);
  });

  it('nothing in kube-system is sent to the webhook', async () => {
    const before = await wg.requestsServed();
    const res = await apply(
      cp,
      pod('annotated-system-pod', { namespace: 'kube-system', annotations: { 'wasmgate.dev/runtime': 'wasmtime' } }),
    );
    expect(res.code, res.stderr).toBe(0);
    const stored = await kubectlJson(cp, ['get', 'pod', 'annotated-system-pod', '-n', 'kube-system']);
    expect(stored.spec.runtimeClassName).toBeUndefined();
    expect(await wg.requestsServed()).toBe(before);
  });
});

describe('denials at kubectl apply, with wasmgate’s message verbatim', () => {
  it('an annotation naming a RuntimeClass or handler that does not exist', async () => {
    const res = await apply(cp, pod('no-such-class', { annotations: { 'wasmgate.dev/runtime': 'wasm2' } }));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('admission webhook "pods.validate.wasmgate.dev" denied the request');
    expect(res.stderr).toContain(
      '[runtimeclass-assigned] Pod default/no-such-class is annotated wasmgate.dev/runtime=wasm2 but has no spec.runtimeClassName, ' +
        'and none could be chosen: no RuntimeClass is named wasm2 or has handler wasm2. Fix: set wasmgate.dev/runtime to a Wasm ' +
        'RuntimeClass that exists (one of: spin (handler spin) and wasm1 (handler wasmtime)), or create a RuntimeClass with handler wasm2.',
    );
    expect((await cp.kubectl(['get', 'pod', 'no-such-class', '-n', 'default'])).code).not.toBe(0);
  });

  it('an explicit runtimeClassName that does not exist is rejected by the in-tree plugin before any webhook', async () => {
    const res = await apply(cp, pod('explicit-missing', { spec: { runtimeClassName: 'wasm2' } }));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('RuntimeClass "wasm2" not found');
  });

  it('a RuntimeClass whose nodes are NotReady or cordoned', async () => {
    const res = await apply(cp, pod('spin-app', { annotations: { 'wasmgate.dev/runtime': 'spin' } }));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      '[nodes-available] Pod default/spin-app (RuntimeClass spin) has no node to run on: 2 nodes match the node selector ' +
        'spin-enabled=yes, but 1 is NotReady (spin-1) and 1 is cordoned (spin-2). Fix: bring a node back to Ready; or uncordon it: ' +
        'kubectl uncordon spin-2; or label another Ready node: kubectl label nodes <node> spin-enabled=yes.',
    );
  });

  it('a selector that matches no node', async () => {
    const res = await apply(
      cp,
      pod('nowhere', { annotations: { 'wasmgate.dev/runtime': 'wasm1' }, spec: { nodeSelector: { zone: 'mars' } } }),
    );
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      '[nodes-available] Pod default/nowhere (RuntimeClass wasm1) has no node to run on: no node matches the node selector ' +
        'wasmtime-enabled=yes, zone=mars (of 6 nodes, 2 nodes carry wasmtime-enabled=yes, 0 nodes carry zone=mars). ' +
        'Fix: label the nodes that have the runtime installed: kubectl label nodes <node> wasmtime-enabled=yes zone=mars.',
    );
  });

  it('a node selector key in a reserved namespace', async () => {
    const res = await apply(
      cp,
      pod('reserved', {
        annotations: { 'wasmgate.dev/runtime': 'wasm1' },
        spec: { nodeSelector: { 'node-role.kubernetes.io/wasm': 'true' } },
      }),
    );
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      '[reserved-label-keys] Pod default/reserved selects nodes in spec.nodeSelector by label node-role.kubernetes.io/wasm ' +
        '(in the reserved kubernetes.io namespace: kubelet refuses it in --node-labels, so node provisioning cannot set it). ' +
        'Fix: use a key in your own namespace, e.g. wasmgate.dev/wasm=true, on the nodes and in the selector; or, if an admin ' +
        "sets this label deliberately, add node-role.kubernetes.io/wasm to reservedLabelAllowlist in wasmgate's config.",
    );
  });

  it('a RuntimeClass with a reserved key is rejected when it is created', async () => {
    const res = await apply(cp, {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'reserved-rc' },
      handler: 'wasmtime',
      scheduling: { nodeSelector: { 'wasm.k8s.io/enabled': 'yes' } },
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('admission webhook "runtimeclasses.validate.wasmgate.dev" denied the request');
    expect(res.stderr).toContain(
      '[reserved-label-keys] RuntimeClass reserved-rc selects nodes in scheduling.nodeSelector by label wasm.k8s.io/enabled (in the reserved k8s.io namespace',
    );
  });
});

describe('warn mode', () => {
  it('a warn-mode rule prints Warning: with wasmgate’s text and the object is created', async () => {
    // runtimeclass-has-selector is a warn rule by default: k3s-style classes have no scheduling block
    const res = await apply(cp, {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'wasmedge' },
      handler: 'wasmedge',
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(
      'Warning: [runtimeclass-has-selector] RuntimeClass wasmedge (handler wasmedge) has no scheduling.nodeSelector: in a mixed cluster its pods may land on nodes without the wasmedge shim',
    );
    await kubectlOk(cp, ['get', 'runtimeclass', 'wasmedge']);
  });

  it('a rule switched to warn in the config lets the pod in with the explanation as a warning', async () => {
    const warnConfig = { rules: { 'nodes-available': 'warn' } };
    const lenient = await startWasmgate(cp, warnConfig);
    try {
      await registerWebhooks(cp, lenient, warnConfig);
      const res = await apply(cp, pod('spin-warned', { annotations: { 'wasmgate.dev/runtime': 'spin' } }));
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toContain('Warning: [nodes-available] Pod default/spin-warned (RuntimeClass spin) has no node to run on');
      const stored = await kubectlJson(cp, ['get', 'pod', 'spin-warned', '-n', 'default']);
      expect(stored.spec.runtimeClassName).toBe('spin');
    } finally {
      await registerWebhooks(cp, wg);
      await lenient.stop();
    }
  });
});
