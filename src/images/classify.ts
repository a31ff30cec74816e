/**
 * What kind of image is this? Pure functions over a manifest, its config and the classes of an
 * index's children. No I/O: the registry client fetches, this decides.
 *
 * Recognised, in this order (a Spin app's config also says wasip1/wasm, so Spin comes first):
 * - Spin app: a layer (Spin 2+, `spin registry push`) or the config (Spin 1) with media type
 *   application/vnd.fermyon.spin.application.v1+config (Spin's crates/oci client).
 * - Wasm OCI artifact: config media type application/vnd.wasm.config.v0+json, with application/wasm
 *   or application/vnd.wasm.content.layer.v1+wasm layers (runwasi, wkg, wash, oras).
 * - wasi/wasm image: an ordinary image config with os wasip1, wasip2 or wasi and architecture
 *   wasm (`docker buildx --platform wasi/wasm`).
 * - anything else with an image config: its os/architecture, e.g. linux/amd64 ("linux").
 */

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  wasmConfig: 'application/vnd.wasm.config.v0+json',
  wasmLayer: 'application/wasm',
  wasmContentLayer: 'application/vnd.wasm.content.layer.v1+wasm',
  spinApp: 'application/vnd.fermyon.spin.application.v1+config',
} as const;

/** Accept header for manifests: both OCI and Docker forms, image and index. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

export const WASM_OS = new Set(['wasip1', 'wasip2', 'wasi']);

export type ImageKind = 'wasi-image' | 'wasm-artifact' | 'spin-app' | 'mixed-index' | 'linux' | 'other';

export interface Classification {
  kind: ImageKind;
  /** what was recognised, for the audit annotation: "config os wasip1, architecture wasm" */
  evidence: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string };
  annotations?: Record<string, string>;
}

export interface Manifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  artifactType?: string;
}

export interface Index {
  mediaType: string;
  manifests: Descriptor[];
}

export class ManifestError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObj(v) || typeof v['mediaType'] !== 'string' || typeof v['digest'] !== 'string' || typeof v['size'] !== 'number') {
    throw new ManifestError(`${where} is not a descriptor (mediaType, digest, size)`);
  }
  const d: Descriptor = { mediaType: v['mediaType'], digest: v['digest'], size: v['size'] };
  const p = v['platform'];
  if (isObj(p) && typeof p['os'] === 'string' && typeof p['architecture'] === 'string')
    d.platform = { os: p['os'], architecture: p['architecture'] };
  const a = v['annotations'];
  if (isObj(a)) d.annotations = Object.fromEntries(Object.entries(a).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return d;
}

/**
 * Parse a manifest or index body. The media type comes from the body, else from the response's
 * Content-Type (Docker schema 2 bodies carry it; OCI bodies may omit it).
 */
export function parseManifestBody(body: unknown, contentType: string | undefined): { index: Index } | { manifest: Manifest } {
  if (!isObj(body)) throw new ManifestError('the manifest is not a JSON object');
  const declared = typeof body['mediaType'] === 'string' ? body['mediaType'] : (contentType ?? '').split(';')[0]!.trim();
  if (Array.isArray(body['manifests'])) {
    if (declared !== '' && declared !== MEDIA.ociIndex && declared !== MEDIA.dockerList)
      throw new ManifestError(`an index with media type ${declared}`);
    return {
      index: { mediaType: declared || MEDIA.ociIndex, manifests: body['manifests'].map((m, i) => descriptor(m, `manifests[${i}]`)) },
    };
  }
  if (body['schemaVersion'] === 1) throw new ManifestError('a Docker schema 1 manifest (deprecated, not supported)');
  if (!Array.isArray(body['layers'])) throw new ManifestError('the manifest has neither layers nor manifests');
  const manifest: Manifest = {
    mediaType: declared || MEDIA.ociManifest,
    config: descriptor(body['config'], 'config'),
    layers: body['layers'].map((l, i) => descriptor(l, `layers[${i}]`)),
  };
  if (typeof body['artifactType'] === 'string') manifest.artifactType = body['artifactType'];
  return { manifest };
}

