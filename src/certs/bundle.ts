/**
 * The self-managed certificate set wasmgate keeps in a Secret: its CA (certificate and key) and
 * the serving pair it signs. Pure functions: decode and encode the Secret's data, decide what is
 * due for renewal at a given time, and make the next set.
 *
 * ca.crt may hold two certificates after a CA renewal (new first, then the old one while it is
 * still valid): the webhook configurations' caBundle trusts both, so a replica still serving a
 * pair signed by the old CA keeps working until it has reloaded.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { generateCa, signLeaf, webhookSans, type CertPair } from './generate.js';

export interface CertBundle {
  /** PEM, the current CA first, maybe followed by the previous one */
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export interface Validity {
  /** validity of the serving certificate */
  servingMs: number;
  /** validity of the CA */
  caMs: number;
  /** renew a certificate when less than this is left */
  renewBeforeMs: number;
}

export const SECRET_KEYS = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key' } as const;

const DAY_MS = 86_400_000;

function pems(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The Secret's data (base64 values) as a bundle, or undefined when a key is missing or not PEM. */
export function fromSecretData(data: unknown): CertBundle | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const out: Partial<Record<keyof CertBundle, string>> = {};
  for (const [field, key] of Object.entries(SECRET_KEYS) as [keyof CertBundle, string][]) {
    const v = d[key];
    if (typeof v !== 'string' || v === '') return undefined;
    out[field] = Buffer.from(v, 'base64').toString('utf8');
  }
  const b = out as CertBundle;
  return pems(b.caCert).length > 0 && pems(b.cert).length > 0 && b.key.includes('PRIVATE KEY') && b.caKey.includes('PRIVATE KEY')
    ? b
    : undefined;
}

export function toSecretData(b: CertBundle): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, key] of Object.entries(SECRET_KEYS) as [keyof CertBundle, string][])
    out[key] = Buffer.from(b[field], 'utf8').toString('base64');
  return out;
}

/** base64 of ca.crt: what goes into a webhook configuration's caBundle */
export function caBundleOf(b: CertBundle): string {
  return Buffer.from(b.caCert, 'utf8').toString('base64');
}

export function notAfter(pem: string): Date {
  return new Date(new X509Certificate(pem).validTo);
}

export type Due = 'none' | 'serving' | 'ca' | 'invalid';

/**
 * What must be made again at `now`: the CA (and so the serving pair), the serving pair only, or
 * nothing. 'invalid': the set does not hang together (the pair is not signed by the CA, or the
 * key does not match), so a whole new set is needed.
 */
export function due(b: CertBundle, now: Date, v: Validity, service: { name: string; namespace: string }): Due {
  let ca: X509Certificate;
  let leaf: X509Certificate;
  try {
    ca = new X509Certificate(pems(b.caCert)[0]!);
    leaf = new X509Certificate(pems(b.cert)[0]!);
    if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return 'invalid';
    if (!leaf.checkPrivateKey(createPrivateKey(b.key))) return 'invalid';
  } catch {
    return 'invalid';
  }
  if (new Date(ca.validTo).getTime() - now.getTime() < v.renewBeforeMs) return 'ca';
  if (new Date(leaf.validTo).getTime() - now.getTime() < v.renewBeforeMs) return 'serving';
  if (leaf.checkHost(`${service.name}.${service.namespace}.svc`) === undefined) return 'serving';
  return 'none';
}

/** The next set: a new serving pair, signed by the current CA or (due 'ca' / 'invalid' / none yet) by a new one. */
export async function nextBundle(
  current: CertBundle | undefined,
  what: Exclude<Due, 'none'>,
  v: Validity,
  service: { name: string; namespace: string },
  now = new Date(),
): Promise<CertBundle> {
  let ca: CertPair;
  let caCert: string;
  if (current !== undefined && what === 'serving') {
    ca = { cert: pems(current.caCert)[0]!, key: current.caKey };
    caCert = current.caCert;
  } else {
    ca = await generateCa(`wasmgate-ca (${service.name}.${service.namespace})`, v.caMs / DAY_MS);
    // keep trusting the previous CA while it is valid: pairs it signed are still being served
    const previous = current !== undefined && what === 'ca' ? pems(current.caCert)[0] : undefined;
    const keepPrevious = previous !== undefined && notAfter(previous).getTime() > now.getTime();
    caCert = keepPrevious ? `${ca.cert.trim()}\n${previous}\n` : ca.cert;
  }
  const serving = await signLeaf(ca, {
    commonName: `${service.name}.${service.namespace}.svc`,
    sans: webhookSans(service.name, service.namespace),
    days: v.servingMs / DAY_MS,
  });
  return { caCert, caKey: ca.key, cert: serving.cert, key: serving.key };
}
