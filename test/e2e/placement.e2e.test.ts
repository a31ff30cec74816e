/**
 * Issue 11's messages through a real kube-apiserver and real `kubectl apply`: required node
 * affinity, spec.nodeName, the runtime handlers kubelet reports (status.runtimeHandlers on the fake
 * Nodes), and made-up keys in reserved namespaces. Each message appears verbatim, as kubectl prints it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { applyObjects, createNode, kubectlOk, useControlPlane, waitFor, type ControlPlane } from '../harness/controlplane.js';
import { registerWebhooks, startWasmgate, type Wasmgate } from '../harness/wasmgate.js';

function pod(name: string, spec: Record<string, unknown>): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'ghcr.io/containerd/runwasi/wasi-demo-app:latest' }], ...spec },
  };
}

async function apply(cp: ControlPlane, obj: object) {
  return cp.kubectl(['apply', '-f', '-'], { input: stringify(obj, { version: '1.1' }) });
}

const handlers = (...names: string[]) => names.map((name) => ({ name }));

let wg: Wasmgate;

const cp = useControlPlane({ scheduler: true }, async (cp) => {
  await createNode(cp, { name: 'plain-1', runtimeHandlers: handlers('runc') });
  // the one usable wasmtime node; it also carries a made-up reserved label an admin set by hand
  await createNode(cp, {
    name: 'wasm-1',
    labels: { 'wasmtime-enabled': 'yes', zone: 'eu-1', 'node.kubernetes.io/wasmtime': 'true' },
    runtimeHandlers: handlers('runc', 'wasmtime'),
  });
  // labelled for wasmtime, but its containerd has no wasmtime runtime
  await createNode(cp, { name: 'wasm-2', labels: { 'wasmtime-enabled': 'yes', zone: 'eu-2' }, runtimeHandlers: handlers('runc', 'spin') });
  // labelled for spin, but reports wasmtime only
  await createNode(cp, { name: 'spin-1', labels: { 'spin-enabled': 'yes' }, runtimeHandlers: handlers('runc', 'wasmtime') });
  // not labelled yet; reports spin only
  await createNode(cp, { name: 'wasm-3', runtimeHandlers: handlers('runc', 'spin') });
  await applyObjects(cp, [
    {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'wasm1' },
      handler: 'wasmtime',
      scheduling: { nodeSelector: { 'wasmtime-enabled': 'yes' } },
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
  // the live cache has the handlers: a pod for wasm1 is admitted (wasm-1 reports wasmtime)
  await waitFor(async () => (await apply(cp, pod('probe', { runtimeClassName: 'wasm1' }))).code === 0, {
    timeoutMs: 60_000,
    what: 'wasmgate to admit a wasm1 pod',
  });
});

afterAll(async () => {
  await wg?.stop();
}, 60_000);

const DENIED = 'admission webhook "pods.validate.wasmgate.dev" denied the request: ';

describe('issue 11 messages at kubectl apply, verbatim', () => {
  it('required node affinity that excludes every Wasm node', async () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['eu-3'] }] }],
        },
      },
    };
    const res = await apply(cp, pod('affinity', { runtimeClassName: 'wasm1', affinity }));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      DENIED +
        '[nodes-available] Pod default/affinity (RuntimeClass wasm1) has no node to run on: 2 nodes match the node selector wasmtime-enabled=yes, ' +
        'but the required node affinity (spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) excludes all 2: ' +
        'term 1 (zone In [eu-3]) matches none: zone In [eu-3] excludes 2 of them. ' +
        'Fix: change a term so that it matches the nodes with the runtime, or label those nodes to match it.',
    );
  });

  it('the only nodes labelled for the class report handlers without it', async () => {
    const res = await apply(cp, pod('spin-app', { runtimeClassName: 'spin' }));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      DENIED +
        '[nodes-available] Pod default/spin-app (RuntimeClass spin) has no node to run on: 1 node matches the node selector spin-enabled=yes, ' +
        'but it reports runtime handlers without spin, so pods placed there would fail with no runtime for "spin" is configured ' +
        '(spin-1, labelled spin-enabled=yes: runc and wasmtime). Fix: install the spin shim on spin-1 and register it in containerd as runtime ' +
        '"spin" (kubelet then reports it in status.runtimeHandlers); or label another Ready node: kubectl label nodes <node> spin-enabled=yes.',
    );
  });

  it('spec.nodeName naming a node that does not exist', async () => {
    const res = await apply(cp, pod('pinned-missing', { runtimeClassName: 'wasm1', nodeName: 'wasm-9' }));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      DENIED +
        '[nodes-available] Pod default/pinned-missing (RuntimeClass wasm1) has no node to run on: spec.nodeName names node wasm-9, which does ' +
        'not exist (the scheduler is bypassed, so the pod would never start). Fix: name an existing node that has the runtime, or remove ' +
        'spec.nodeName and let the scheduler choose.',
    );
  });

  it('spec.nodeName naming a node without the class’s labels', async () => {
    const res = await apply(cp, pod('pinned-plain', { runtimeClassName: 'wasm1', nodeName: 'plain-1' }));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      DENIED +
        '[nodes-available] Pod default/pinned-plain (RuntimeClass wasm1) has no node to run on: spec.nodeName names node plain-1, which does ' +
        'not carry wasmtime-enabled=yes from the node selector. Fix: label it, if it has the runtime: kubectl label nodes plain-1 ' +
        'wasmtime-enabled=yes; or name another node, or remove spec.nodeName.',
    );
  });

  it('spec.nodeName naming a node that has the class’s labels and reports its handler is admitted', async () => {
    const res = await apply(cp, pod('pinned-ok', { runtimeClassName: 'wasm1', nodeName: 'wasm-1' }));
    expect(res.code, res.stderr).toBe(0);
  });

  it('a made-up key under node.kubernetes.io in a pod’s nodeSelector', async () => {
    const res = await apply(cp, pod('made-up', { runtimeClassName: 'wasm1', nodeSelector: { 'node.kubernetes.io/wasmtime': 'true' } }));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      DENIED +
        '[reserved-label-keys] Pod default/made-up selects nodes in spec.nodeSelector by label node.kubernetes.io/wasmtime (in the reserved ' +
        'kubernetes.io namespace, which holds only the labels Kubernetes itself defines, and it defines no such label). Fix: use a key in ' +
        'your own namespace, e.g. wasmgate.dev/wasmtime=true, on the nodes and in the selector; or, if an admin sets this label ' +
        "deliberately, add node.kubernetes.io/wasmtime to reservedLabelAllowlist in wasmgate's config.",
    );
  });

  it('the RuntimeClass webhook denies a made-up reserved key on create', async () => {
    const rc = {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'made-up' },
      handler: 'wasmtime',
      scheduling: { nodeSelector: { 'node.kubernetes.io/wasmtime': 'true' } },
    };
    const res = await apply(cp, rc);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      'admission webhook "runtimeclasses.validate.wasmgate.dev" denied the request: ' +
        '[reserved-label-keys] RuntimeClass made-up selects nodes in scheduling.nodeSelector by label node.kubernetes.io/wasmtime (in the ' +
        'reserved kubernetes.io namespace, which holds only the labels Kubernetes itself defines, and it defines no such label). Fix: label ' +
        'the Wasm nodes with a key in your own namespace, e.g. wasmgate.dev/wasmtime=true, and use it in the RuntimeClass; or, if an admin ' +
        "sets this label deliberately, add node.kubernetes.io/wasmtime to reservedLabelAllowlist in wasmgate's config.",
    );
    expect((await cp.kubectl(['get', 'runtimeclass', 'made-up'])).code).not.toBe(0);
  });

  it('a RuntimeClass whose labelled nodes report other handlers is created with a warning', async () => {
    const rc = {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'spin-two' },
      handler: 'spin',
      scheduling: { nodeSelector: { 'spin-enabled': 'yes' } },
    };
    const res = await apply(cp, rc);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(
      "Warning: [runtimeclass-selector-matches] RuntimeClass spin-two's pods would have no node to run on: 1 node matches the node selector " +
        'spin-enabled=yes, but it reports runtime handlers without spin, so pods placed there would fail with no runtime for "spin" is ' +
        'configured (spin-1, labelled spin-enabled=yes: runc and wasmtime). Fix: install the spin shim on spin-1 and register it in ' +
        'containerd as runtime "spin" (kubelet then reports it in status.runtimeHandlers); or label another Ready node: kubectl label nodes <node> spin-enabled=yes.',
    );
  });

  it('labelling a node for a class whose handler its kubelet does not report warns', async () => {
    const res = await cp.kubectl(['label', 'nodes', 'wasm-3', 'wasmtime-enabled=yes']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(
      'Warning: [node-change-strands-runtimeclass] This change to Node wasm-3 labels it wasmtime-enabled=yes, which sends it the pods of ' +
        'RuntimeClass wasm1 (handler wasmtime), but its kubelet reports the runtime handlers runc and spin, not wasmtime: those pods would ' +
        'fail with no runtime for "wasmtime" is configured. Fix: install the wasmtime shim on wasm-3 and register it in containerd as ' +
        'runtime "wasmtime" before labelling it, or revert the label.',
    );
    await kubectlOk(cp, ['label', 'nodes', 'wasm-3', 'wasmtime-enabled-']);
  });
});
