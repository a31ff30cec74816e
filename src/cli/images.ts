/** `serve`'s image detection: one ImageResolver for the process, when imageDetection.enabled. */
import { readFile } from 'node:fs/promises';
import type { Registry } from 'prom-client';
import { loadKubeConfig } from '../cluster/kubeconfig.js';
import type { Config } from '../config/config.js';
import { apiSecretReader } from '../images/credentials.js';
import { ImageResolver } from '../images/resolver.js';

/**
 * The resolver, its image metrics on `metrics` (the app's registry). Credentials Secrets are read
 * through the API (the same kubeconfig as the live source) only when the config names one or lets
 * pods' imagePullSecrets be used.
 */
export async function createImageResolver(
  config: Config,
  metrics: Registry,
  kubeconfig: string | undefined,
  out: (line: string) => void,
): Promise<ImageResolver> {
  const d = config.imageDetection;
  let ca: string | undefined;
  if (d.caFile !== '') {
    try {
      ca = await readFile(d.caFile, 'utf8');
    } catch (err) {
      throw new Error(`imageDetection.caFile ${d.caFile} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        cause: err,
      });
    }
  }
  const needsSecrets = d.credentialsSecret !== undefined || d.allowPodPullSecrets;
  let secrets;
  if (needsSecrets) {
    try {
      secrets = apiSecretReader(loadKubeConfig(kubeconfig));
    } catch (err) {
      throw new Error(`imageDetection needs API access to read registry credentials Secrets: ${(err as Error).message}`, { cause: err });
    }
  }
  const creds =
    d.credentialsSecret === undefined
      ? 'no credentials Secret'
      : `credentials from Secret ${d.credentialsSecret.namespace}/${d.credentialsSecret.name}`;
  out(
    `image detection: on for ${d.registries.join(', ')} (budget ${d.budgetMs} ms; ${creds}${d.allowPodPullSecrets ? "; pods' imagePullSecrets too" : ''})`,
  );
  return new ImageResolver({ config: d, metrics, ...(ca === undefined ? {} : { ca }), ...(secrets === undefined ? {} : { secrets }) });
}
