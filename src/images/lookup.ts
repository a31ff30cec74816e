/**
 * One image lookup: the manifest (or index) a reference names, then what it takes to classify it —
 * an index's runnable manifests (bounded), an image config when media types do not say enough.
 * Network errors propagate as RegistryError; classification is in classify.ts.
 */
import {
  ManifestError,
  classifyByMediaTypes,
  classifyConfig,
  classifyIndex,
  classifyPlatform,
  isRunnableEntry,
  parseManifestBody,
  type Classification,
  type Manifest,
} from './classify.js';
import { MAX_CONFIG_BYTES, type RegistryClient, type Repo } from './client.js';
import type { Credential } from './credentials.js';
import { RegistryError } from './http.js';

/** Index entries looked at; a larger index is classified by its first ones and says so. */
export const MAX_INDEX_MANIFESTS = 16;

export interface LookupResult {
  digest: string;
  classification: Classification;
}

export interface LookupDeps {
  client: RegistryClient;
  /** results already known by digest (index children share them) */
  byDigest: (digest: string) => Classification | undefined;
  remember: (digest: string, c: Classification) => void;
}

function invalid(err: unknown): never {
  if (err instanceof ManifestError) throw new RegistryError('invalid', err.message);
  throw err;
}

async function classifyManifest(
  deps: LookupDeps,
  repo: Repo,
  m: Manifest,
  cred: Credential | undefined,
  signal: AbortSignal,
): Promise<Classification> {
  const byTypes = classifyByMediaTypes(m);
  if (byTypes !== undefined) return byTypes;
  if (m.config.size > MAX_CONFIG_BYTES)
    throw new RegistryError('too-large', `image config ${m.config.digest} is ${m.config.size} bytes, more than ${MAX_CONFIG_BYTES}`);
  const blob = await deps.client.blob(repo, m.config.digest, MAX_CONFIG_BYTES, cred, signal);
  try {
    return classifyConfig(JSON.parse(blob.toString('utf8')));
  } catch (err) {
    if (err instanceof SyntaxError) throw new RegistryError('invalid', `image config ${m.config.digest} is not JSON`);
    return invalid(err);
  }
}

export async function lookup(
  deps: LookupDeps,
  repo: Repo,
  ref: string,
  cred: Credential | undefined,
  signal: AbortSignal,
): Promise<LookupResult> {
  const top = await deps.client.manifest(repo, ref, cred, signal);
  const known = deps.byDigest(top.digest);
  if (known !== undefined) return { digest: top.digest, classification: known };
  let parsed: ReturnType<typeof parseManifestBody>;
  try {
    parsed = parseManifestBody(top.body, top.contentType);
  } catch (err) {
    return invalid(err);
  }
  if ('manifest' in parsed) {
    const c = await classifyManifest(deps, repo, parsed.manifest, cred, signal);
    deps.remember(top.digest, c);
    return { digest: top.digest, classification: c };
  }
  const entries = parsed.index.manifests.filter(isRunnableEntry);
  if (entries.length === 0) throw new RegistryError('invalid', `image index ${top.digest} lists no runnable manifest`);
  const children = await Promise.all(
    entries.slice(0, MAX_INDEX_MANIFESTS).map(async (d): Promise<Classification> => {
      // a Linux platform is Linux whatever the manifest holds: no need to fetch it
      if (d.platform !== undefined && d.platform.os === 'linux')
        return classifyPlatform(d.platform.os, d.platform.architecture, 'platform');
      const cached = deps.byDigest(d.digest);
      if (cached !== undefined) return cached;
      const child = await deps.client.manifest(repo, d.digest, cred, signal);
      let p: ReturnType<typeof parseManifestBody>;
      try {
        p = parseManifestBody(child.body, child.contentType);
      } catch (err) {
        return invalid(err);
      }
      if (!('manifest' in p)) throw new RegistryError('invalid', `image index ${top.digest} nests another index (${d.digest})`);
      const c = await classifyManifest(deps, repo, p.manifest, cred, signal);
      deps.remember(d.digest, c);
      return c;
    }),
  );
  const c = classifyIndex(children);
  const result =
    entries.length > MAX_INDEX_MANIFESTS
      ? { ...c, evidence: `${c.evidence} (first ${MAX_INDEX_MANIFESTS} of ${entries.length} entries)` }
      : c;
  deps.remember(top.digest, result);
  return { digest: top.digest, classification: result };
}
