import { describe, expect, it } from 'vitest';
import {
  MEDIA,
  ManifestError,
  classifyByMediaTypes,
  classifyConfig,
  classifyIndex,
  isRunnableEntry,
  parseManifestBody,
  type Manifest,
} from '../../../src/images/classify.js';

const d = (mediaType: string, n = 1) => ({ mediaType, digest: `sha256:${String(n).repeat(64).slice(0, 64)}`, size: 10 });
const manifest = (config: string, layers: string[]): Manifest => ({
  mediaType: MEDIA.ociManifest,
  config: d(config),
  layers: layers.map((l, i) => d(l, i + 2)),
});

describe('classifyByMediaTypes', () => {
  it('Spin 2+ (spin registry push): image config wasip1/wasm plus a locked-app layer → spin-app, before any config read', () => {
    const c = classifyByMediaTypes(
      manifest(MEDIA.ociConfig, [MEDIA.wasmContentLayer, 'application/vnd.wasm.content.layer.v1+data', MEDIA.spinApp]),
    );
    expect(c?.kind).toBe('spin-app');
    expect(c?.evidence).toBe(
      'Spin application (a layer of media type application/vnd.fermyon.spin.application.v1+config; 1 Wasm component layer)',
    );
  });
  it('Spin 1: the locked app as the config → spin-app', () => {
    expect(classifyByMediaTypes(manifest(MEDIA.spinApp, [MEDIA.wasmContentLayer, MEDIA.wasmContentLayer]))?.evidence).toMatch(
      /the config of media type .*2 Wasm component layers/,
    );
  });
  it.each([[MEDIA.wasmLayer], [MEDIA.wasmContentLayer]])('Wasm artifact with %s layers', (layer) => {
    const c = classifyByMediaTypes(manifest(MEDIA.wasmConfig, [layer]));
    expect(c).toEqual({ kind: 'wasm-artifact', evidence: `Wasm OCI artifact (config media type ${MEDIA.wasmConfig}, 1 layer ${layer})` });
  });
  it('a Wasm config with no Wasm layer is not runnable as Wasm', () => {
    expect(classifyByMediaTypes(manifest(MEDIA.wasmConfig, ['application/octet-stream']))?.kind).toBe('other');
  });
  it.each([[MEDIA.ociConfig], [MEDIA.dockerConfig]])('an image config (%s) needs reading', (config) => {
    expect(classifyByMediaTypes(manifest(config, [MEDIA.ociConfig]))).toBeUndefined();
  });
  it('another artifact (e.g. a Helm chart) is other', () => {
    expect(
      classifyByMediaTypes(manifest('application/vnd.cncf.helm.config.v1+json', ['application/vnd.cncf.helm.chart.content.v1.tar+gzip']))
        ?.kind,
    ).toBe('other');
  });
});

describe('classifyConfig', () => {
  it.each([
    [{ os: 'wasip1', architecture: 'wasm' }, 'wasi-image'],
    [{ os: 'wasip2', architecture: 'wasm' }, 'wasi-image'],
    [{ os: 'wasi', architecture: 'wasm' }, 'wasi-image'],
    [{ os: 'linux', architecture: 'amd64' }, 'linux'],
    [{ os: 'linux', architecture: 'wasm' }, 'linux'],
    [{ os: 'wasip1', architecture: 'amd64' }, 'other'],
    [{ os: 'windows', architecture: 'amd64' }, 'other'],
    [{}, 'other'],
  ])('%j → %s', (config, kind) => {
    expect(classifyConfig(config).kind).toBe(kind);
  });
  it('says what it saw', () => {
    expect(classifyConfig({ os: 'wasip1', architecture: 'wasm' }).evidence).toBe('wasi/wasm image (config os wasip1, architecture wasm)');
    expect(classifyConfig({ os: 'linux', architecture: 'arm64' }).evidence).toBe('config os linux, architecture arm64');
  });
  it('rejects a config that is not an object', () => {
    expect(() => classifyConfig([])).toThrow(ManifestError);
  });
});

describe('classifyIndex', () => {
  const wasi = { kind: 'wasi-image' as const, evidence: 'wasi/wasm image (config os wasip1, architecture wasm)' };
  const linux = { kind: 'linux' as const, evidence: 'platform os linux, architecture amd64' };
  const spin = { kind: 'spin-app' as const, evidence: 'Spin application (…)' };
  it('all Wasm → that kind', () => {
    expect(classifyIndex([wasi]).kind).toBe('wasi-image');
    expect(classifyIndex([spin, spin]).kind).toBe('spin-app');
  });
  it('Linux and Wasm → mixed-index, saying why', () => {
    const c = classifyIndex([linux, wasi]);
    expect(c.kind).toBe('mixed-index');
    expect(c.evidence).toBe(
      "image index with 1 Wasm and 1 non-Wasm manifest (os linux, architecture amd64): the node's runtime picks the platform, so no Wasm RuntimeClass is chosen for it",
    );
  });
  it('Spin and plain Wasm → mixed-index', () => {
    expect(classifyIndex([spin, wasi]).kind).toBe('mixed-index');
  });
  it('only Linux → linux', () => {
    expect(classifyIndex([linux, linux]).kind).toBe('linux');
  });
  it('skips attestation entries', () => {
    expect(isRunnableEntry({ ...d(MEDIA.ociManifest), platform: { os: 'unknown', architecture: 'unknown' } })).toBe(false);
    expect(isRunnableEntry({ ...d(MEDIA.ociManifest), annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } })).toBe(false);
    expect(isRunnableEntry({ ...d(MEDIA.ociManifest), platform: { os: 'wasip1', architecture: 'wasm' } })).toBe(true);
  });
});

describe('parseManifestBody', () => {
  it('an OCI index, a Docker list (media type from Content-Type), a manifest', () => {
    expect(
      'index' in parseManifestBody({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [d(MEDIA.ociManifest)] }, undefined),
    ).toBe(true);
    const list = parseManifestBody({ schemaVersion: 2, manifests: [] }, `${MEDIA.dockerList}; charset=utf-8`);
    expect('index' in list && list.index.mediaType).toBe(MEDIA.dockerList);
    const m = parseManifestBody(
      { schemaVersion: 2, config: d(MEDIA.wasmConfig), layers: [d(MEDIA.wasmLayer, 2)], artifactType: 'x' },
      undefined,
    );
    expect('manifest' in m && m.manifest.config.mediaType).toBe(MEDIA.wasmConfig);
  });
  it.each([
    [null, /not a JSON object/],
    [{ schemaVersion: 1, fsLayers: [] }, /schema 1/],
    [{ schemaVersion: 2 }, /neither layers nor manifests/],
    [{ schemaVersion: 2, config: { mediaType: 'x' }, layers: [] }, /config is not a descriptor/],
    [{ schemaVersion: 2, config: d(MEDIA.ociConfig), layers: [{}] }, /layers\[0\] is not a descriptor/],
    [{ mediaType: MEDIA.ociManifest, manifests: [] }, /an index with media type/],
  ])('rejects %j', (body, why) => {
    expect(() => parseManifestBody(body, undefined)).toThrow(why);
  });
});
