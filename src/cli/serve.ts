/** `wasmgate serve`: the admission webhook over HTTPS. */
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { ensureDevCerts } from '../certs/generate.js';
import type { ClusterState } from '../cluster/types.js';
import { loadSnapshot } from '../cluster/snapshot.js';
import { loadConfig, withServerOverrides, type Config } from '../config/config.js';
import { startBackgroundAudit, type BackgroundAudit } from '../report/background-audit.js';
import { REPORT_APIS } from '../report/policy-report.js';
import { buildApp } from '../server/app.js';
import { warmLargeBodies } from '../server/body.js';
import { createPrescanner } from '../server/prescanner.js';
import { createMetrics } from '../server/metrics.js';
import { drainAndClose, type ShutdownResult } from '../server/shutdown.js';
import { readTls, reloadOnChange, secureContextOptions, tlsFiles, tlsPolicy } from '../server/tls.js';
import { createImageResolver } from './images.js';
import { openLiveState } from './live.js';
import { collect, port, seconds as wholeSeconds } from './options.js';
import { onShutdown } from './shutdown.js';
import { addCertOptions, selfCertSettings, startSelfCerts, type CertCliOptions, type SelfCertSettings } from './serve-certs.js';

export interface ServeOptions {
  config?: string;
  clusterState?: string[];
  kubeconfig?: string;
  certDir: string;
  port: number;
  host: string;
  logLevel: string;
  /**
   * Decide from this state instead of a snapshot or the live source (the playground passes one
   * it can switch from the example snapshot to the live cluster); the caller stops it.
   */
  state?: ClusterState;
  /** generate development certificates in certDir when tls.crt/tls.key are absent */
  devCerts?: boolean;
  /** start even when the --cluster-state snapshot has no Nodes */
  allowEmptyClusterState?: boolean;
  /** flags that override config.server */
  drainSeconds?: number;
  shutdownTimeoutSeconds?: number;
  clientCaFile?: string;
  /** --cert-mode self: certificates from a Secret wasmgate manages (src/certs/controller.ts) */
  selfCerts?: SelfCertSettings | undefined;
  /** overrides config audit.intervalSeconds (0: no background audit) */
  auditInterval?: number;
  /** overrides config audit.reportApi */
  reportApi?: Config['audit']['reportApi'];
}

export interface Running {
  app: FastifyInstance;
  url: string;
  config: Config;
  state: ClusterState;
  /** Stop at once: stop listening, close every connection (tests, the playground). */
  close(): Promise<void>;
  /**
   * Graceful stop for SIGTERM: readiness off, serve for the drain period, finish requests in
   * flight, close keep-alive connections, all within config.server.shutdownTimeoutSeconds.
   */
  shutdown(): Promise<ShutdownResult>;
}

/** The start-up error for a snapshot without Nodes (golden-tested). */
export function emptySnapshotMessage(paths: string[], runtimeClasses: number): string {
  return (
    `the cluster state ${paths.join(', ')} has no Nodes (${runtimeClasses} RuntimeClasses): every Wasm pod would be denied; ` +
    'check the path, or pass --allow-empty-cluster-state if an empty cluster is intended'
  );
}

