import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ensureDevCerts } from '../certs/generate.js';
import type { ClusterState } from '../cluster/types.js';
import { loadSnapshot } from '../cluster/snapshot.js';
import { loadConfig, type Config } from '../config/config.js';
import { buildApp } from '../server/app.js';
import { readTls, reloadOnChange, tlsFiles } from '../server/tls.js';
import { openLiveState } from './live.js';

export interface ServeOptions {
  config?: string;
  clusterState?: string[];
  kubeconfig?: string;
  certDir: string;
  port: number;
  host: string;
  logLevel: string;
}

export interface Running {
  app: FastifyInstance;
  url: string;
  config: Config;
  state: ClusterState;
  close(): Promise<void>;
}

/** Start the webhook server; resolves once it listens. */
export async function startServer(opts: ServeOptions, out: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<Running> {
  const config = await loadConfig(opts.config);
  const certDir = resolve(opts.certDir);
  const certs = await ensureDevCerts(certDir);
  if (certs.generated) out(`generated development certificates in ${certDir} (CA: ${certDir}/ca.crt)`);

  let state: ClusterState;
  let stopState = async (): Promise<void> => {};
  if (opts.clusterState !== undefined && opts.clusterState.length > 0) {
    const snap = await loadSnapshot(opts.clusterState);
    state = snap.state;
    out(
      `cluster state: snapshot of ${snap.summary.files} file(s): ${snap.summary.nodes} nodes, ${snap.summary.runtimeClasses} RuntimeClasses` +
        (snap.summary.pods > 0 ? `, ${snap.summary.pods} pods` : ''),
    );
  } else {
    const live = await openLiveState({ kubeconfig: opts.kubeconfig, log: out, trackPods: config.trackPods });
    state = live.state;
    stopState = live.stop;
  }

  const files = tlsFiles(certDir);
  const { app } = buildApp({
    config,
    state,
    https: readTls(files),
    logger: { level: opts.logLevel },
  });
  await app.listen({ port: opts.port, host: opts.host });
  const stopWatch = reloadOnChange(app.server as import('node:https').Server, files, app.log);
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    app,
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    config,
    state,
    async close() {
      stopWatch();
      await app.close();
      await stopState();
    },
  };
}
