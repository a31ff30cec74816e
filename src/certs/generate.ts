/**
 * Certificate generation for the webhook's serving certificate (and, in tests, the control plane's).
 *
 * A private CA signs a leaf certificate; the CA certificate is what goes into a webhook
 * configuration's `caBundle`. Built on @peculiar/x509 over Node's WebCrypto (the library
 * `selfsigned` wraps), because it writes subject and authority key identifiers: every CA gets a
 * subject key identifier and a unique subject, every leaf an authority key identifier, so a
 * bundle holding an old and a new CA (during rotation) lets OpenSSL, Node and Go pick the right
 * issuer.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { chmod, mkdir, open, readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

type WebCryptoKey = webcrypto.CryptoKey;
type WebCryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface CertPair {
  /** PEM certificate, ending with a newline */
  cert: string;
  /** PEM private key (PKCS#8), ending with a newline */
  key: string;
}

export interface WebhookCerts {
  ca: CertPair;
  serving: CertPair;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

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

/** PEM text with exactly one trailing newline, so `cat a.crt b.crt` is a valid bundle. */
export function pemWithNewline(pem: string): string {
  return `${pem.replace(/\s+$/, '')}\n`;
}

/** A positive serial of 16 random bytes, as hex (RFC 5280: positive, at most 20 octets). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

async function keyPair(): Promise<WebCryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as WebCryptoKeyPair;
}

async function privateKeyPem(key: WebCryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return pemWithNewline(x509.PemConverter.encode(der, 'PRIVATE KEY'));
}

/**
 * A self-signed CA. Its subject is `commonName` plus the creation time and a random suffix, so
 * two CAs made from the same name never share a subject (OpenSSL and Node look issuers up by
 * subject; identical subjects make a rotation bundle fail for half the leaves).
 */
export async function generateCa(commonName: string, days = 3650): Promise<CertPair> {
  const now = new Date();
  const keys = await keyPair();
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [`${commonName} ${stamp} ${randomBytes(4).toString('hex')}`] }],
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + days * DAY_MS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: pemWithNewline(cert.toString('pem')), key: await privateKeyPem(keys.privateKey) };
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
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(ca.key), ALG, false, ['sign']);
  const ski = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  const keys = await keyPair();
  const eku: string[] = [];
  if (usage !== 'client') eku.push(x509.ExtendedKeyUsage.serverAuth);
  if (usage !== 'server') eku.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(eku),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    // the issuer's own subject key identifier when it has one (every CA made here does)
    ski !== null ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  if (opts.sans.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(opts.sans.map((san) => ({ type: isIP(san) ? 'ip' : 'dns', value: san }))));
  }
  const subject: x509.JsonName = [{ CN: [opts.commonName] }];
  for (const org of opts.organizations ?? []) subject.push({ O: [org] });
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (opts.days ?? 365) * DAY_MS),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions,
  });
  return { cert: pemWithNewline(cert.toString('pem')), key: await privateKeyPem(keys.privateKey) };
}

export async function generateWebhookCerts(service: string, namespace: string, days = 365): Promise<WebhookCerts> {
  const ca = await generateCa(`wasmgate-ca ${service}.${namespace}`);
  const serving = await signLeaf(ca, {
    commonName: `${service}.${namespace}.svc`,
    sans: webhookSans(service, namespace),
    days,
  });
  return { ca, serving };
}

export const CERT_FILES = { ca: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key' } as const;

/**
 * Write `text` to `path` with `mode`, whether the file is new or already there: the mode is set
 * on the open descriptor before anything is written, so new key material is never readable with
 * an older, wider mode.
 */
export async function writeFileMode(path: string, text: string, mode: number): Promise<void> {
  const fh = await open(path, 'w', mode);
  try {
    await fh.chmod(mode);
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}

/** Writes ca.crt, tls.crt (0644) and tls.key, ca.key (0600, kept so the CA can sign again). */
export async function writeWebhookCerts(dir: string, certs: WebhookCerts): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileMode(join(dir, CERT_FILES.caKey), pemWithNewline(certs.ca.key), 0o600);
  await writeFileMode(join(dir, CERT_FILES.key), pemWithNewline(certs.serving.key), 0o600);
  await writeFileMode(join(dir, CERT_FILES.ca), pemWithNewline(certs.ca.cert), 0o644);
  await writeFileMode(join(dir, CERT_FILES.cert), pemWithNewline(certs.serving.cert), 0o644);
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
 * Development certificates for `serve --dev-certs` (and the playground): reuse tls.crt/tls.key in
 * `dir`, or generate a fresh set (service `wasmgate`, namespace `wasmgate`) when they are absent.
 */
export async function ensureDevCerts(dir: string): Promise<{ generated: boolean; caCert?: string }> {
  if ((await exists(join(dir, CERT_FILES.cert))) && (await exists(join(dir, CERT_FILES.key)))) {
    // an older wasmgate may have left the key readable by others
    await chmod(join(dir, CERT_FILES.key), 0o600).catch(() => undefined);
    const ca = (await exists(join(dir, CERT_FILES.ca))) ? await readFile(join(dir, CERT_FILES.ca), 'utf8') : undefined;
    return ca === undefined ? { generated: false } : { generated: false, caCert: ca };
  }
  const certs = await generateWebhookCerts('wasmgate', 'wasmgate');
  await writeWebhookCerts(dir, certs);
  return { generated: true, caCert: certs.ca.cert };
}
