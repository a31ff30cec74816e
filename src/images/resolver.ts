/**
 * The resolver the HTTP layer calls BEFORE the pure decision: a pod's images → ImageFacts.
 *
 * - SSRF guard: a reference whose registry is not allowlisted is "unknown" without any
 *   connection; the client checks every URL again (token realms, redirects).
 * - Results by digest: bounded LRU, no expiry (content-addressed). Tag → digest: same bound,
 *   expires after imageDetection.tagTtlSeconds.
 * - Single-flight: concurrent lookups of one reference (with the same credentials) share one
 *   registry round trip. A lookup runs under its own hard timeout, not the caller's budget, so a
 *   request that gives up does not cancel it for others, and its result still lands in the cache.
 * - Budget: each call waits at most budgetMs (and its caller's signal); past that, the images not
 *   yet known are "unknown (budget exceeded)" and the pod is admitted unchanged.
 * - Backoff: a registry that failed to answer (a connection error, a timeout, or a lookup still
 *   running when a call's budget ran out) is not contacted for backoffSeconds, so that while it is
 *   down or hung each pod whose images are not cached is admitted at once rather than after
 *   budgetMs. Lookups already running go on, and are still joined; any answer from the registry,
 *   an error status included, ends the backoff. Errors from a token realm or a redirect host count
 *   against the image's registry, whose lookups they are part of.
 */
import type { Agent } from 'node:https';
import { LRUCache } from 'lru-cache';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ImageDetectionConfig } from '../config/config.js';
import { allowlist, type Allowlist } from './allowlist.js';
import type { Classification } from './classify.js';
import { RegistryClient } from './client.js';
import { CredentialSource, type SecretReader } from './credentials.js';
import type { ContainerImage, ImageFact } from './facts.js';
import { RegistryError, registryAgent } from './http.js';
import { lookup, type LookupResult } from './lookup.js';
import { DOCKER_HUB, ReferenceError, manifestRef, parseReference, type ImageReference } from './reference.js';

export const BUDGET_EXCEEDED = 'budget exceeded';

/** Registry hosts remembered as backing off at once (an allowlist with `*.domain` admits many). */
const BACKOFF_HOSTS = 1024;

export interface ResolverOptions {
  config: ImageDetectionConfig;
  /** prom-client registry the image metrics are registered on */
  metrics: Registry;
  /** reads dockerconfigjson Secrets; without it only anonymous and token-without-credentials access work */
  secrets?: SecretReader;
  /** PEM of extra CAs (the content of imageDetection.caFile) */
  ca?: string;
  /** a ready agent instead (tests, benchmarks) */
  agent?: Agent;
  /** hard limit of one registry lookup, independent of any request's budget */
  lookupTimeoutMs?: number;
}

export interface PodContext {
  namespace: string;
  /** the pod's imagePullSecrets; used only when allowPodPullSecrets is true */
  pullSecrets: string[];
}

interface ImageMetrics {
  lookups: Counter<'result'>;
  cacheHits: Counter<'cache'>;
  joined: Counter;
  errors: Counter<'code'>;
  budget: Counter;
  duration: Histogram;
}

