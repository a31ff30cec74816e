/**
 * mutate() with image detection's facts: every branch of the image path (none, none with audit,
 * mixed denial, wasmtime-compatible, spin; configured class, ranking by handler, none fits, not
 * synced), and the facts ignored when the pod says what it is. The exact texts are golden files.
 */
import { describe, expect, it } from 'vitest';
import type { MemoryState } from '../../../src/cluster/memory-state.js';
import { parseConfig, type Config } from '../../../src/config/config.js';
import { mutate, type EngineResult } from '../../../src/decide/engine.js';
import type { ImageFact, ImageFacts } from '../../../src/images/facts.js';
import { deploymentObject, node, podObject, request, runtimeClass, seedCluster, stateOf } from '../../harness/fixtures.js';
import { unsyncedState } from '../helpers.js';

const D1 = `sha256:${'1f'.repeat(32)}`;
const D2 = `sha256:${'2e'.repeat(32)}`;
const D3 = `sha256:${'3d'.repeat(32)}`;
const REG = 'registry.example:5443';

const cfg = (extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Config =>
  parseConfig({ ...top, imageDetection: { enabled: true, registries: [REG], ...extra } });

function fact(
  container: string,
  kind: Extract<ImageFact, { status: 'classified' }>['kind'],
  repo: string,
  digest: string,
  evidence: string,
): ImageFact {
  const reference = `${REG}/${repo}`;
  return { status: 'classified', container, init: false, image: reference, reference, digest, kind, evidence };
}
const wasi = (c = 'app') => fact(c, 'wasi-image', 'wasm/image:v1', D1, 'wasi/wasm image (config os wasip1, architecture wasm)');
const spin = (c = 'app') =>
  fact(
    c,
    'spin-app',
    'spin/hello:v1',
    D3,
    'Spin application (a layer of media type application/vnd.fermyon.spin.application.v1+config; 1 Wasm component layer)',
  );
const linux = (c = 'sidecar') => fact(c, 'linux', 'plain/linux:v1', D2, 'config os linux, architecture amd64');
const mixedIndex = (c = 'app') =>
  fact(
    c,
    'mixed-index',
    'multi/hello:v1',
    D3,
    "image index with 1 Wasm and 1 non-Wasm manifest (os linux, architecture amd64): the node's runtime picks the platform, so no Wasm RuntimeClass is chosen for it",
  );
const unknown = (c = 'app'): ImageFact => ({
  status: 'unknown',
  container: c,
  init: false,
  image: `${REG}/wasm/slow:v1`,
  reference: `${REG}/wasm/slow:v1`,
  reason: 'budget exceeded',
});

const podFacts = (images: ImageFact[]): ImageFacts => ({ subject: 'Pod apps/hello', specPath: 'spec', images });
const pod = (annotations?: Record<string, string>, spec: Record<string, unknown> = {}) =>
  podObject({ name: 'hello', namespace: 'apps', spec, ...(annotations ? { annotations } : {}) });

const W = { 'wasmtime-enabled': 'yes' };
/** 300 containers: over limits.containers (256 by default) */
const crowded = (annotations?: Record<string, string>) =>
  pod(annotations, { containers: Array.from({ length: 300 }, (_, i) => ({ name: `c${i}`, image: `${REG}/wasm/c${i}:v1` })) });

interface Case {
  name: string;
  state: () => MemoryState;
  config?: Config;
  obj?: Record<string, unknown>;
  /** undefined: not looked up (the HTTP layer skips a pod over an input cap) */
  facts: ImageFacts | undefined;
  /** expected runtimeClassName patched in, or null for no patch */
  patched: string | null;
  allowed?: boolean;
  /** the audit annotation keys present */
  audit: string[];
  /** write a golden file for this case */
  golden?: boolean;
}

const cases: Case[] = [
  { name: 'linux image: untouched, no annotation', state: seedCluster, facts: podFacts([linux('web')]), patched: null, audit: [] },
  {
    name: 'mixed index: untouched, audit says why',
    state: seedCluster,
    facts: podFacts([mixedIndex()]),
    patched: null,
    audit: ['image-detection'],
  },
  {
    name: 'budget exceeded: untouched, audit says why',
    state: seedCluster,
    facts: podFacts([unknown()]),
    patched: null,
    audit: ['image-detection'],
  },
  {
    name: 'mixed-pod-denied',
    state: seedCluster,
    facts: podFacts([wasi('app'), linux('sidecar')]),
    patched: null,
    allowed: false,
    audit: ['image-detection'],
    golden: true,
  },
  {
    name: 'wasi-only-class-by-handler',
    state: seedCluster,
    facts: podFacts([wasi()]),
    patched: 'wasm1',
    audit: ['image-detection', 'runtimeclass-choice'],
    golden: true,
  },
  {
    name: 'spin-only-class-by-handler',
    state: seedCluster,
    facts: podFacts([spin()]),
    patched: 'wasmtime-spin-v2',
    audit: ['image-detection', 'runtimeclass-choice'],
    golden: true,
  },
  {
    name: 'wasi-configured-class',
    state: () => stateOf([node('w', W)], [runtimeClass('wasm1', 'wasmtime', W), runtimeClass('wasm2', 'wasmtime', W)]),
    config: cfg({ classes: { wasm: 'wasm2' } }),
    facts: podFacts([wasi()]),
    patched: 'wasm2',
    audit: ['image-detection', 'runtimeclass-choice'],
    golden: true,
  },
  {
    name: 'wasi-configured-class-missing',
    state: seedCluster,
    config: cfg({ classes: { wasm: 'wasm9' } }),
    facts: podFacts([wasi()]),
    patched: 'wasm1',
    audit: ['image-detection', 'runtimeclass-choice'],
    golden: true,
  },
  {
    name: 'spin-configured-class-wrong-handler',
    state: seedCluster,
    config: cfg({ classes: { spin: 'wasm1' } }),
    facts: podFacts([spin()]),
    patched: 'wasmtime-spin-v2',
    audit: ['image-detection', 'runtimeclass-choice'],
    golden: true,
  },
  {
    name: 'wasi-usable-nodes-first',
    state: () =>
      stateOf(
        [node('w', W)],
        [runtimeClass('a-nowhere', 'wasmedge', { 'wasmedge-enabled': 'yes' }), runtimeClass('b-wasm', 'wasmtime', W)],
      ),
    facts: podFacts([wasi()]),
    patched: 'b-wasm',
    audit: ['image-detection', 'runtimeclass-choice'],
    golden: true,
  },
  {
    name: 'wasi-default-among-usable',
    state: () => stateOf([node('w', W)], [runtimeClass('a-wasm', 'wasmtime', W), runtimeClass('b-wasm', 'wasmer', W)]),
    config: cfg({}, { defaultRuntimeClass: 'b-wasm' }),
    facts: podFacts([wasi()]),
    patched: 'b-wasm',
    audit: ['image-detection', 'runtimeclass-choice'],
  },
  {
    name: 'wasi-first-by-name-among-usable',
    state: () =>
      stateOf(
        [node('w', W)],
        [runtimeClass('b-wasm', 'wasmer', W), runtimeClass('a-wasm', 'wasmtime', W), runtimeClass('c-spin', 'spin', W)],
      ),
    facts: podFacts([wasi()]),
    patched: 'a-wasm',
    audit: ['image-detection', 'runtimeclass-choice'],
  },
  {
    name: 'spin-none-fits',
    state: () => stateOf([node('w', W)], [runtimeClass('wasm1', 'wasmtime', W)]),
    facts: podFacts([spin()]),
    patched: null,
    audit: ['image-detection', 'runtimeclass-choice'],
    golden: true,
  },
  {
    name: 'wasi-not-synced',
    state: () => unsyncedState() as MemoryState,
    facts: podFacts([wasi()]),
    patched: null,
    audit: ['image-detection', 'runtimeclass-choice'],
  },
  {
    name: 'annotated pod: facts ignored, the annotation decides',
    state: seedCluster,
    obj: pod({ 'wasmgate.dev/runtime': 'spin' }),
    facts: podFacts([wasi()]),
    patched: 'wasmtime-spin-v2',
    audit: ['runtimeclass-choice'],
  },
  {
    name: "crun's marker: facts ignored",
    state: seedCluster,
    config: cfg({}, { defaultRuntimeClass: 'wasm1' }),
    obj: pod({ 'module.wasm.image/variant': 'compat' }),
    facts: podFacts([spin()]),
    patched: 'wasm1',
    audit: ['runtimeclass-choice'],
  },
  {
    name: 'over-cap-not-looked-up',
    state: seedCluster,
    obj: crowded(),
    facts: undefined,
    patched: null,
    audit: ['image-detection'],
    golden: true,
  },
  {
    name: 'over a cap: facts passed anyway are ignored',
    state: seedCluster,
    obj: crowded(),
    facts: podFacts([wasi()]),
    patched: null,
    audit: ['image-detection'],
  },
  {
    name: 'over a cap with detection off: no annotation',
    state: seedCluster,
    config: parseConfig({}),
    obj: crowded(),
    facts: undefined,
    patched: null,
    audit: [],
  },
  {
    name: 'over a cap, annotated: the annotation path reports the cap as before',
    state: seedCluster,
    obj: crowded({ 'wasmgate.dev/runtime': 'wasm1' }),
    facts: undefined,
    patched: null,
    audit: ['runtimeclass-choice'],
  },
  {
    name: 'runtimeClassName runc set: facts ignored',
    state: () => stateOf([node('p')], [runtimeClass('runc', 'runc')]),
    obj: pod(undefined, { runtimeClassName: 'runc' }),
    facts: podFacts([wasi()]),
    patched: null,
    audit: [],
  },
];

function patchedClass(r: EngineResult): string | null {
  if (r.patch === undefined) return null;
  expect(r.patch).toHaveLength(1);
  return (r.patch[0] as { value: string }).value;
}

function render(r: EngineResult): string {
  const lines = [r.allowed ? 'ALLOWED' : 'DENIED'];
  if (r.message !== undefined) lines.push(`message: ${r.message}`);
  if (r.patch !== undefined) lines.push(`patch: ${JSON.stringify(r.patch)}`);
  for (const [k, v] of Object.entries(r.auditAnnotations)) lines.push(`audit ${k}: ${v}`);
  return `${lines.join('\n')}\n`;
}

describe('mutate with image facts', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = mutate(request(c.obj ?? pod()), c.state(), c.config ?? cfg(), c.facts);
      expect(r.errors).toEqual([]);
      expect(r.allowed).toBe(c.allowed ?? true);
      expect(patchedClass(r)).toBe(c.patched);
      expect(Object.keys(r.auditAnnotations).sort()).toEqual([...c.audit].sort());
      if (c.golden === true) await expect(render(r)).toMatchFileSnapshot(`../../golden/image-detection-mutate-${c.name}.txt`);
    });
  }

  it('a Deployment: the template gets the class, the audit names the Deployment', () => {
    const facts: ImageFacts = { subject: 'Deployment apps/hello', specPath: 'spec.template.spec', images: [spin()] };
    const r = mutate(request(deploymentObject({ name: 'hello', namespace: 'apps' })), seedCluster(), cfg(), facts);
    expect(r.patch).toEqual([{ op: 'add', path: '/spec/template/spec/runtimeClassName', value: 'wasmtime-spin-v2' }]);
    expect(r.auditAnnotations['image-detection']).toMatch(/^Deployment apps\/hello has no runtimeClassName/);
    expect(r.auditAnnotations['runtimeclass-choice']).toBe('wasmtime-spin-v2: the only RuntimeClass with a handler among spin, spin-v2');
  });

  it('the mixed denial is the intent text, prefixed with [image-detection]', () => {
    const r = mutate(request(pod()), seedCluster(), cfg(), podFacts([wasi('app'), linux('sidecar')]));
    expect(r.message).toMatch(/^\[image-detection\] Pod apps\/hello mixes Wasm and non-Wasm containers: /);
  });

  it('without facts (detection off), a plain pod is left alone', () => {
    const r = mutate(request(pod()), seedCluster(), cfg());
    expect(r).toMatchObject({ allowed: true, auditAnnotations: {}, findings: [], errors: [] });
    expect(r.patch).toBeUndefined();
  });
});
