/** `wasmgate audit`: the rules over what already exists, from a snapshot or a live cluster. */
import { Option, type Command } from 'commander';
import { auditObjects, formatAudit } from '../audit/audit.js';
import { listAudited } from '../audit/sources.js';
import { loadKubeConfig, startLiveState } from '../cluster/live.js';
import { loadSnapshot } from '../cluster/snapshot.js';
import { loadConfig } from '../config/config.js';
import { collect } from './options.js';

export function registerAudit(program: Command): void {
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
}