/** Classify from the manifest alone when its media types say enough; undefined: the config is needed. */
export function classifyByMediaTypes(m: Manifest): Classification | undefined {
  const spinLayer = m.layers.some((l) => l.mediaType === MEDIA.spinApp);
  if (spinLayer || m.config.mediaType === MEDIA.spinApp) {
    const where = spinLayer ? 'a layer' : 'the config';
    const wasmLayers = m.layers.filter((l) => l.mediaType === MEDIA.wasmContentLayer || l.mediaType === MEDIA.wasmLayer).length;
    return {
      kind: 'spin-app',
      evidence: `Spin application (${where} of media type ${MEDIA.spinApp}; ${wasmLayers} Wasm component layer${wasmLayers === 1 ? '' : 's'})`,
    };
  }
  if (m.config.mediaType === MEDIA.wasmConfig) {
    const wasm = m.layers.filter((l) => l.mediaType === MEDIA.wasmLayer || l.mediaType === MEDIA.wasmContentLayer);
    if (wasm.length === 0) return { kind: 'other', evidence: `config media type ${MEDIA.wasmConfig} but no application/wasm layer` };
    const types = [...new Set(wasm.map((l) => l.mediaType))].join(', ');
    return {
      kind: 'wasm-artifact',
      evidence: `Wasm OCI artifact (config media type ${MEDIA.wasmConfig}, ${wasm.length} layer${wasm.length === 1 ? '' : 's'} ${types})`,
    };
  }
  if (m.config.mediaType === MEDIA.ociConfig || m.config.mediaType === MEDIA.dockerConfig) return undefined;
  return { kind: 'other', evidence: `an OCI artifact with config media type ${m.config.mediaType}` };
}

/** Classify an image config (os / architecture). */
export function classifyConfig(config: unknown): Classification {
  if (!isObj(config)) throw new ManifestError('the image config is not a JSON object');
  const os = typeof config['os'] === 'string' ? config['os'] : '';
  const arch = typeof config['architecture'] === 'string' ? config['architecture'] : '';
  return classifyPlatform(os, arch, 'config');
}

export function classifyPlatform(os: string, arch: string, where: 'config' | 'platform'): Classification {
  if (WASM_OS.has(os) && arch === 'wasm') return { kind: 'wasi-image', evidence: `wasi/wasm image (${where} os ${os}, architecture wasm)` };
  if (os === 'linux') return { kind: 'linux', evidence: `${where} os linux, architecture ${arch || '(none)'}` };
  return { kind: 'other', evidence: `${where} os ${os || '(none)'}, architecture ${arch || '(none)'}` };
}

export const WASM_KINDS: ReadonlySet<ImageKind> = new Set(['wasi-image', 'wasm-artifact', 'spin-app']);

/** Attestation and other non-runnable entries of an index (buildx adds unknown/unknown ones). */
export function isRunnableEntry(d: Descriptor): boolean {
  if (d.annotations?.['vnd.docker.reference.type'] !== undefined) return false;
  if (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown') return false;
  return true;
}

/** An index: all children Wasm of one kind → that kind; Linux and Wasm together → mixed; else Linux/other. */
export function classifyIndex(children: Classification[]): Classification {
  const wasm = children.filter((c) => WASM_KINDS.has(c.kind));
  const rest = children.filter((c) => !WASM_KINDS.has(c.kind));
  if (wasm.length === 0) {
    const linux = rest.some((c) => c.kind === 'linux');
    return {
      kind: linux ? 'linux' : 'other',
      evidence: `image index of ${children.length} manifest${children.length === 1 ? '' : 's'}, none Wasm`,
    };
  }
  if (rest.length > 0) {
    const what = [...new Set(rest.map((c) => c.evidence.replace(/^config |^platform /, '')))].join('; ');
    return {
      kind: 'mixed-index',
      evidence: `image index with ${wasm.length} Wasm and ${rest.length} non-Wasm manifest${rest.length === 1 ? '' : 's'} (${what}): the node's runtime picks the platform, so no Wasm RuntimeClass is chosen for it`,
    };
  }
  const kinds = [...new Set(wasm.map((c) => c.kind))];
  if (kinds.includes('spin-app') && kinds.length > 1) {
    return {
      kind: 'mixed-index',
      evidence: `image index mixing a Spin application with other Wasm manifests: they need different handlers`,
    };
  }
  return {
    kind: wasm[0]!.kind,
    evidence: `image index of ${wasm.length} Wasm manifest${wasm.length === 1 ? '' : 's'}: ${wasm[0]!.evidence}`,
  };
}
