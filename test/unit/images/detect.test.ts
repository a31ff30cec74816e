import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';
import { detectImages, needsDetection, subjectOf, type DetectionTarget } from '../../../src/images/detect.js';
import { containerImages, pullSecretNames } from '../../../src/images/facts.js';
import { ImageResolver } from '../../../src/images/resolver.js';

const on = parseConfig({ imageDetection: { enabled: true, registries: ['r.example'] } });
const target = (over: Partial<DetectionTarget> = {}): DetectionTarget => ({
  kind: 'Pod',
  namespace: 'apps',
  name: 'hello',
  spec: { containers: [{ name: 'app', image: 'r.example/wasm/hello:v1' }] },
  annotations: {},
  specPath: 'spec',
  ...over,
});

describe('needsDetection', () => {
  it.each([
    ['detection off', target(), parseConfig(undefined), false],
    ['no marker, no runtimeClassName', target(), on, true],
    ['runtimeClassName set', target({ spec: { runtimeClassName: 'wasm1', containers: [] } }), on, false],
    ['empty runtimeClassName', target({ spec: { runtimeClassName: '', containers: [] } }), on, true],
    ['the runtime annotation', target({ annotations: { 'wasmgate.dev/runtime': 'auto' } }), on, false],
    ["crun's marker", target({ annotations: { 'module.wasm.image/variant': 'compat' } }), on, false],
  ])('%s → %s', (_why, t, config, expected) => {
    expect(needsDetection(t, config)).toBe(expected);
  });
});

describe('pod spec helpers', () => {
  it('images: init containers first, entries without an image skipped', () => {
    expect(
      containerImages({ containers: [{ name: 'a', image: 'x' }, { name: 'b' }, 'junk'], initContainers: [{ name: 'i', image: 'y' }] }),
    ).toEqual([
      { container: 'i', init: true, image: 'y' },
      { container: 'a', init: false, image: 'x' },
    ]);
    expect(containerImages({ containers: 'nope' })).toEqual([]);
  });
  it('pull secrets', () => {
    expect(pullSecretNames({ imagePullSecrets: [{ name: 'a' }, {}, { name: '' }, 'x'] })).toEqual(['a']);
  });
  it('subject', () => {
    expect(subjectOf(target())).toBe('Pod apps/hello');
    expect(subjectOf(target({ kind: 'Deployment', name: undefined }))).toBe('Deployment apps/(generated name)');
  });
});

describe('detectImages', () => {
  it('a registry outside the allowlist: facts say why, no request, no throw', async () => {
    const resolver = new ImageResolver({ config: on.imageDetection, metrics: new Registry() });
    const facts = await detectImages(target({ spec: { containers: [{ name: 'app', image: 'other.example/x:1' }] } }), on, resolver);
    expect(facts).toEqual({
      subject: 'Pod apps/hello',
      specPath: 'spec',
      images: [
        {
          status: 'unknown',
          container: 'app',
          init: false,
          image: 'other.example/x:1',
          reference: 'other.example/x:1',
          reason: 'registry other.example is not in imageDetection.registries (no request was sent)',
        },
      ],
    });
  });
  it("an invalid reference is unknown with the parser's reason", async () => {
    const resolver = new ImageResolver({ config: on.imageDetection, metrics: new Registry() });
    const facts = await detectImages(target({ spec: { containers: [{ name: 'app', image: 'Bad/Name' }] } }), on, resolver);
    expect(facts?.images[0]).toMatchObject({ status: 'unknown', reason: '"Bad/Name": repository names must be lowercase ("Name")' });
  });
  it('nothing to do for an annotated pod or a pod without images', async () => {
    const resolver = new ImageResolver({ config: on.imageDetection, metrics: new Registry() });
    expect(await detectImages(target({ annotations: { 'wasmgate.dev/runtime': 'auto' } }), on, resolver)).toBeUndefined();
    expect(await detectImages(target({ spec: { containers: [] } }), on, resolver)).toBeUndefined();
  });
});