/** Start the webhook server; resolves once it listens. */
export async function startServer(
  opts: ServeOptions,
  out: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<Running> {
  const config = withServerOverrides(await loadConfig(opts.config), {
    ...(opts.drainSeconds === undefined ? {} : { drainSeconds: opts.drainSeconds }),
    ...(opts.shutdownTimeoutSeconds === undefined ? {} : { shutdownTimeoutSeconds: opts.shutdownTimeoutSeconds }),
    ...(opts.clientCaFile === undefined ? {} : { clientCAFile: opts.clientCaFile }),
  });
  if (opts.auditInterval !== undefined) config.audit.intervalSeconds = opts.auditInterval;
  if (opts.reportApi !== undefined) config.audit.reportApi = opts.reportApi;
  const certDir = resolve(opts.certDir);
  // --cert-mode self: the controller keeps the pair in a Secret and writes it to certDir first
  const certController = opts.selfCerts === undefined ? undefined : await startSelfCerts(opts.selfCerts, certDir, opts.kubeconfig, out);
  if (certController === undefined && opts.devCerts === true) {
    const certs = await ensureDevCerts(certDir);
    if (certs.generated) out(`generated development certificates in ${certDir} (CA: ${certDir}/ca.crt)`);
  }
  // every certificate problem is a start-up error naming the file, before any cluster work
  const files = tlsFiles(certDir);
  const pair = readTls(files);
  const policy = tlsPolicy(config.server);

  let state: ClusterState;
  let audit: BackgroundAudit | undefined;
  let startAudit: ((registry: import('prom-client').Registry) => void) | undefined;
  let stopState = async (): Promise<void> => {};
  if (opts.state !== undefined) {
    state = opts.state;
  } else if (opts.clusterState !== undefined && opts.clusterState.length > 0) {
    const snap = await loadSnapshot(opts.clusterState);
    if (snap.summary.nodes === 0 && opts.allowEmptyClusterState !== true) {
      throw new Error(emptySnapshotMessage(opts.clusterState, snap.summary.runtimeClasses));
    }
    state = snap.state;
    out(
      `cluster state: snapshot of ${snap.summary.files} file(s): ${snap.summary.nodes} nodes, ${snap.summary.runtimeClasses} RuntimeClasses` +
        (snap.summary.pods > 0 ? `, ${snap.summary.pods} pods` : ''),
    );
  } else {
    const live = await openLiveState({
      kubeconfig: opts.kubeconfig,
      log: out,
      trackPods: config.trackPods,
      onChange: (c) => audit?.onChange(c),
    });
    const liveState = live.state;
    state = liveState;
    stopState = async () => {
      await audit?.stop();
      await live.stop();
    };
    if (config.audit.intervalSeconds > 0) {
      // the background audit (src/report/): a Lease elects the replica that writes reports and Events
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

  let images;
  try {
    images = config.imageDetection.enabled ? await createImageResolver(config, metrics.registry, opts.kubeconfig, out) : undefined;
  } catch (err) {
    await stopState();
    throw err;
  }
  const prescanner = createPrescanner({ onScan: (thread) => metrics.largeBodies.inc({ thread }) });
  const { app, lifecycle, sockets } = buildApp({
    config,
    state,
    metrics,
    prescanner,
    https: pair,
    tlsPolicy: policy,
    logger: { level: opts.logLevel },
    ...(images === undefined ? {} : { images }),
  });
  await app.listen({ port: opts.port, host: opts.host });
  void warmLargeBodies(prescanner, config.limits.jsonItems);
  const server = app.server as import('node:https').Server;
  // self: the controller hands over each renewed pair; files: watch tls.crt/tls.key
  let stopWatch = (): void => {};
  if (certController !== undefined) {
    certController.onChange = (b) =>
      server.setSecureContext(secureContextOptions({ cert: Buffer.from(b.cert), key: Buffer.from(b.key) }, policy));
    certController.start();
  } else stopWatch = reloadOnChange(server, files, app.log, 5000, policy);
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  let stopped: Promise<unknown> | undefined;
  return {
    app,
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    config,
    state,
    async close() {
      stopped ??= (async () => {
        stopWatch();
        await certController?.stop();
        app.server.closeAllConnections();
        await app.close();
        await stopState();
      })();
      await stopped;
    },
    async shutdown() {
      const result = drainAndClose(app, lifecycle, sockets, config.server, out);
      stopped ??= result;
      const r = await result;
      stopWatch();
      await certController?.stop();
      await stopState();
      return r;
    },
  };
}

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('serve the admission webhook over HTTPS (POST /mutate, /validate; GET /healthz, /readyz, /metrics)')
    .option('-c, --config <file>', 'YAML config file (default: built-in defaults)')
    .option(
      '--cluster-state <path>',
      'decide from a snapshot (YAML file or directory of Nodes and RuntimeClasses) instead of a live cluster; repeatable',
      collect,
    )
    .option('--kubeconfig <file>', 'kubeconfig for the live cluster source (default: in-cluster config, then $KUBECONFIG)')
    .option('--cert-dir <dir>', 'directory with tls.crt and tls.key (a Secret mount)', 'certs')
    .option('-p, --port <n>', 'HTTPS port', port, 8443)
    .option('--host <addr>', 'address to listen on', '0.0.0.0')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']).default('info'));
  addCertOptions(addServeHardeningOptions(serve)).action(async (opts: ServeOptions & CertCliOptions) => {
    const running = await startServer({ ...opts, selfCerts: selfCertSettings(opts) });
    process.stderr.write(`wasmgate listening on ${running.url}\n`);
    // SIGTERM/SIGINT: /readyz 503, drain, finish in flight, exit 0 by the configured deadline
    onShutdown([() => running.shutdown()]);
  });
}

function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of seconds (0 or more)');
  return n;
}

/** The serve command's hardening flags (certificates, empty snapshots, shutdown, client CA). */
export function addServeHardeningOptions(command: Command): Command {
  return command
    .option('--dev-certs', 'generate development certificates in --cert-dir when tls.crt/tls.key are absent (never in production)', false)
    .option('--allow-empty-cluster-state', 'start even when the --cluster-state snapshot has no Nodes', false)
    .option(
      '--drain-seconds <s>',
      'on SIGTERM, keep serving this long with /readyz at 503 (default: config server.drainSeconds, 5)',
      seconds,
    )
    .option(
      '--shutdown-timeout-seconds <s>',
      'hard deadline from SIGTERM to exit (default: config server.shutdownTimeoutSeconds, 25)',
      seconds,
    )
    .option(
      '--client-ca-file <file>',
      'require client certificates signed by this CA on /mutate and /validate (default: config server.tls.clientCAFile)',
    )
    .option(
      '--audit-interval <seconds>',
      'background audit period on a live cluster (default: config audit.intervalSeconds, 300; 0: off)',
      wholeSeconds,
    )
    .addOption(
      new Option('--report-api <api>', 'where the background audit writes findings (default: config audit.reportApi, auto)').choices([
        'auto',
        ...REPORT_APIS,
        'none',
      ]),
    );
}
