/**
 * Helpers for the integration tests: a wasmgate server on loopback over real TLS. The HTTPS client,
 * metrics scraper, freePort and waitFor are the shared ones from test/harness.
 */
import type { FastifyInstance } from 'fastify';
import { generateWebhookCerts, type WebhookCerts } from '../../src/certs/generate.js';
import type { ClusterState } from '../../src/cluster/types.js';
import type { Config } from '../../src/config/config.js';
import { buildApp } from '../../src/server/app.js';

export * from '../harness/http.js';
export { waitFor } from '../harness/wait.js';

export interface TestServer {
  app: FastifyInstance;
  url: string;
  port: number;
  certs: WebhookCerts;
  close(): Promise<void>;
}

/** buildApp over HTTPS on 127.0.0.1, port 0, with freshly generated webhook certificates. */
export async function startTestServer(config: Config, state: ClusterState, certs?: WebhookCerts): Promise<TestServer> {
  const c = certs ?? (await generateWebhookCerts('wasmgate', 'wasmgate'));
  const { app } = buildApp({ config, state, https: { cert: c.serving.cert, key: c.serving.key } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  return { app, url: `https://127.0.0.1:${address.port}`, port: address.port, certs: c, close: () => app.close() };
}
