import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotError, loadSnapshot, parseObjects, stateFromObjects } from '../../src/cluster/snapshot.js';
import { nodeObject, runtimeClassObject } from '../harness/fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmgate-snapshot-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
/** Write `text` to a new file (in a new subdirectory when `sub` is given) and return its path. */
async function file(name: string, text: string): Promise<string> {
  const sub = join(dir, `case-${++n}`);
  await mkdir(sub, { recursive: true });
  const path = join(sub, name);
  await writeFile(path, text, 'utf8');
  return path;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

const podYaml = (name: string, rc: string | undefined, phase?: string, namespace = 'default') =>
  [
    'apiVersion: v1',
    'kind: Pod',
    `metadata: { name: ${name}, namespace: ${namespace} }`,
    `spec: { ${rc === undefined ? '' : `runtimeClassName: ${rc}, `}containers: [{ name: c, image: i }] }`,
    ...(phase === undefined ? [] : [`status: { phase: ${phase} }`]),
  ].join('\n');

describe('loadSnapshot', () => {
  it('examples/cluster (a directory): 6 nodes, 2 RuntimeClasses', async () => {
    const { state, summary } = await loadSnapshot('examples/cluster');
    expect(summary).toEqual({ files: 2, nodes: 6, runtimeClasses: 2, pods: 0, ignored: 0 });
    expect(state.nodeCount()).toBe(6);
    expect(state.listRuntimeClasses().map((rc) => rc.name)).toEqual(['wasm1', 'wasmtime-spin-v2']);
    expect(state.status()).toMatchObject({ synced: true, detail: 'snapshot of 2 files' });
    expect(state.kind).toBe('snapshot');
    // the lean records carry what the example files say
    expect(state.getNode('wasm-2')).toMatchObject({
      ready: false,
      unschedulable: false,
      taints: [{ key: 'wasm', value: 'true', effect: 'NoSchedule' }],
    });
    expect(state.getNode('spin-2')).toMatchObject({ ready: true, unschedulable: true });
    expect(state.getRuntimeClass('wasm1')).toMatchObject({
      handler: 'wasmtime',
      nodeSelector: { 'wasmtime-enabled': 'yes' },
      tolerations: [{ key: 'wasm', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
    });
    expect(state.countWithLabel('wasmtime-enabled', 'yes')).toBe(2);
    // pods were not in the snapshot: not tracked
    expect(state.podsUsingRuntimeClass('wasm1')).toBeUndefined();
  });

  it('several paths at once', async () => {
    const { summary } = await loadSnapshot(['examples/cluster/nodes.yaml', 'examples/cluster/runtimeclasses.yaml']);
    expect(summary).toMatchObject({ files: 2, nodes: 6, runtimeClasses: 2 });
  });

  it('a multi-document file', async () => {
    const path = await file(
      'multi.yaml',
      [
        '---',
        'apiVersion: v1\nkind: Node\nmetadata: { name: a }',
        '---',
        '# just a comment',
        '---',
        'apiVersion: v1\nkind: Node\nmetadata: { name: b }',
        '---',
        'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: { name: spin }\nhandler: spin',
        '---',
      ].join('\n'),
    );
    const { state, summary } = await loadSnapshot(path);
    expect(summary).toEqual({ files: 1, nodes: 2, runtimeClasses: 1, pods: 0, ignored: 0 });
    expect(state.getNode('a')).toBeDefined();
    expect(state.getRuntimeClass('spin')?.nodeSelector).toBeUndefined();
    expect(state.status().detail).toBe('snapshot of 1 file');
  });

  it('a kind: List and a kind: NodeList', async () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - { apiVersion: v1, kind: Node, metadata: { name: l1 } }',
      '  - { apiVersion: node.k8s.io/v1, kind: RuntimeClass, metadata: { name: rc1 }, handler: wasmtime }',
      '---',
      'apiVersion: v1',
      'kind: NodeList',
      'items:',
      '  - { apiVersion: v1, kind: Node, metadata: { name: nl1, labels: { w: "yes" } } }',
      '  - { apiVersion: v1, kind: Node, metadata: { name: nl2 } }',
    ].join('\n');
    const { state, summary } = await loadSnapshot(await file('lists.yaml', text));
    expect(summary).toMatchObject({ nodes: 3, runtimeClasses: 1, ignored: 0 });
    expect([...state.nodesMatching({ w: 'yes' })].map((x) => x.name)).toEqual(['nl1']);
  });

  it('a nested List inside a List is flattened', () => {
    const objects = parseObjects(
      JSON.stringify({ kind: 'List', items: [{ kind: 'RuntimeClassList', items: [runtimeClassObject('a', 'spin')] }, nodeObject('n')] }),
      'x.json',
    );
    expect(objects).toHaveLength(2);
  });

  it('a JSON file (kubectl get -o json)', async () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        nodeObject('j1', { w: 'yes' }),
        nodeObject('j2', {}, { ready: false }),
        runtimeClassObject('wasm1', 'wasmtime', { w: 'yes' }),
      ],
    };
    const { state, summary } = await loadSnapshot(await file('state.json', JSON.stringify(list, null, 4)));
    expect(summary).toMatchObject({ files: 1, nodes: 2, runtimeClasses: 1 });
    expect(state.getNode('j2')?.ready).toBe(false);
    expect(state.getRuntimeClass('wasm1')?.nodeSelector).toEqual({ w: 'yes' });
  });

  it('a JSON file indented with tabs', async () => {
    const { summary } = await loadSnapshot(
      await file('tabs.json', JSON.stringify({ kind: 'List', items: [nodeObject('t1')] }, null, '\t')),
    );
    expect(summary.nodes).toBe(1);
  });

  it('a directory: only .yaml/.yml/.json files, hidden entries skipped, subdirectories read', async () => {
    const d = join(dir, 'tree');
    await mkdir(join(d, 'sub'), { recursive: true });
    await mkdir(join(d, '.hidden'), { recursive: true });
    await writeFile(join(d, 'a.yaml'), 'kind: Node\nmetadata: { name: a }\n');
    await writeFile(join(d, 'b.yml'), 'kind: Node\nmetadata: { name: b }\n');
    await writeFile(join(d, 'sub', 'c.json'), JSON.stringify(nodeObject('c')));
    await writeFile(join(d, 'README.md'), 'kind: Node\nmetadata: { name: readme }\n');
    await writeFile(join(d, '.secret.yaml'), 'kind: Node\nmetadata: { name: hidden }\n');
    await writeFile(join(d, '.hidden', 'x.yaml'), 'kind: Node\nmetadata: { name: hidden2 }\n');
    const { state, summary } = await loadSnapshot(d);
    expect(summary.files).toBe(3);
    expect(summary.nodes).toBe(3);
    expect(state.getNode('readme')).toBeUndefined();
    expect(state.getNode('hidden')).toBeUndefined();
    expect(state.getNode('hidden2')).toBeUndefined();
  });

  it('invalid YAML → SnapshotError naming the file', async () => {
    const path = await file('broken.yaml', 'kind: Node\nmetadata: { name: a\n  labels: [\n');
    const err = await rejection(loadSnapshot(path));
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toContain(path);
    expect(err.message).toContain('not valid YAML');
  });

  it('invalid YAML in the second document is found too', async () => {
    const path = await file('second.yaml', 'kind: Node\nmetadata: { name: a }\n---\nkind: Node\nmetadata: {{{\n');
    const err = await rejection(loadSnapshot(path));
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toContain(path);
  });

  it('a missing path → SnapshotError naming it', async () => {
    const path = join(dir, 'does-not-exist');
    const err = await rejection(loadSnapshot(path));
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toContain(path);
    expect(err.message).toContain('does not exist');
  });

  it('a Node without a name → SnapshotError naming the file', async () => {
    const path = await file('noname.yaml', 'apiVersion: v1\nkind: Node\nmetadata: { labels: { a: b } }\n');
    const err = await rejection(loadSnapshot(path));
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toBe(`${path}: a Node has no metadata.name`);
  });

  it('a RuntimeClass without a handler → SnapshotError naming the file', async () => {
    const path = await file('nohandler.yaml', 'kind: RuntimeClass\nmetadata: { name: x }\n');
    const err = await rejection(loadSnapshot(path));
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toBe(`${path}: a RuntimeClass has no metadata.name or no handler`);
  });

  it('a RuntimeClass without a name → SnapshotError naming the file', async () => {
    const path = await file('rc-noname.yaml', 'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {}\nhandler: spin\n');
    const err = await rejection(loadSnapshot(path));
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toBe(`${path}: a RuntimeClass has no metadata.name or no handler`);
  });

  it('in a directory, the error names the bad file, not its neighbours or the snapshot as a whole', async () => {
    const d = join(dir, 'bad-tree');
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'a-good.yaml'), 'kind: Node\nmetadata: { name: a }\n');
    await writeFile(join(d, 'b-bad.yaml'), 'kind: Node\nmetadata: { name: b }\n---\nkind: Node\nmetadata: { labels: { x: y } }\n');
    await writeFile(join(d, 'c-good.yaml'), 'kind: Node\nmetadata: { name: c }\n');
    const err = await rejection(loadSnapshot(d));
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toBe(`${join(d, 'b-bad.yaml')}: a Node has no metadata.name`);
    expect(err.message).not.toContain('a-good');
    expect(err.message).not.toContain('snapshot of');
  });

  it('a nameless Node inside a List in a JSON file: the file is named', async () => {
    const bad = nodeObject('x');
    delete (bad['metadata'] as Record<string, unknown>)['name'];
    const path = await file('list.json', JSON.stringify({ kind: 'List', items: [nodeObject('ok'), bad] }));
    const err = await rejection(loadSnapshot(path));
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toBe(`${path}: a Node has no metadata.name`);
  });

  it('stateFromObjects (no file to name) still refuses a nameless Node, naming its detail', () => {
    expect(() => stateFromObjects([{ kind: 'Node', metadata: {} }], 'test objects')).toThrow(
      new SnapshotError('test objects: a Node has no metadata.name'),
    );
  });

  it('unknown kinds are ignored and counted', async () => {
    const text = [
      'apiVersion: v1\nkind: Namespace\nmetadata: { name: apps }',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }',
      'just a string',
      '- a\n- list',
      'apiVersion: v1\nkind: Node\nmetadata: { name: n1 }',
    ].join('\n---\n');
    const { state, summary } = await loadSnapshot(await file('mixed.yaml', text));
    expect(summary).toEqual({ files: 1, nodes: 1, runtimeClasses: 0, pods: 0, ignored: 4 });
    expect(state.nodeCount()).toBe(1);
  });

  it('Pods are counted into podsUsingRuntimeClass; terminal pods are not', async () => {
    const text = [
      podYaml('a', 'wasm1'),
      podYaml('b', 'wasm1', 'Running', 'other'),
      podYaml('c', 'wasm1', 'Pending'),
      podYaml('done', 'wasm1', 'Succeeded'),
      podYaml('crashed', 'wasm1', 'Failed'),
      podYaml('spin', 'wasmtime-spin-v2', 'Running'),
      podYaml('plain', undefined, 'Running'),
    ].join('\n---\n');
    const { state, summary } = await loadSnapshot(['examples/cluster', await file('pods.yaml', text)]);
    expect(summary).toMatchObject({ files: 3, pods: 7, nodes: 6, runtimeClasses: 2 });
    expect(state.podsUsingRuntimeClass('wasm1')).toBe(3);
    expect(state.podsUsingRuntimeClass('wasmtime-spin-v2')).toBe(1);
    expect(state.podsUsingRuntimeClass('other')).toBe(0);
  });

  it('the same pod listed twice counts once (last one wins)', () => {
    const pod = (phase: string) => ({
      kind: 'Pod',
      metadata: { name: 'a', namespace: 'ns' },
      spec: { runtimeClassName: 'wasm1' },
      status: { phase },
    });
    const { state } = stateFromObjects([pod('Running'), pod('Running')], 'test');
    expect(state.podsUsingRuntimeClass('wasm1')).toBe(1);
    const { state: s2 } = stateFromObjects([pod('Running'), pod('Succeeded')], 'test');
    expect(s2.podsUsingRuntimeClass('wasm1')).toBe(0);
  });

  it('an empty file → an empty, synced state', async () => {
    const { state, summary } = await loadSnapshot(await file('empty.yaml', ''));
    expect(summary).toEqual({ files: 1, nodes: 0, runtimeClasses: 0, pods: 0, ignored: 0 });
    expect(state.status().synced).toBe(true);
  });
});
