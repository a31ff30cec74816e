/** node doctor: one table per check, facts in memory. */
import { describe, expect, it } from 'vitest';
import { configReadable } from '../../../src/node/checks/config-readable.js';
import { handlerUnused } from '../../../src/node/checks/handler-unused.js';
import { nodeInCluster } from '../../../src/node/checks/node-in-cluster.js';
import { reservedLabels } from '../../../src/node/checks/reserved-label-keys.js';
import { runtimeClassHandlerMissing } from '../../../src/node/checks/runtimeclass-handler-missing.js';
import { runtimeIgnoredPath } from '../../../src/node/checks/runtime-ignored-path.js';
import { shimMissing } from '../../../src/node/checks/shim-missing.js';
import { shimUnregistered } from '../../../src/node/checks/shim-unregistered.js';
import type { NodeCheck } from '../../../src/node/checks/types.js';
import { doctorExitCode, runDoctor } from '../../../src/node/doctor.js';
import { config, node, runtimeClass } from '../../harness/fixtures.js';
import { factsOf, shim, table, V2_WASMTIME, type FactOpts } from './helpers.js';

const W = { 'wasmtime-enabled': 'yes' };
const GRPC = 'io.containerd.grpc.v1.cri';
const RUNTIME = 'io.containerd.cri.v1.runtime';
const WT = 'io.containerd.wasmtime.v1';
const WASM_SHIMS = [shim('containerd-shim-wasmtime-v1'), shim('containerd-shim-runc-v2', '/usr/bin')];

interface Case {
  name: string;
  check: NodeCheck;
  text: string | undefined;
  o?: FactOpts;
  /** substrings, one per expected finding */
  expect: string[];
}

