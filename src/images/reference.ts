/**
 * Container image references, parsed and normalised the way the container runtime does
 * (distribution/reference's grammar and its Docker normalisation): `nginx` is
 * `docker.io/library/nginx:latest`, `index.docker.io` is `docker.io`, a first component with a
 * `.` or `:`, or `localhost`, or an upper-case letter, is a registry host.
 *
 * Written here rather than taken from npm: the JavaScript ports found (docker-parse-image,
 * parse-docker-image-name, @swimlane/docker-reference) are unmaintained or do not normalise
 * Docker Hub names; the grammar is small and the tests pin it (test/unit/images-reference.test.ts).
 */

export interface ImageReference {
  /** registry host[:port] as written, Docker Hub normalised to docker.io */
  registry: string;
  /** repository path, e.g. library/nginx */
  repository: string;
  /** tag; `latest` when neither tag nor digest is given */
  tag?: string;
  /** algorithm:hex, when pinned; the runtime pulls by digest when both are given */
  digest?: string;
  /** the normalised reference, e.g. docker.io/library/nginx:latest */
  canonical: string;
}

export class ReferenceError extends Error {}

export const DOCKER_HUB = 'docker.io';
const LEGACY_HUB = 'index.docker.io';

// distribution/reference's regular expressions
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = new RegExp(`^${ALNUM}(?:${SEPARATOR}${ALNUM})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const KNOWN_DIGESTS: Record<string, RegExp> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };
const MAX_NAME = 255;

/** The API host for a registry name: Docker Hub's is registry-1.docker.io. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

export function isDigest(s: string): boolean {
  if (!DIGEST.test(s)) return false;
  const [alg, hex] = s.split(':') as [string, string];
  const known = KNOWN_DIGESTS[alg];
  return known === undefined ? false : known.test(hex);
}

/** Parse and normalise an image reference; throws ReferenceError saying what is wrong. */
export function parseReference(input: string): ImageReference {
  const text = input.trim();
  if (text === '') throw new ReferenceError('the image reference is empty');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw new ReferenceError(`${JSON.stringify(input)}: ${JSON.stringify(digest)} is not a sha256 or sha512 digest`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ReferenceError(`${JSON.stringify(input)}: invalid tag ${JSON.stringify(tag)}`);
  }
  if (rest === '') throw new ReferenceError(`${JSON.stringify(input)}: no repository name`);

  let registry = DOCKER_HUB;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      if (!DOMAIN.test(first)) throw new ReferenceError(`${JSON.stringify(input)}: invalid registry host ${JSON.stringify(first)}`);
      registry = first === LEGACY_HUB ? DOCKER_HUB : first;
      path = rest.slice(slash + 1);
    }
  }
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  const components = path.split('/');
  for (const c of components) {
    if (!PATH_COMPONENT.test(c)) {
      const why = c.toLowerCase() !== c ? 'repository names must be lowercase' : 'invalid repository name component';
      throw new ReferenceError(`${JSON.stringify(input)}: ${why} (${JSON.stringify(c)})`);
    }
  }
  const name = `${registry}/${path}`;
  if (name.length > MAX_NAME)
    throw new ReferenceError(`${JSON.stringify(input)}: the repository name is longer than ${MAX_NAME} characters`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  const canonical = `${name}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  return { registry, repository: path, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }), canonical };
}

/** What to ask the registry for: the digest when pinned, else the tag. */
export function manifestRef(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}