function createImageMetrics(registry: Registry): ImageMetrics {
  const registers = [registry];
  return {
    lookups: new Counter({
      name: 'wasmgate_image_lookups_total',
      help: 'Registry lookups made (cache misses, once per single-flight group), by result (classified, error).',
      labelNames: ['result'] as const,
      registers,
    }),
    cacheHits: new Counter({
      name: 'wasmgate_image_cache_hits_total',
      help: 'Image resolutions answered from the cache, by cache (digest, tag).',
      labelNames: ['cache'] as const,
      registers,
    }),
    joined: new Counter({
      name: 'wasmgate_image_lookups_joined_total',
      help: 'Image resolutions that joined a lookup of the same reference already in flight.',
      registers,
    }),
    errors: new Counter({
      name: 'wasmgate_image_lookup_errors_total',
      help: 'Failed image resolutions, by code (not-allowed, auth, not-found, network, timeout, too-large, invalid, http, reference, credentials, backoff: not contacted, the registry failed to answer recently).',
      labelNames: ['code'] as const,
      registers,
    }),
    budget: new Counter({
      name: 'wasmgate_image_budget_exceeded_total',
      help: 'Admission requests whose image detection ran out of its time budget.',
      registers,
    }),
    duration: new Histogram({
      name: 'wasmgate_image_lookup_duration_seconds',
      help: 'Time of one registry lookup (manifest, index children, config).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}

function toFact(img: ContainerImage, outcome: Outcome): ImageFact {
  if (!outcome.ok) {
    return {
      status: 'unknown',
      container: img.container,
      init: img.init,
      image: img.image,
      ...(outcome.ref ? { reference: outcome.ref.canonical } : {}),
      reason: outcome.reason,
    };
  }
  const { classification, digest } = outcome.result;
  return {
    status: 'classified',
    container: img.container,
    init: img.init,
    image: img.image,
    reference: outcome.ref.canonical,
    digest,
    kind: classification.kind,
    evidence: classification.evidence,
  };
}

type Outcome = { ok: true; ref: ImageReference; result: LookupResult } | { ok: false; ref?: ImageReference; reason: string };

export class ImageResolver {
  private readonly allowed: Allowlist;
  private readonly client: RegistryClient;
  private readonly byDigest: LRUCache<string, Classification>;
  private readonly byTag: LRUCache<string, string> | undefined;
  private readonly inflight = new Map<string, Promise<Outcome>>();
  /** registry host → when it may be contacted again (ms since the epoch); expires by itself */
  private readonly backoff: LRUCache<string, number> | undefined;
  private readonly credentials: CredentialSource | undefined;
  private readonly m: ImageMetrics;
  private readonly lookupTimeoutMs: number;

  constructor(private readonly opts: ResolverOptions) {
    const c = opts.config;
    // docker.io names Docker Hub; its API host is registry-1.docker.io
    this.allowed = allowlist(c.registries.includes(DOCKER_HUB) ? [...c.registries, 'registry-1.docker.io'] : c.registries);
    this.client = new RegistryClient({ allowed: this.allowed, agent: opts.agent ?? registryAgent(opts.ca) });
    this.byDigest = new LRUCache({ max: c.cacheSize });
    this.byTag = c.tagTtlSeconds > 0 ? new LRUCache({ max: c.cacheSize, ttl: c.tagTtlSeconds * 1000 }) : undefined;
    this.backoff = c.backoffSeconds > 0 ? new LRUCache({ max: BACKOFF_HOSTS, ttl: c.backoffSeconds * 1000 }) : undefined;
    this.credentials = opts.secrets === undefined ? undefined : new CredentialSource(opts.secrets);
    this.m = createImageMetrics(opts.metrics);
    this.lookupTimeoutMs = opts.lookupTimeoutMs ?? 10_000;
  }

  /** Facts for each image, within the budget. Never throws. */
  async resolve(images: readonly ContainerImage[], pod: PodContext, signal?: AbortSignal): Promise<ImageFact[]> {
    const known = images.map((img) => this.known(img.image));
    if (known.every((k) => !('miss' in k))) return images.map((img, i) => toFact(img, known[i] as Outcome));
    const budget = AbortSignal.timeout(this.opts.config.budgetMs);
    const wait = signal === undefined ? budget : AbortSignal.any([budget, signal]);
    // one listener for the whole pod, however many images it has
    const gaveUp = new Promise<undefined>((resolve) => {
      if (wait.aborted) resolve(undefined);
      else wait.addEventListener('abort', () => resolve(undefined), { once: true });
    });
    let exceeded = false;
    const facts = await Promise.all(
      images.map(async (img, i): Promise<ImageFact> => {
        const k = known[i]!;
        if (!('miss' in k)) return toFact(img, k);
        const outcome = await Promise.race([this.fetch(k.miss, pod), gaveUp]);
        if (outcome === undefined) {
          exceeded = true;
          // the registry did not answer within the budget (not merely a caller that went away)
          if (budget.aborted) this.backOff(k.miss.registry);
          return {
            status: 'unknown',
            container: img.container,
            init: img.init,
            image: img.image,
            reference: k.miss.canonical,
            reason: BUDGET_EXCEEDED,
          };
        }
        return toFact(img, outcome);
      }),
    );
    if (exceeded) this.m.budget.inc();
    return facts;
  }

  private secretsFor(pod: PodContext): Array<{ namespace: string; name: string }> {
    const c = this.opts.config;
    const list = c.allowPodPullSecrets ? pod.pullSecrets.map((name) => ({ namespace: pod.namespace, name })) : [];
    if (c.credentialsSecret !== undefined) list.push(c.credentialsSecret);
    return list;
  }

  /**
   * What is known without the network: an invalid or not-allowlisted reference, or a cache hit.
   * Synchronous, so a pod whose images are all known costs no timer and no promise per image.
   */
  private known(image: string): Outcome | { miss: ImageReference } {
    let ref: ImageReference;
    try {
      ref = parseReference(image);
    } catch (err) {
      this.m.errors.inc({ code: 'reference' });
      return { ok: false, reason: err instanceof ReferenceError ? err.message : String(err) };
    }
    if (!this.allowed(ref.registry)) {
      this.m.errors.inc({ code: 'not-allowed' });
      return { ok: false, ref, reason: `registry ${ref.registry} is not in imageDetection.registries (no request was sent)` };
    }
    const digest = ref.digest ?? this.byTag?.get(ref.canonical);
    const classification = digest === undefined ? undefined : this.byDigest.get(digest);
    if (digest === undefined || classification === undefined) return { miss: ref };
    this.m.cacheHits.inc({ cache: ref.digest !== undefined ? 'digest' : 'tag' });
    return { ok: true, ref, result: { digest, classification } };
  }

  private backOff(registry: string): void {
    if (this.backoff !== undefined) this.backoff.set(registry, Date.now() + this.opts.config.backoffSeconds * 1000);
  }

  /** One image: cache, then single-flight lookup. Never rejects. */
  resolveOne(image: string, pod: PodContext): Promise<Outcome> {
    const k = this.known(image);
    return 'miss' in k ? this.fetch(k.miss, pod) : Promise.resolve(k);
  }

  private fetch(ref: ImageReference, pod: PodContext): Promise<Outcome> {
    const secrets = this.secretsFor(pod);
    const key = `${ref.canonical}|${secrets.map((s) => `${s.namespace}/${s.name}`).join(',')}`;
    const running = this.inflight.get(key);
    if (running !== undefined) {
      this.m.joined.inc();
      return running;
    }
    // a lookup already running is joined even while its registry is backed off: it may yet answer
    const until = this.backoff?.get(ref.registry);
    if (until !== undefined) {
      this.m.errors.inc({ code: 'backoff' });
      return Promise.resolve({
        ok: false,
        ref,
        reason: `lookups at registry ${ref.registry} got no answer recently (a connection error or a timeout), so it is not contacted until ${new Date(until).toISOString()} (imageDetection.backoffSeconds)`,
      });
    }
    const p = this.run(ref, secrets).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async run(ref: ImageReference, secrets: Array<{ namespace: string; name: string }>): Promise<Outcome> {
    const signal = AbortSignal.timeout(this.lookupTimeoutMs);
    const end = this.m.duration.startTimer();
    try {
      let cred;
      try {
        cred =
          this.credentials === undefined || secrets.length === 0
            ? undefined
            : await this.credentials.forRegistry(ref.registry, secrets, signal);
      } catch (err) {
        throw new RegistryError('auth', `registry credentials could not be read: ${(err as Error).message}`);
      }
      const result = await lookup(
        { client: this.client, byDigest: (d) => this.byDigest.get(d), remember: (d, c) => this.byDigest.set(d, c) },
        ref,
        manifestRef(ref),
        cred,
        signal,
      );
      if (ref.digest === undefined) this.byTag?.set(ref.canonical, result.digest);
      this.backoff?.delete(ref.registry);
      this.m.lookups.inc({ result: 'classified' });
      return { ok: true, ref, result };
    } catch (err) {
      const code = err instanceof RegistryError ? err.code : 'invalid';
      // no answer starts (or extends) the backoff; any answer, an error status included, ends it
      if (code === 'network' || code === 'timeout') this.backOff(ref.registry);
      else this.backoff?.delete(ref.registry);
      this.m.lookups.inc({ result: 'error' });
      this.m.errors.inc({ code });
      return { ok: false, ref, reason: err instanceof Error ? err.message : String(err) };
    } finally {
      end();
    }
  }
}