const cases: Case[] = [
  // config-readable
  { name: 'no file', check: configReadable, text: undefined, expect: ['does not exist'] },
  { name: 'not TOML', check: configReadable, text: 'version = 2\n[plugins\n', expect: ['is not valid TOML at line 2'] },
  { name: 'unknown version', check: configReadable, text: 'version = 9\n', expect: ['version = 9, which no containerd release reads'] },
  { name: 'good file', check: configReadable, text: V2_WASMTIME, expect: [] },
  { name: "no version key is containerd's version 1, not an error", check: configReadable, text: 'a = 1\n', expect: [] },
  // runtime-ignored-path
  {
    name: 'version 2, runtime at version 3 path',
    check: runtimeIgnoredPath,
    text: table(2, RUNTIME, { wasmtime: WT }),
    expect: ['containerd 1.x ignores it'],
  },
  {
    name: 'version 2, runtime at version 1 path',
    check: runtimeIgnoredPath,
    text: table(2, 'cri', { wasmtime: WT }),
    expect: ['every containerd release ignores it in a version 2 file'],
  },
  {
    name: 'version 3, runtime at version 2 path',
    check: runtimeIgnoredPath,
    text: table(3, GRPC, { wasmtime: WT }),
    expect: ['containerd 2.0-2.2 ignore it'],
  },
  {
    name: 'version 4, runtime at version 2 path',
    check: runtimeIgnoredPath,
    text: table(4, GRPC, { wasmtime: WT, spin: 'io.containerd.spin.v2' }),
    expect: ['runtime spin', 'runtime wasmtime'],
  },
  {
    name: 'no version key, runtime at version 2 path',
    check: runtimeIgnoredPath,
    text: table(2, GRPC, { wasmtime: WT }).replace('version = 2\n', ''),
    expect: ['version 1: it has no version key'],
  },
  { name: 'version 1 at its own path', check: runtimeIgnoredPath, text: table(1, 'cri', { wasmtime: WT }), expect: [] },
  { name: 'version 4 at its own path', check: runtimeIgnoredPath, text: table(4, RUNTIME, { wasmtime: WT }), expect: [] },
  // shim-missing
  { name: 'shim on PATH', check: shimMissing, text: V2_WASMTIME, o: { shims: WASM_SHIMS }, expect: [] },
  {
    name: 'shim nowhere',
    check: shimMissing,
    text: V2_WASMTIME,
    o: { shims: [shim('containerd-shim-runc-v2', '/usr/bin')] },
    expect: ['containerd-shim-wasmtime-v1 is in none of the 6 directories'],
  },
  {
    name: 'shim not executable',
    check: shimMissing,
    text: V2_WASMTIME,
    o: { shims: [shim('containerd-shim-wasmtime-v1', '/usr/local/bin', false), shim('containerd-shim-runc-v2', '/usr/bin')] },
    expect: ['chmod +x /usr/local/bin/containerd-shim-wasmtime-v1'],
  },
  {
    name: 'absolute runtime_type missing',
    check: shimMissing,
    text: table(2, GRPC, { x: '/opt/x/containerd-shim-x-v1' }),
    expect: ['there is no file at that path'],
  },
  {
    name: 'absolute runtime_type present',
    check: shimMissing,
    text: table(2, GRPC, { x: '/opt/x/containerd-shim-x-v1' }),
    o: { shims: [shim('containerd-shim-x-v1', '/opt/x')] },
    expect: [],
  },
  {
    name: 'runtime_type without a dot',
    check: shimMissing,
    text: table(2, GRPC, { x: 'wasmtime' }),
    expect: ['cannot derive a shim binary name'],
  },
  { name: "ignored runtimes are runtime-ignored-path's", check: shimMissing, text: table(3, GRPC, { wasmtime: WT }), expect: [] },
  // shim-unregistered
  {
    name: 'spin installed, not registered',
    check: shimUnregistered,
    text: V2_WASMTIME,
    o: { shims: [...WASM_SHIMS, shim('containerd-shim-spin-v2')] },
    expect: ['containerd-shim-spin-v2 is installed in /usr/local/bin'],
  },
  {
    name: 'unknown shim installed',
    check: shimUnregistered,
    text: V2_WASMTIME,
    o: { shims: [...WASM_SHIMS, shim('containerd-shim-foo-v3', '/usr/bin')] },
    expect: ['--runtime foo=io.containerd.foo.v3'],
  },
  {
    name: "runc shims are containerd's own",
    check: shimUnregistered,
    text: 'version = 2\n',
    o: {
      shims: [
        shim('containerd-shim-runc-v1', '/usr/bin'),
        shim('containerd-shim-runc-v2', '/usr/bin'),
        shim('containerd-shim', '/usr/bin'),
      ],
    },
    expect: [],
  },
  { name: 'all registered', check: shimUnregistered, text: V2_WASMTIME, o: { shims: WASM_SHIMS }, expect: [] },
  // node-in-cluster
  { name: 'node found', check: nodeInCluster, text: V2_WASMTIME, o: { cluster: { node: node('wasm-1', W) } }, expect: [] },
  {
    name: 'node missing',
    check: nodeInCluster,
    text: V2_WASMTIME,
    o: { cluster: { nodeName: 'wasm-9' } },
    expect: ['Node wasm-9 is not in the cluster state'],
  },
  // runtimeclass-handler-missing
  {
    name: 'node labelled, handler registered',
    check: runtimeClassHandlerMissing,
    text: V2_WASMTIME,
    o: { cluster: { node: node('wasm-1', W), classes: [runtimeClass('wasm1', 'wasmtime', W)] } },
    expect: [],
  },
  {
    name: 'node labelled, handler missing',
    check: runtimeClassHandlerMissing,
    text: table(2, GRPC, { runc: 'io.containerd.runc.v2' }),
    o: { cluster: { node: node('wasm-1', W), classes: [runtimeClass('wasm1', 'wasmtime', W)] } },
    expect: ['kubectl label nodes wasm-1 wasmtime-enabled-'],
  },
  {
    name: 'node labelled, handler under an ignored path',
    check: runtimeClassHandlerMissing,
    text: table(4, GRPC, { wasmtime: WT }),
    o: { cluster: { node: node('wasm-1', W), classes: [runtimeClass('wasm1', 'wasmtime', W)] } },
    expect: ['only under plugins."io.containerd.grpc.v1.cri"'],
  },
  {
    name: 'node not labelled',
    check: runtimeClassHandlerMissing,
    text: 'version = 2\n',
    o: { cluster: { node: node('plain-1'), classes: [runtimeClass('wasm1', 'wasmtime', W)] } },
    expect: [],
  },
  {
    name: 'Wasm class without selector',
    check: runtimeClassHandlerMissing,
    text: 'version = 2\n',
    o: { cluster: { node: node('plain-1'), classes: [runtimeClass('spin', 'spin')] } },
    expect: ['has no scheduling.nodeSelector'],
  },
  {
    name: 'non-Wasm class without selector',
    check: runtimeClassHandlerMissing,
    text: 'version = 2\n',
    o: { cluster: { node: node('plain-1'), classes: [runtimeClass('gvisor', 'runsc')] } },
    expect: [],
  },
  {
    name: 'no config file: only built-in runc',
    check: runtimeClassHandlerMissing,
    text: undefined,
    o: { cluster: { node: node('wasm-1', W), classes: [runtimeClass('wasm1', 'wasmtime', W)] } },
    expect: ['does not exist'],
  },
  // handler-unused
  {
    name: 'handler used',
    check: handlerUnused,
    text: V2_WASMTIME,
    o: { cluster: { node: node('wasm-1', W), classes: [runtimeClass('wasm1', 'wasmtime', W)] } },
    expect: [],
  },
  {
    name: 'handler unused (runc is the default runtime, not reported)',
    check: handlerUnused,
    text: V2_WASMTIME,
    o: { cluster: { node: node('wasm-1', W), classes: [] } },
    expect: ['no RuntimeClass in the cluster state (1 file) has handler wasmtime (there are none)'],
  },
  // reserved-label-keys (admission's rule)
  {
    name: 'class for this node selects by a reserved label',
    check: reservedLabels,
    text: V2_WASMTIME,
    o: {
      cluster: {
        node: node('wasm-1', { 'kubernetes.io/wasm': 'yes' }),
        classes: [runtimeClass('wasm1', 'wasmtime', { 'kubernetes.io/wasm': 'yes' })],
      },
    },
    expect: ['RuntimeClass wasm1 selects nodes in scheduling.nodeSelector by label kubernetes.io/wasm'],
  },
  {
    name: 'allowlisted in wasmgate config',
    check: reservedLabels,
    text: V2_WASMTIME,
    o: {
      cluster: {
        node: node('wasm-1', { 'kubernetes.io/wasm': 'yes' }),
        classes: [runtimeClass('wasm1', 'wasmtime', { 'kubernetes.io/wasm': 'yes' })],
        config: config({ reservedLabelAllowlist: ['kubernetes.io/wasm'] }),
      },
    },
    expect: [],
  },
  {
    name: 'kubelet label',
    check: reservedLabels,
    text: V2_WASMTIME,
    o: { cluster: { node: node('wasm-1'), classes: [runtimeClass('wasm1', 'wasmtime', { 'kubernetes.io/arch': 'amd64' })] } },
    expect: [],
  },
  {
    name: 'class unrelated to this node',
    check: reservedLabels,
    text: V2_WASMTIME,
    o: { cluster: { node: node('wasm-1'), classes: [runtimeClass('s', 'spin', { 'k8s.io/spin': 'yes' })] } },
    expect: [],
  },
];

