/**
 * Golden files for `wasmgate node ...`: every doctor finding shape, every refusal of `node config`
 * and `node runtimeclass`, and what they print. Regenerate with
 *   npx vitest run test/unit/node-golden.test.ts -u
 * and read every changed file in test/golden/node-{doctor,config,runtimeclass}-*.txt before committing it.
 */
import { describe, expect, it } from 'vitest';
import { NODE_CHECKS } from '../../src/node/checks/index.js';
import { configFragment, mergeConfig, type MergeOptions } from '../../src/node/config-gen.js';
import { parseRuntimeArg } from '../../src/node/containerd.js';
import { formatDoctor, runDoctor } from '../../src/node/doctor.js';
import { reservedLabelProblems, runtimeClassYaml, type RuntimeClassRequest } from '../../src/node/runtimeclass.js';
import { config, node, runtimeClass } from '../harness/fixtures.js';
import { factsOf, shim, table, V2_WASMTIME, type FactOpts } from './node/helpers.js';

const W = { 'wasmtime-enabled': 'yes' };
const GRPC = 'io.containerd.grpc.v1.cri';
const WT = 'io.containerd.wasmtime.v1';
const SHIMS = [shim('containerd-shim-wasmtime-v1'), shim('containerd-shim-runc-v2', '/usr/bin')];

/** One finding of one check, rendered as doctor prints it. */
function finding(id: string, text: string | undefined, o: FactOpts = {}): string {
  const check = NODE_CHECKS.find((c) => c.id === id)!;
  const found = check.run(factsOf(text, o));
  expect(found).toHaveLength(1);
  return `[${id}] ${found[0]}\n`;
}

function refusal(text: string, opts: MergeOptions = {}): string {
  try {
    mergeConfig(text, '/etc/containerd/config.toml', [parseRuntimeArg('wasmtime')], opts);
  } catch (err) {
    return `wasmgate node config: ${(err as Error).message}\n`;
  }
  throw new Error('merge did not refuse');
}

