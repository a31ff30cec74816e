/**
 * Golden files for image detection's messages: the audit annotation and the denial text that
 * imageIntent produces for every outcome. Regenerate with
 *   npx vitest run test/unit/images-golden.test.ts -u
 * and read every changed file in test/golden/ before committing it.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/config.js';
import type { ImageFact, ImageFacts } from '../../src/images/facts.js';
import { IMAGE_DETECTION, imageIntent, type ImageIntent } from '../../src/images/intent.js';
import { BUDGET_EXCEEDED } from '../../src/images/resolver.js';

const D1 = `sha256:${'1f'.repeat(32)}`;
const D2 = `sha256:${'2e'.repeat(32)}`;
const D3 = `sha256:${'3d'.repeat(32)}`;

const cfg = (extra: Record<string, unknown> = {}): Config =>
  parseConfig({ imageDetection: { enabled: true, registries: ['registry.example:5443'], ...extra } });

function fact(
  container: string,
  kind: Extract<ImageFact, { status: 'classified' }>['kind'],
  reference: string,
  digest: string,
  evidence: string,
  init = false,
): ImageFact {
  return { status: 'classified', container, init, image: reference, reference, digest, kind, evidence };
}
const wasi = (c = 'app', d = D1) =>
  fact(c, 'wasi-image', 'registry.example:5443/wasm/hello:v1', d, 'wasi/wasm image (config os wasip1, architecture wasm)');
const artifact = (c = 'app') =>
  fact(
    c,
    'wasm-artifact',
    'registry.example:5443/wasm/artifact:v1',
    D2,
    'Wasm OCI artifact (config media type application/vnd.wasm.config.v0+json, 1 layer application/wasm)',
  );
const spin = (c = 'app') =>
  fact(
    c,
    'spin-app',
    'registry.example:5443/spin/hello:v1',
    D3,
    'Spin application (a layer of media type application/vnd.fermyon.spin.application.v1+config; 1 Wasm component layer)',
  );
const linux = (c = 'sidecar', init = false) =>
  fact(c, 'linux', 'docker.io/library/nginx:1.27', D2, 'config os linux, architecture amd64', init);
const mixed = (c = 'app') =>
  fact(
    c,
    'mixed-index',
    'registry.example:5443/multi/hello:v1',
    D3,
    "image index with 1 Wasm and 1 non-Wasm manifest (os linux, architecture amd64): the node's runtime picks the platform, so no Wasm RuntimeClass is chosen for it",
  );
const unknown = (c: string, reason: string, image = 'registry.example:5443/wasm/slow:v1'): ImageFact => ({
  status: 'unknown',
  container: c,
  init: false,
  image,
  reference: image,
  reason,
});

const pod = (images: ImageFact[]): ImageFacts => ({ subject: 'Pod apps/hello', specPath: 'spec', images });
const deployment = (images: ImageFact[]): ImageFacts => ({ subject: 'Deployment apps/web', specPath: 'spec.template.spec', images });

function render(i: ImageIntent): string {
  const lines = [`family: ${i.family}`];
  if (i.family === 'wasmtime-compatible' || i.family === 'spin')
    lines.push(`runtimeClass: ${i.runtimeClass || '(by handler)'}`, `handlers: ${i.handlers.join(', ')}`);
  if (i.family === 'mixed-denial') lines.push(`message: ${i.denial}`);
  if (i.audit !== undefined) lines.push(`audit ${IMAGE_DETECTION}: ${i.audit}`);
  return `${lines.join('\n')}\n`;
}

interface Case {
  name: string;
  facts: ImageFacts;
  config?: Config;
  family: ImageIntent['family'];
  audit: boolean;
}

const cases: Case[] = [
  { name: 'wasi-image', facts: pod([wasi()]), family: 'wasmtime-compatible', audit: true },
  {
    name: 'wasm-artifact-configured-class',
    facts: deployment([artifact()]),
    config: cfg({ classes: { wasm: 'wasm1' } }),
    family: 'wasmtime-compatible',
    audit: true,
  },
  { name: 'wasm-two-containers', facts: pod([wasi('app'), artifact('helper')]), family: 'wasmtime-compatible', audit: true },
  { name: 'spin-app', facts: pod([spin()]), family: 'spin', audit: true },
  { name: 'mixed-index', facts: pod([mixed()]), family: 'none', audit: true },
  { name: 'linux-untouched', facts: pod([linux('web')]), family: 'none', audit: false },
  { name: 'mixed-pod-denied', facts: pod([wasi('app'), linux('sidecar')]), family: 'mixed-denial', audit: true },
  { name: 'mixed-pod-init-container-denied', facts: deployment([linux('setup', true), spin('app')]), family: 'mixed-denial', audit: true },
  { name: 'mixed-pod-with-mixed-index-denied', facts: pod([wasi('app'), mixed('multi')]), family: 'mixed-denial', audit: true },
  { name: 'wasm-and-spin', facts: pod([wasi('app'), spin('spin')]), family: 'none', audit: true },
  { name: 'budget-exceeded', facts: pod([unknown('app', BUDGET_EXCEEDED)]), family: 'none', audit: true },
  {
    name: 'not-allowlisted',
    facts: pod([
      unknown('app', 'registry evil.example is not in imageDetection.registries (no request was sent)', 'evil.example/x:latest'),
    ]),
    family: 'none',
    audit: true,
  },
  {
    name: 'wasm-and-unknown',
    facts: pod([wasi('app'), unknown('sidecar', 'registry.example:5443 is unreachable: ECONNREFUSED')]),
    family: 'none',
    audit: true,
  },
];

describe('image detection: every message shape (golden files)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const intent = imageIntent(c.facts, c.config ?? cfg());
      expect(intent.family).toBe(c.family);
      expect(intent.audit !== undefined).toBe(c.audit);
      await expect(render(intent)).toMatchFileSnapshot(`../golden/image-detection-${c.name}.txt`);
    });
  }
});

describe('imageIntent: facts that are not in the messages', () => {
  it('no images → none', () => {
    expect(imageIntent(pod([]), cfg())).toEqual({ family: 'none' });
  });
  it('handlers and classes come from the config', () => {
    const i = imageIntent(pod([spin()]), cfg({ classes: { spin: 'wasmtime-spin-v2' }, handlers: { spin: ['spin'] } }));
    expect(i).toMatchObject({ family: 'spin', runtimeClass: 'wasmtime-spin-v2', handlers: ['spin'] });
  });
  it('the annotation named in the fix follows annotations.runtime', () => {
    const c = parseConfig({ annotations: { runtime: 'example.com/wasm' }, imageDetection: { enabled: true, registries: ['r.io'] } });
    const i = imageIntent(pod([wasi('app'), linux('sidecar')]), c);
    expect(i.family === 'mixed-denial' && i.denial).toContain(
      'name the RuntimeClass in the example.com/wasm annotation or set spec.runtimeClassName',
    );
  });
});
