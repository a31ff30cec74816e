/** `wasmgate serve`: the admission webhook over HTTPS. */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { ensureDevCerts } from '../certs/generate.js';
import type { ClusterState } from '../cluster/types.js';
import { loadSnapshot } from '../cluster/snapshot.js';
import { loadConfig, type Config } from '../config/config.js';
import { startBackgroundAudit, type BackgroundAudit } from '../report/background-audit.js';
import { buildApp } from '../server/app.js';
import { createMetrics } from '../server/metrics.js';
import type { Registry } from 'prom-client';
import { readTls, reloadOnChange, tlsFiles } from '../server/tls.js';
import { openLiveState } from './live.js';
import { REPORT_APIS } from '../report/policy-report.js';
import { collect, port, seconds } from './options.js';
import { onShutdown } from './shutdown.js';

export interface ServeOptions {
  config?: string;
  clusterState?: string[];
  kubeconfig?: string;
  certDir: string;
  port: number;
  host: string;
  logLevel: string;
  /** overrides config audit.intervalSeconds (0: no background audit) */
  auditInterval?: number;
  /** overrides config audit.reportApi */
  reportApi?: Config['audit']['reportApi'];
  /**
   * Decide from this state instead of a snapshot or the live source (the playground passes one
   * it can switch from the example snapshot to the live cluster); the caller stops it.
   */
  state?: ClusterState;
}

export interface Running {
  app: FastifyInstance;
  url: string;
  config: Config;
  state: ClusterState;
  close(): Promise<void>;
}

/** Start the webhook server; resolves once it listens. */
export async function startServer(
  opts: ServeOptions,
  out: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<Running> {
  const config = await loadConfig(opts.config);
  if (opts.auditInterval !== undefined) config.audit.intervalSeconds = opts.auditInterval;
  if (opts.reportApi !== undefined) config.audit.reportApi = opts.reportApi;
  const certDir = resolve(opts.certDir);
  const certs = await ensureDevCerts(certDir);
  if (certs.generated) out(`generated development certificates in ${certDir} (CA: ${certDir}/ca.crt)`);

  let state: ClusterState;
  let audit: BackgroundAudit | undefined;
  let startAudit: ((registry: Registry) => void) | undefined;
  let stopState = async (): Promise<void> => {};
  if (opts.state !== undefined) {
    state = opts.state;
  } else if (opts.clusterState !== undefined && opts.clusterState.length > 0) {
    const snap = await loadSnapshot(opts.clusterState);
    state = snap.state;
    out(
      `cluster state: snapshot of ${snap.summary.files} file(s): ${snap.summary.nodes} nodes, ${snap.summary.runtimeClasses} RuntimeClasses` +
        (snap.summary.pods > 0 ? `, ${snap.summary.pods} pods` : ''),
    );
  } else {
    const live = await openLiveState({ kubeconfig: opts.kubeconfig, log: out, onChange: (c) => audit?.onChange(c) });
    const liveState = live.state;
    state = liveState;
    stopState = async () => {
      await audit?.stop();
      await live.stop();
    };
    if (config.audit.intervalSeconds > 0) {
      startAudit = (registry) => {
        audit = startBackgroundAudit({ api: live.api, state: liveState, config, registry, log: out });
        out(
          `background audit every ${config.audit.intervalSeconds} s (reports: ${config.audit.reportApi}); lease candidate ${audit.identity}`,
        );
      };
    }
  }
  const metrics = createMetrics(state);
  startAudit?.(metrics.registry);

  const files = tlsFiles(certDir);
  const { app } = buildApp({
    config,
    state,
    metrics,
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

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the admission webhook over HTTPS (POST /mutate, /validate; GET /healthz, /readyz, /metrics)')
    .option('-c, --config <file>', 'YAML config file (default: built-in defaults)')
    .option(
      '--cluster-state <path>',
      'decide from a snapshot (YAML file or directory of Nodes and RuntimeClasses) instead of a live cluster; repeatable',
      collect,
    )
    .option('--kubeconfig <file>', 'kubeconfig for the live cluster source (default: in-cluster config, then $KUBECONFIG)')
    .option('--cert-dir <dir>', 'directory with tls.crt and tls.key (generated when absent)', 'certs')
    .option('-p, --port <n>', 'HTTPS port', port, 8443)
    .option('--host <addr>', 'address to listen on', '0.0.0.0')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']).default('info'))
    .option('--audit-interval <seconds>', 'background audit period on a live cluster (config audit.intervalSeconds; 0: off)', seconds)
    .addOption(
      new Option('--report-api <api>', 'where the background audit writes findings (config audit.reportApi)').choices([
        'auto',
        ...REPORT_APIS,
        'none',
      ]),
    )
    .action(async (opts: ServeOptions) => {
      const running = await startServer(opts);
      process.stderr.write(`wasmgate listening on ${running.url}\n`);
      onShutdown([() => running.close()]);
    });
}
