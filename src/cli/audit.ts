/** `wasmgate audit`: the rules over what already exists, from a snapshot or a live cluster. */
import { Option, type Command } from 'commander';
import { auditObjects, formatAudit, type AuditReport } from '../audit/audit.js';
import { refusesList } from '../cluster/access.js';
import { loadKubeConfig, startLiveState, type LiveState } from '../cluster/live.js';
import { loadSnapshot } from '../cluster/snapshot.js';
import { loadConfig } from '../config/config.js';
import { livePass } from '../report/background-audit.js';
import { httpClient } from '../report/http.js';
import { REPORT_APIS, buildReports, type ReportApi } from '../report/policy-report.js';
import { reportsYaml } from '../report/print.js';
import { createProgress } from '../report/progress.js';
import { chooseReportApi, writeReports, type ReportApiChoice } from '../report/writer.js';
import { collect } from './options.js';

interface AuditOpts {
  clusterState?: string[];
  kubeconfig?: string;
  config?: string;
  output: 'text' | 'json' | 'policyreport';
  failOn: string;
  apply?: boolean;
  reportApi: ReportApiChoice;
}

/**
 * The live cache's first sync, or an error naming each list the API server refuses: the cache
 * retries a refused list for as long as it runs (serve reports it on /readyz), which would leave a
 * one-shot audit waiting for ever.
 */
async function syncedOrRefused(live: LiveState, pollMs = 200): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const refused = new Promise<never>((_, reject) => {
    const check = (): void => {
      // a refused watch does not stop a one-shot audit; a refused list leaves it nothing to read
      const refusedLists = (live.state.status().problems ?? []).filter(refusesList);
      if (refusedLists.length > 0) reject(new Error(refusedLists.join('\n')));
      else timer = setTimeout(check, pollMs);
    };
    check();
  });
  try {
    await Promise.race([live.synced, refused]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('run the rules over what already exists (Pods, workloads, RuntimeClasses): a snapshot or a live cluster')
    .option(
      '--cluster-state <path>',
      'snapshot files (Nodes, RuntimeClasses, Pods, workloads) instead of a live cluster; repeatable',
      collect,
    )
    .option('--kubeconfig <file>', 'kubeconfig of the live cluster (default: in-cluster, then $KUBECONFIG)')
    .option('-c, --config <file>', 'YAML config file')
    .addOption(
      new Option('-o, --output <format>', 'output format (policyreport: the reports --apply would write, as YAML)')
        .choices(['text', 'json', 'policyreport'])
        .default('text'),
    )
    .addOption(
      new Option('--fail-on <mode>', 'exit 1 when a finding of this mode or stricter exists')
        .choices(['enforce', 'warn', 'audit', 'never'])
        .default('enforce'),
    )
    .option(
      '--apply',
      "write the findings to the live cluster as policy reports (replacing wasmgate's own, deleting those with no finding left)",
    )
    .addOption(
      new Option(
        '--report-api <api>',
        'report API for -o policyreport and --apply (auto: whichever CRD the cluster serves; a snapshot: wgpolicyk8s.io)',
      )
        .choices(['auto', ...REPORT_APIS])
        .default('auto'),
    )
    .action(async (opts: AuditOpts) => {
      const config = await loadConfig(opts.config);
      let report: AuditReport;
      let api: ReportApi = opts.reportApi === 'auto' ? 'wgpolicyk8s.io/v1alpha2' : opts.reportApi;
      if (opts.clusterState !== undefined) {
        if (opts.apply === true) throw new Error('--apply writes to a live cluster: drop --cluster-state');
        const { state, objects } = await loadSnapshot(opts.clusterState);
        report = auditObjects(objects, state, config);
      } else {
        const kc = loadKubeConfig(opts.kubeconfig);
        const live = startLiveState({ kubeconfig: kc, log: () => {}, trackPods: true });
        const progress = createProgress(process.stderr);
        try {
          await syncedOrRefused(live);
          // streamed: one page of each kind in memory at a time, owners listed before what they own
          const r = await livePass(kc, live.state, config, config.audit.pageSize, undefined, progress);
          report = { audited: r.audited, deduplicated: r.deduplicated, findings: r.findings };
        } finally {
          progress.done();
          await live.stop();
        }
        if (opts.output === 'policyreport' || opts.apply === true) api = await chooseReportApi(httpClient(kc), opts.reportApi);
        if (opts.apply === true) {
          const w = await writeReports(httpClient(kc), report.findings, { api, now: Date.now() });
          process.stderr.write(
            `${w.api}: ${w.created.length} created, ${w.updated.length} updated, ${w.deleted.length} deleted, ${w.unchanged} unchanged` +
              (w.skipped.length === 0 ? '' : `; not written: ${w.skipped.join('; ')}`) +
              '\n',
          );
        }
      }
      if (opts.output === 'policyreport')
        process.stdout.write(reportsYaml(buildReports(report.findings, { api, now: Date.now() }).reports));
      else process.stdout.write(opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatAudit(report));
      const order = ['enforce', 'warn', 'audit'];
      const limit = opts.failOn === 'never' ? -1 : order.indexOf(opts.failOn);
      process.exitCode = report.findings.some((f) => order.indexOf(f.mode) <= limit) ? 1 : 0;
    });
}
