/**
 * `serve --cert-mode self`: the options, and starting the certificate controller
 * (src/certs/controller.ts) before the server reads its certificate files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CertController } from '../certs/controller.js';
import { IN_CLUSTER_DIR, loadKubeConfig } from '../cluster/kubeconfig.js';

export interface CertCliOptions {
  certMode: 'files' | 'self';
  certSecret?: string;
  webhookConfig?: string;
  certService: string;
  namespace?: string;
  certValidity: number;
  certCaValidity: number;
  certRenewBefore: number;
  certCheckInterval: number;
}

export interface SelfCertSettings {
  namespace: string;
  secretName: string;
  webhookConfigName: string;
  service: string;
  servingMs: number;
  caMs: number;
  renewBeforeMs: number;
  checkIntervalMs: number;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "15m", "8760h", "30d" → milliseconds */
export function parseDuration(value: string): number {
  const m = /^([0-9]+)(s|m|h|d)$/.exec(value);
  if (!m || Number(m[1]) === 0) throw new InvalidArgumentError('must be a positive duration such as 90s, 15m, 8760h or 30d');
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function addCertOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--cert-mode <mode>',
        'files: serve tls.crt/tls.key from --cert-dir; self: keep a CA and serving pair in a Secret, renew it, and write the CA into the webhook configurations',
      )
        .choices(['files', 'self'])
        .default('files'),
    )
    .option('--cert-secret <name>', '(self) the Secret in --namespace holding the CA and serving pair')
    .option('--webhook-config <name>', "(self) name of wasmgate's Mutating and ValidatingWebhookConfiguration, whose caBundle it writes")
    .option('--cert-service <name>', '(self) Service name for the certificate SANs', 'wasmgate')
    .option('--namespace <ns>', "(self) wasmgate's namespace (default: $POD_NAMESPACE, then the service account's)")
    .option('--cert-validity <duration>', '(self) serving certificate validity', parseDuration, parseDuration('8760h'))
    .option('--cert-ca-validity <duration>', '(self) CA validity', parseDuration, parseDuration('87600h'))
    .option('--cert-renew-before <duration>', '(self) renew when less than this is left', parseDuration, parseDuration('720h'))
    .option(
      '--cert-check-interval <duration>',
      '(self) how often to re-read the Secret and webhook configurations',
      parseDuration,
      parseDuration('1m'),
    );
}

/** Settings for self-managed certificates, or undefined for --cert-mode files. Throws on missing flags. */
export function selfCertSettings(o: CertCliOptions): SelfCertSettings | undefined {
  if (o.certMode !== 'self') return undefined;
  if (o.certSecret === undefined || o.webhookConfig === undefined)
    throw new Error('--cert-mode self needs --cert-secret and --webhook-config');
  if (o.certRenewBefore >= o.certValidity) throw new Error('--cert-renew-before must be shorter than --cert-validity');
  let namespace = o.namespace ?? process.env['POD_NAMESPACE'];
  if (namespace === undefined || namespace === '') {
    try {
      namespace = readFileSync(join(IN_CLUSTER_DIR, 'namespace'), 'utf8').trim();
    } catch {
      throw new Error('--cert-mode self needs --namespace (or $POD_NAMESPACE, or an in-cluster service account)');
    }
  }
  return {
    namespace,
    secretName: o.certSecret,
    webhookConfigName: o.webhookConfig,
    service: o.certService,
    servingMs: o.certValidity,
    caMs: o.certCaValidity,
    renewBeforeMs: o.certRenewBefore,
    checkIntervalMs: o.certCheckInterval,
  };
}

/** Create the controller and get a first certificate set into certDir (retried while the API server refuses). */
export async function startSelfCerts(
  s: SelfCertSettings,
  certDir: string,
  kubeconfig: string | undefined,
  log: (line: string) => void,
): Promise<CertController> {
  const controller = new CertController({
    api: loadKubeConfig(kubeconfig),
    namespace: s.namespace,
    secretName: s.secretName,
    webhookConfigName: s.webhookConfigName,
    service: s.service,
    certDir,
    validity: { servingMs: s.servingMs, caMs: s.caMs, renewBeforeMs: s.renewBeforeMs },
    checkIntervalMs: s.checkIntervalMs,
    log,
  });
  for (let attempt = 1; ; attempt++) {
    try {
      const b = await controller.ensure();
      await controller.inject(b).catch((err: Error) => log(`certificates: ${err.message}`));
      return controller;
    } catch (err) {
      if (attempt >= 5) throw err;
      log(`certificates: ${(err as Error).message} (attempt ${attempt} of 5)`);
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}
