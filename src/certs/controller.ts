/**
 * Self-managed webhook certificates (the cert-controller pattern of Gatekeeper and Kyverno).
 *
 * Every replica runs the same loop; they agree through the API server, never with each other:
 * - the CA and serving pair live in ONE Secret in wasmgate's namespace. Absent → make a set and
 *   create it; 409 AlreadyExists (another replica won the race) → read the winner's and use it;
 * - before expiry (renewBefore) a replica makes the next set and replaces the Secret with its
 *   resourceVersion; 409 Conflict → another replica renewed first: read and use that one;
 * - the CA goes into the caBundle of wasmgate's own webhook configurations (by name, a strategic
 *   merge patch of only the webhooks whose caBundle differs). They are never created here: after
 *   `helm uninstall` a still-running replica cannot bring them back;
 * - the pair is written to `certDir` (tls.crt, tls.key, ca.crt) and handed to `onChange`, which
 *   swaps the server's secure context: new handshakes get it, no restart.
 */
import { rename, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiAccess } from '../cluster/kubeconfig.js';
import { apiCall } from './api.js';
import { caBundleOf, due, fromSecretData, nextBundle, notAfter, toSecretData, type CertBundle, type Validity } from './bundle.js';

export interface SelfCertOptions {
  api: ApiAccess;
  namespace: string;
  secretName: string;
  /** name of wasmgate's MutatingWebhookConfiguration and ValidatingWebhookConfiguration */
  webhookConfigName: string;
  /** the Service name: SANs name.namespace.svc (plus localhost and 127.0.0.1) */
  service: string;
  certDir: string;
  validity: Validity;
  /** how often to re-read the Secret and the webhook configurations */
  checkIntervalMs: number;
  log: (line: string) => void;
}

const WEBHOOK_KINDS = ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'] as const;

interface SecretDoc {
  metadata?: { resourceVersion?: string };
  data?: unknown;
}

export class CertController {
  private current: CertBundle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** caBundle last seen in each webhook configuration, to log injections once */
  private injected = new Map<string, string>();
  /** called with every new set after the first (the server swaps its secure context) */
  onChange: ((b: CertBundle) => void) | undefined;

  constructor(private readonly o: SelfCertOptions) {}