const RC: RuntimeClassRequest = {
  name: 'wasmtime',
  handler: 'wasmtime',
  labels: W,
  tolerations: [{ key: 'wasm', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
};

const cases: [string, () => string][] = [
  // doctor findings
  ['node-doctor-config-readable-missing', () => finding('config-readable', undefined)],
  ['node-doctor-config-readable-invalid-toml', () => finding('config-readable', 'version = 2\n[plugins\n')],
  ['node-doctor-config-readable-bad-version', () => finding('config-readable', 'version = 9\n')],
  ['node-doctor-runtime-ignored-path-v4-grpc', () => finding('runtime-ignored-path', table(4, GRPC, { wasmtime: WT }))],
  ['node-doctor-runtime-ignored-path-v3-grpc', () => finding('runtime-ignored-path', table(3, GRPC, { wasmtime: WT }))],
  [
    'node-doctor-runtime-ignored-path-v2-runtime',
    () => finding('runtime-ignored-path', table(2, 'io.containerd.cri.v1.runtime', { wasmtime: WT })),
  ],
  ['node-doctor-runtime-ignored-path-v2-cri', () => finding('runtime-ignored-path', table(2, 'cri', { spin: 'io.containerd.spin.v2' }))],
  [
    'node-doctor-runtime-ignored-path-no-version',
    () => finding('runtime-ignored-path', table(2, GRPC, { wasmtime: WT }).replace('version = 2\n', '')),
  ],
  ['node-doctor-shim-missing', () => finding('shim-missing', V2_WASMTIME, { shims: [shim('containerd-shim-runc-v2', '/usr/bin')] })],
  [
    'node-doctor-shim-missing-not-executable',
    () =>
      finding('shim-missing', V2_WASMTIME, {
        shims: [shim('containerd-shim-wasmtime-v1', '/usr/local/bin', false), shim('containerd-shim-runc-v2', '/usr/bin')],
      }),
  ],
  ['node-doctor-shim-missing-absolute', () => finding('shim-missing', table(2, GRPC, { x: '/opt/x/containerd-shim-x-v1' }))],
  ['node-doctor-shim-missing-no-binary-name', () => finding('shim-missing', table(2, GRPC, { x: 'wasmtime' }))],
  [
    'node-doctor-shim-unregistered',
    () => finding('shim-unregistered', V2_WASMTIME, { shims: [...SHIMS, shim('containerd-shim-spin-v2')] }),
  ],
  ['node-doctor-node-in-cluster', () => finding('node-in-cluster', V2_WASMTIME, { cluster: { nodeName: 'wasm-9' } })],
  [
    'node-doctor-runtimeclass-handler-missing',
    () =>
      finding('runtimeclass-handler-missing', table(2, GRPC, { runc: 'io.containerd.runc.v2' }), {
        cluster: { node: node('wasm-1', W), classes: [runtimeClass('wasm1', 'wasmtime', W)] },
      }),
  ],
  [
    'node-doctor-runtimeclass-handler-missing-ignored',
    () =>
      finding('runtimeclass-handler-missing', table(4, GRPC, { wasmtime: WT }), {
        cluster: { node: node('wasm-1', W), classes: [runtimeClass('wasm1', 'wasmtime', W)] },
      }),
  ],
  [
    'node-doctor-runtimeclass-handler-missing-no-selector',
    () =>
      finding('runtimeclass-handler-missing', 'version = 2\n', {
        cluster: { node: node('plain-1'), classes: [runtimeClass('spin', 'spin')] },
      }),
  ],
  [
    'node-doctor-runtimeclass-handler-missing-no-config',
    () =>
      finding('runtimeclass-handler-missing', undefined, {
        cluster: { node: node('wasm-1', W), classes: [runtimeClass('wasm1', 'wasmtime', W)] },
      }),
  ],
  [
    'node-doctor-handler-unused',
    () =>
      finding('handler-unused', V2_WASMTIME, {
        cluster: { node: node('wasm-1', W), classes: [runtimeClass('spin', 'spin', { 'spin-enabled': 'yes' })] },
      }),
  ],
  [
    'node-doctor-reserved-label-keys',
    () =>
      finding('reserved-label-keys', V2_WASMTIME, {
        cluster: {
          node: node('wasm-1', { 'kubernetes.io/wasm': 'yes' }),
          classes: [runtimeClass('wasm1', 'wasmtime', { 'kubernetes.io/wasm': 'yes' })],
        },
      }),
  ],
  // a whole report
  [
    'node-doctor-report',
    () =>
      formatDoctor(
        runDoctor(
          factsOf(table(4, GRPC, { wasmtime: WT }), {
            shims: [...SHIMS, shim('containerd-shim-spin-v2')],
            cluster: { node: node('wasm-1', W), classes: [runtimeClass('wasm1', 'wasmtime', W)], config: config() },
          }),
        ),
      ),
  ],
  ['node-doctor-report-clean', () => formatDoctor(runDoctor(factsOf(V2_WASMTIME, { shims: SHIMS })))],
  // node config: output and refusals
  ['node-config-fragment-v3', () => configFragment(3, [parseRuntimeArg('wasmtime'), parseRuntimeArg('spin')])],
  [
    'node-config-merge-v2',
    () =>
      mergeConfig('# node a-1\nversion = 2\n\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause:3.9"\n', 'config.toml', [
        parseRuntimeArg('wasmtime'),
      ]).text,
  ],
  ['node-config-refused-no-version', () => refusal('[plugins."io.containerd.grpc.v1.cri"]\n')],
  ['node-config-refused-bad-version', () => refusal('version = "2"\n')],
  ['node-config-refused-config-version', () => refusal('version = 2\n', { configVersion: 3 })],
  ['node-config-refused-release', () => refusal('version = 3\n', { release: '1.7' })],
  ['node-config-refused-exists', () => refusal(table(2, GRPC, { wasmtime: 'io.containerd.wasmtime.v2' }))],
  [
    'node-config-refused-inline',
    () =>
      refusal(
        'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\nruntimes = { runc = { runtime_type = "io.containerd.runc.v2" } }\n',
      ),
  ],
  [
    'node-config-note-ignored-copy',
    () =>
      `${mergeConfig(table(3, GRPC, { wasmtime: WT }), '/etc/containerd/config.toml', [parseRuntimeArg('wasmtime')]).notes.join('\n')}\n`,
  ],
  // node runtimeclass
  ['node-runtimeclass-yaml', () => runtimeClassYaml(RC)],
  [
    'node-runtimeclass-refused-reserved',
    () => `${reservedLabelProblems({ ...RC, labels: { 'kubernetes.io/wasm': 'yes' } }, config()).join('\n')}\n`,
  ],
];

describe('node golden messages', () => {
  it('case names are unique', () => {
    expect(new Set(cases.map(([n]) => n)).size).toBe(cases.length);
  });

  it.each(cases)('%s', async (name, render) => {
    await expect(render()).toMatchFileSnapshot(`../golden/${name}.txt`);
  });
});