describe('node doctor checks', () => {
  it.each(cases)('$check.id: $name', ({ check, text, o, expect: want }) => {
    const found = check.run(factsOf(text, o));
    expect(found).toHaveLength(want.length);
    for (const [i, s] of want.entries()) expect(found[i]).toContain(s);
    for (const f of found) {
      expect(f).toMatch(/ Fix: .+\.$/);
    }
  });

  it('every check has a table case that fires and one that does not', () => {
    for (const c of new Set(cases.map((x) => x.check))) {
      expect(
        cases.some((x) => x.check === c && x.expect.length > 0),
        c.id,
      ).toBe(true);
      expect(
        cases.some((x) => x.check === c && x.expect.length === 0),
        c.id,
      ).toBe(true);
    }
  });
});

describe('runDoctor', () => {
  it('runs the cluster checks only with a cluster, and exits 1 on findings, 0 without', () => {
    const clean = runDoctor(factsOf(V2_WASMTIME, { shims: WASM_SHIMS }));
    expect(clean.findings).toEqual([]);
    expect(doctorExitCode(clean)).toBe(0);
    const dirty = runDoctor(factsOf(V2_WASMTIME, { shims: WASM_SHIMS, cluster: { node: node('wasm-1', W), classes: [] } }));
    expect(dirty.findings.map((f) => f.check)).toEqual(['handler-unused']);
    expect(doctorExitCode(dirty)).toBe(1);
  });

  it('the admission rule decides reserved labels: the doctor follows it', async () => {
    const { reservedLabelKeys } = await import('../../../src/rules/reserved-label-keys.js');
    const rc = runtimeClass('wasm1', 'wasmtime', { 'example.k8s.io/wasm': 'yes' });
    const facts = factsOf(V2_WASMTIME, { shims: WASM_SHIMS, cluster: { node: node('wasm-1'), classes: [rc] } });
    expect(reservedLabels.run(facts)).toEqual(reservedLabelKeys.checks.RuntimeClass!.CREATE!(rc, facts.cluster!.ctx));
  });
});

describe('doctor summary', () => {
  it('names imports it does not read', () => {
    const report = runDoctor(factsOf('version = 2\nimports = ["/etc/containerd/conf.d/*.toml"]\n'));
    expect(report.summary).toContain('imports: /etc/containerd/conf.d/*.toml (not read: runtimes registered there are not seen)');
  });
});