  private get secretPath(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.o.namespace)}/secrets/${encodeURIComponent(this.o.secretName)}`;
  }

  private get where(): string {
    return `Secret ${this.o.namespace}/${this.o.secretName}`;
  }

  /** The certificate set to serve with; creates or renews the Secret when needed. */
  async ensure(): Promise<CertBundle> {
    const service = { name: this.o.service, namespace: this.o.namespace };
    for (let attempt = 0; ; attempt++) {
      if (attempt >= 5) throw new Error(`${this.where}: still conflicting after 5 attempts`);
      const got = await apiCall(this.o.api, 'GET', this.secretPath);
      if (got.status === 404) {
        const fresh = await nextBundle(undefined, 'invalid', this.o.validity, service);
        const created = await apiCall(
          this.o.api,
          'POST',
          `/api/v1/namespaces/${encodeURIComponent(this.o.namespace)}/secrets`,
          this.secretDoc(fresh),
        );
        if (created.status === 201 || created.status === 200) {
          this.o.log(`certificates: created ${this.where} (new CA; serving certificate valid until ${notAfter(fresh.cert).toISOString()})`);
          return this.adopt(fresh);
        }
        if (created.status === 409) continue; // another replica created it first: use theirs
        throw new Error(`${this.where}: create failed: HTTP ${created.status}: ${created.message}`);
      }
      if (got.status !== 200) throw new Error(`${this.where}: read failed: HTTP ${got.status}: ${got.message}`);
      const doc = got.body as SecretDoc;
      const stored = fromSecretData(doc.data);
      const what = stored === undefined ? 'invalid' : due(stored, new Date(), this.o.validity, service);
      if (what === 'none') return this.adopt(stored!);
      const next = await nextBundle(stored, what, this.o.validity, service);
      const body = {
        ...this.secretDoc(next),
        metadata: { ...this.secretDoc(next).metadata, resourceVersion: doc.metadata?.resourceVersion },
      };
      const put = await apiCall(this.o.api, 'PUT', this.secretPath, body);
      if (put.status === 200) {
        const why =
          what === 'invalid' ? 'it did not hold a usable set' : what === 'ca' ? 'the CA was due' : 'the serving certificate was due';
        this.o.log(`certificates: renewed ${this.where} (${why}; serving certificate valid until ${notAfter(next.cert).toISOString()})`);
        return this.adopt(next);
      }
      if (put.status === 409) continue; // another replica renewed first: read theirs
      throw new Error(`${this.where}: update failed: HTTP ${put.status}: ${put.message}`);
    }
  }

  /** Write the caBundle into the webhook configurations where it differs. */
  async inject(b: CertBundle): Promise<void> {
    const bundle = caBundleOf(b);
    for (const kind of WEBHOOK_KINDS) {
      const path = `/apis/admissionregistration.k8s.io/v1/${kind}/${encodeURIComponent(this.o.webhookConfigName)}`;
      const got = await apiCall(this.o.api, 'GET', path);
      if (got.status === 404) continue; // not installed (yet, or any more): never create it
      if (got.status !== 200) throw new Error(`${kind}/${this.o.webhookConfigName}: read failed: HTTP ${got.status}: ${got.message}`);
      const webhooks = ((got.body as { webhooks?: { name: string; clientConfig?: { caBundle?: string } }[] }).webhooks ?? []).filter(
        (w) => w.clientConfig?.caBundle !== bundle,
      );
      if (webhooks.length === 0) continue;
      const patch = { webhooks: webhooks.map((w) => ({ name: w.name, clientConfig: { caBundle: bundle } })) };
      const res = await apiCall(this.o.api, 'PATCH', path, patch, 'application/strategic-merge-patch+json');
      if (res.status === 404) continue;
      if (res.status !== 200)
        throw new Error(`${kind}/${this.o.webhookConfigName}: caBundle patch failed: HTTP ${res.status}: ${res.message}`);
      if (this.injected.get(kind) !== bundle)
        this.o.log(`certificates: wrote the CA into ${kind}/${this.o.webhookConfigName} (${webhooks.length} webhooks)`);
      this.injected.set(kind, bundle);
    }
  }

  /** One round: ensure the set, then the caBundles. Errors are logged and retried next round. */
  async tick(): Promise<void> {
    try {
      const b = await this.ensure();
      await this.inject(b);
    } catch (err) {
      this.o.log(`certificates: ${(err as Error).message} (retrying in ${Math.round(this.o.checkIntervalMs / 1000)} s)`);
    }
  }

  start(): void {
    const loop = (): void => {
      if (this.stopped) return;
      this.running = this.tick().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.o.checkIntervalMs);
      });
    };
    this.timer = setTimeout(loop, this.o.checkIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private secretDoc(b: CertBundle): {
    apiVersion: string;
    kind: string;
    type: string;
    metadata: Record<string, unknown>;
    data: Record<string, string>;
  } {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: this.o.secretName, namespace: this.o.namespace, labels: { 'app.kubernetes.io/managed-by': 'wasmgate' } },
      data: toSecretData(b),
    };
  }

  private async adopt(b: CertBundle): Promise<CertBundle> {
    if (this.current?.cert === b.cert && this.current.key === b.key && this.current.caCert === b.caCert) return b;
    await writeFiles(this.o.certDir, b);
    const first = this.current === undefined;
    this.current = b;
    if (!first) this.o.log(`certificates: serving the renewed certificate (valid until ${notAfter(b.cert).toISOString()})`);
    if (!first) this.onChange?.(b);
    return b;
  }
}

/** tls.crt, tls.key, ca.crt in `dir`, each replaced atomically (write then rename). */
async function writeFiles(dir: string, b: CertBundle): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text, mode] of [
    ['ca.crt', b.caCert, 0o644],
    ['tls.key', b.key, 0o600],
    ['tls.crt', b.cert, 0o644],
  ] as const) {
    const tmp = join(dir, `.${name}.tmp`);
    await writeFile(tmp, text, { mode });
    await rename(tmp, join(dir, name));
  }
}
