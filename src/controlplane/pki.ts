/**
 * The control plane's certificates (envtest's certs/tinyca): one CA signs the kube-apiserver
 * serving certificate and the admin client certificate (CN=admin, O=system:masters), plus the
 * ServiceAccount signing key pair, and the kubeconfigs that use them.
 */
import { generateKeyPair } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { generateCa, signLeaf, type CertPair } from '../certs/generate.js';

const APISERVER_SANS = [
  '127.0.0.1',
  'localhost',
  '10.0.0.1',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

export interface Pki {
  ca: CertPair;
  apiserver: CertPair;
  admin: CertPair;
  saPrivateKey: string;
  saPublicKey: string;
}

export async function generatePki(): Promise<Pki> {
  const ca = await generateCa('wasmgate-controlplane-ca');
  const [apiserver, admin] = await Promise.all([
    signLeaf(ca, { commonName: 'kube-apiserver', sans: APISERVER_SANS, usage: 'server' }),
    signLeaf(ca, { commonName: 'admin', sans: [], usage: 'client', organizations: ['system:masters'] }),
  ]);
  const sa = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { ca, apiserver, admin, saPrivateKey: sa.privateKey, saPublicKey: sa.publicKey };
}

export function kubeconfigYaml(server: string, ca: string, client: CertPair, user: string): string {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'wasmgate', cluster: { server, 'certificate-authority-data': b64(ca) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) } }],
    contexts: [{ name: 'wasmgate', context: { cluster: 'wasmgate', user, namespace: 'default' } }],
    'current-context': 'wasmgate',
    preferences: {},
  });
}

/**
 * Generates the certificates and writes them into `<dir>/pki`, the admin kubeconfig to
 * `kubeconfig`, and the scheduler's and controller-manager's kubeconfigs into `dir`.
 */
export async function writePki(dir: string, server: string, kubeconfig: string): Promise<Pki> {
  const pki = await generatePki();
  const pkiDir = join(dir, 'pki');
  await mkdir(pkiDir, { recursive: true });
  const admin = kubeconfigYaml(server, pki.ca.cert, pki.admin, 'admin');
  await Promise.all([
    writeFile(join(pkiDir, 'ca.crt'), pki.ca.cert),
    writeFile(join(pkiDir, 'ca.key'), pki.ca.key, { mode: 0o600 }),
    writeFile(join(pkiDir, 'apiserver.crt'), pki.apiserver.cert),
    writeFile(join(pkiDir, 'apiserver.key'), pki.apiserver.key, { mode: 0o600 }),
    writeFile(join(pkiDir, 'admin.crt'), pki.admin.cert),
    writeFile(join(pkiDir, 'admin.key'), pki.admin.key, { mode: 0o600 }),
    writeFile(join(pkiDir, 'sa.key'), pki.saPrivateKey, { mode: 0o600 }),
    writeFile(join(pkiDir, 'sa.pub'), pki.saPublicKey),
    writeFile(kubeconfig, admin, { mode: 0o600 }),
    // The scheduler and controller-manager use the admin identity too (system:masters).
    writeFile(join(dir, 'kube-scheduler.kubeconfig'), admin, { mode: 0o600 }),
    writeFile(join(dir, 'kube-controller-manager.kubeconfig'), admin, { mode: 0o600 }),
  ]);
  return pki;
}
