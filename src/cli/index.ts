/** The `wasmgate` command line. */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { auditObjects, formatAudit } from '../audit/audit.js';
import { listAudited } from '../audit/sources.js';
import { caBundle, generateWebhookCerts, writeWebhookCerts } from '../certs/generate.js';
import { loadKubeConfig, startLiveState } from '../cluster/live.js';
import { loadSnapshot } from '../cluster/snapshot.js';
import { loadConfig } from '../config/config.js';
import { webhookYaml } from '../deploy/webhooks.js';
import { RULES } from '../rules/registry.js';
import { checkFiles } from './check.js';
import { playground } from './playground.js';
import { startServer } from './serve.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function buildCli(): Command {
  const program = new Command('wasmgate')
    .description('Kubernetes admission webhook that sends WebAssembly workloads to nodes that can run them')
    .version(pkg.version)
    .showHelpAfterError();

  program
    .command('serve')
    .description('serve the admission webhook over HTTPS (POST /mutate, /validate; GET /healthz, /readyz, /metrics)')
    .option('-c, --config <file>', 'YAML config file (default: built-in defaults)')
    .option('--cluster-state <path>', 'decide from a snapshot (YAML file or directory of Nodes and RuntimeClasses) instead of a live cluster; repeatable', collect)
    .option('--kubeconfig <file>', 'kubeconfig for the live cluster source (default: in-cluster config, then $KUBECONFIG)')
    .option('--cert-dir <dir>', 'directory with tls.crt and tls.key (generated when absent)', 'certs')
    .option('-p, --port <n>', 'HTTPS port', port, 8443)
    .option('--host <addr>', 'address to listen on', '0.0.0.0')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']).default('info'))
    .action(async (opts: { config?: string; clusterState?: string[]; kubeconfig?: string; certDir: string; port: number; host: string; logLevel: string }) => {
      const running = await startServer(opts);
      process.stderr.write(`wasmgate listening on ${running.url}\n`);
      const stop = (): void => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  program
    .command('certs')
    .description('make a CA and a serving certificate for the webhook Service; prints the base64 caBundle')
    .requiredOption('--service <name>', 'Service name of the webhook')
    .requiredOption('--namespace <ns>', 'namespace of the Service')
    .option('--out <dir>', 'output directory for ca.crt, tls.crt, tls.key', 'certs')
    .option('--days <n>', 'validity of the serving certificate in days', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
      return n;
    }, 365)
    .action(async (opts: { service: string; namespace: string; out: string; days: number }) => {
      const certs = await generateWebhookCerts(opts.service, opts.namespace, opts.days);
      await writeWebhookCerts(opts.out, certs);
      process.stderr.write(`wrote ${opts.out}/ca.crt, ${opts.out}/tls.crt, ${opts.out}/tls.key (SANs for ${opts.service}.${opts.namespace}.svc)\n`);
      process.stdout.write(`${caBundle(certs.ca.cert)}\n`);
    });

  program
    .command('check')
    .description('check manifests offline against a cluster snapshot, as the webhook would on create; exit 1 when any is denied')
    .argument('<manifest...>', 'YAML or JSON files with Pods, workloads, RuntimeClasses')
    .requiredOption('--cluster-state <path>', 'snapshot of Nodes and RuntimeClasses (file or directory); repeatable', collect)
    .option('-c, --config <file>', 'YAML config file')
    .action(async (manifests: string[], opts: { clusterState: string[]; config?: string }) => {
      const config = await loadConfig(opts.config);
      const { state } = await loadSnapshot(opts.clusterState);
      const report = await checkFiles(manifests, state, config);
      for (const line of report.lines) process.stdout.write(`${line}\n`);
      process.stdout.write(`${report.checked} checked, ${report.denied} denied\n`);
      process.exitCode = report.denied > 0 ? 1 : 0;
    });

  program
    .command('manifests')
    .description("print wasmgate's MutatingWebhookConfiguration and ValidatingWebhookConfiguration for kubectl apply")
    .option('-c, --config <file>', 'YAML config file (the match conditions name its marker annotations)')
    .option('--url <url>', 'reach the webhook at this https URL base (local runs), instead of a Service')
    .option('--service <name>', 'Service name', 'wasmgate')
    .option('--namespace <ns>', "Service namespace (also excluded from admission, with kube-system)", 'wasmgate')
    .option('--ca-bundle <base64>', 'caBundle, as printed by `wasmgate certs`')
    .action(async (opts: { config?: string; url?: string; service: string; namespace: string; caBundle?: string }) => {
      const config = await loadConfig(opts.config);
      const client = opts.url !== undefined ? { url: opts.url } : { service: { name: opts.service, namespace: opts.namespace } };
      process.stdout.write(
        webhookYaml(config, {
          client: { ...client, ...(opts.caBundle === undefined ? {} : { caBundle: opts.caBundle }) },
          excludeNamespaces: [opts.namespace],
        }),
      );
    });

  program
    .command('audit')
    .description('run the rules over what already exists (Pods, workloads, RuntimeClasses): a snapshot or a live cluster')
    .option('--cluster-state <path>', 'snapshot files (Nodes, RuntimeClasses, Pods, workloads) instead of a live cluster; repeatable', collect)
    .option('--kubeconfig <file>', 'kubeconfig of the live cluster (default: in-cluster, then $KUBECONFIG)')
    .option('-c, --config <file>', 'YAML config file')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--fail-on <mode>', 'exit 1 when a finding of this mode or stricter exists').choices(['enforce', 'warn', 'audit', 'never']).default('enforce'))
    .action(async (opts: { clusterState?: string[]; kubeconfig?: string; config?: string; output: string; failOn: string }) => {
      const config = await loadConfig(opts.config);
      let report;
      if (opts.clusterState !== undefined) {
        const { state, objects } = await loadSnapshot(opts.clusterState);
        report = auditObjects(objects, state, config);
      } else {
        const kc = loadKubeConfig(opts.kubeconfig);
        const live = startLiveState({ kubeconfig: kc, log: () => {} });
        try {
          await live.synced;
          report = auditObjects(await listAudited(kc), live.state, config);
        } finally {
          await live.stop();
        }
      }
      process.stdout.write(opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatAudit(report));
      const order = ['enforce', 'warn', 'audit'];
      const limit = opts.failOn === 'never' ? -1 : order.indexOf(opts.failOn);
      process.exitCode = report.findings.some((f) => order.indexOf(f.mode) <= limit) ? 1 : 0;
    });

  program
    .command('playground')
    .description('local playground (npm start): a control plane on loopback, wasmgate against it, the examples applied')
    .option('--offline', 'no control plane: serve the example snapshot only', false)
    .option('-p, --port <n>', 'HTTPS port for wasmgate', port, 8443)
    .option('--dir <dir>', 'where the playground keeps its kubeconfig and certificates', '.playground')
    .option('--examples <dir>', 'examples directory', 'examples')
    .action(async (opts: { offline: boolean; port: number; dir: string; examples: string }) => {
      const running = await playground(opts);
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        process.stdout.write('stopping...\n');
        void running.stop().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });

  program
    .command('rules')
    .description('list the rules, their ids and default enforcement')
    .action(() => {
      for (const r of RULES) process.stdout.write(`${r.id.padEnd(34)} ${r.defaultMode.padEnd(8)} ${r.summary}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildCli().parseAsync(argv);
}
