/**
 * Certificate generation for the webhook's serving certificate (and, in tests, the control plane's).
 *
 * A private CA signs a leaf certificate; the CA certificate is what goes into a webhook
 * configuration's `caBundle`. Built on `selfsigned`, which wraps Node's WebCrypto.
 */
import { mkdir, writeFile, readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { isIP } from 'node:net';
import selfsigned from 'selfsigned';

export interface CertPair {
  /** PEM certificate */
  cert: string;
  /** PEM private key (PKCS#8) */
  key: string;
}

export interface WebhookCerts {
  ca: CertPair;
  serving: CertPair;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The SANs the API server may use to reach a webhook Service, plus loopback for local runs. */
export function webhookSans(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
    'localhost',
    '127.0.0.1',
  ];
}

export async function generateCa(commonName: string, days = 3650): Promise<CertPair> {
  const now = new Date();
  const pems = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + days * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface LeafOptions {
  commonName: string;
  sans: string[];
  days?: number;
  /** serverAuth (default) or clientAuth usage */
  usage?: 'server' | 'client' | 'both';
  /** Organization (O=) entries, e.g. system:masters for a client certificate. */
  organizations?: string[];
}

export async function signLeaf(ca: CertPair, opts: LeafOptions): Promise<CertPair> {
  const now = new Date();
  const usage = opts.usage ?? 'server';
  const attrs = [{ name: 'commonName', value: opts.commonName }];
  for (const org of opts.organizations ?? []) attrs.push({ name: 'organizationName', value: org });
  const altNames = opts.sans.map((san) =>
    isIP(san) ? ({ type: 7, ip: san } as const) : ({ type: 2, value: san } as const),
  );
  const extensions: selfsigned.CertificateExtension[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: usage !== 'client', clientAuth: usage !== 'server' },
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  const pems = await selfsigned.generate(attrs, {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + (opts.days ?? 365) * DAY_MS),
    extensions,
    ca: { key: ca.key, cert: ca.cert },
  });
  return { cert: pems.cert, key: pems.private };
}

export async function generateWebhookCerts(service: string, namespace: string, days = 365): Promise<WebhookCerts> {
  const ca = await generateCa(`wasmgate-ca (${service}.${namespace})`);
  const serving = await signLeaf(ca, {
    commonName: `${service}.${namespace}.svc`,
    sans: webhookSans(service, namespace),
    days,
  });
  return { ca, serving };
}

export const CERT_FILES = { ca: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key' } as const;

/** Writes ca.crt, tls.crt and tls.key (and ca.key, mode 0600, so the CA can sign again). */
export async function writeWebhookCerts(dir: string, certs: WebhookCerts): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, CERT_FILES.ca), certs.ca.cert);
  await writeFile(join(dir, CERT_FILES.caKey), certs.ca.key, { mode: 0o600 });
  await writeFile(join(dir, CERT_FILES.cert), certs.serving.cert);
  await writeFile(join(dir, CERT_FILES.key), certs.serving.key, { mode: 0o600 });
}

export function caBundle(caCertPem: string): string {
  return Buffer.from(caCertPem, 'utf8').toString('base64');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Development convenience for `serve`: reuse tls.crt/tls.key in `dir`, or generate a fresh set
 * (service `wasmgate`, namespace `wasmgate`) when they are absent.
 */
export async function ensureDevCerts(dir: string): Promise<{ generated: boolean; caCert?: string }> {
  if ((await exists(join(dir, CERT_FILES.cert))) && (await exists(join(dir, CERT_FILES.key)))) {
    const ca = (await exists(join(dir, CERT_FILES.ca))) ? await readFile(join(dir, CERT_FILES.ca), 'utf8') : undefined;
    return ca === undefined ? { generated: false } : { generated: false, caCert: ca };
  }
  const certs = await generateWebhookCerts('wasmgate', 'wasmgate');
  await writeWebhookCerts(dir, certs);
  return { generated: true, caCert: certs.ca.cert };
}
