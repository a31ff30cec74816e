/**
 * The real scheduler is the judge: random small clusters and Wasm pods (test/parity/cases.ts) are
 * created in a real kube-apiserver with kube-scheduler running, and wasmgate's pure verdict ("a
 * usable node exists") must agree with what the scheduler does: the pod is bound, or it is
 * Unschedulable. The handler check, which the scheduler does not know, is judged by kubelet's rule
 * (see test/parity/objects.ts). PARITY_CASES (default 300) and PARITY_SEED choose the run;
 * `npm run parity` runs 3,000.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sampleCases } from '../parity/cases.js';
import { runParity } from '../parity/runner.js';
import { useControlPlane } from '../harness/controlplane.js';

const CASES = Number(process.env['PARITY_CASES'] ?? 300);
const SEED = Number(process.env['PARITY_SEED'] ?? 20261128);

describe('scheduler parity', () => {
  const cp = useControlPlane({
    // without a node lifecycle controller nothing would remove the not-ready taint this plugin adds
    // on create; the generated nodes carry the taints that controller would set
    apiServerArgs: ['--disable-admission-plugins=TaintNodesByCondition'],
    schedulerArgs: ['--kube-api-qps=500', '--kube-api-burst=1000'],
  });

  it(
    `agrees with kube-scheduler (and kubelet's handler rule) on ${CASES} random clusters`,
    async () => {
      const cases = sampleCases(CASES, SEED);
      const report = await runParity(cp, cases, 50, (s) => process.stderr.write(`[parity] ${s}\n`));
      const summary = {
        seed: SEED,
        cases: report.cases,
        pods: report.pods,
        seconds: report.seconds,
        agree: {
          conflict: report.results.filter((r) => r.agree.conflict).length,
          scheduler: report.results.filter((r) => r.agree.sched).length,
          handler: report.results.filter((r) => r.agree.handler).length,
        },
        outcomes: {
          rejected: report.results.filter((r) => r.sched.kind === 'rejected').length,
          bound: report.results.filter((r) => r.sched.kind === 'bound').length,
          unschedulable: report.results.filter((r) => r.sched.kind === 'unschedulable').length,
          handlerTwinBound: report.results.filter((r) => r.handler.kind === 'bound').length,
          nodeName: cases.flatMap((c) => c.pods).filter((p) => p.nodeName !== undefined).length,
        },
        disagreements: report.disagreements.length,
      };
      process.stderr.write(`[parity] ${JSON.stringify(summary)}\n`);
      const out = process.env['PARITY_REPORT'];
      if (out !== undefined && out !== '') {
        const byId = new Map(cases.map((c) => [c.id, c]));
        writeFileSync(
          out,
          JSON.stringify({ summary, disagreements: report.disagreements.map((d) => ({ ...d, case: byId.get(d.caseId) })) }, null, 2),
        );
      }
      // the generator must exercise every outcome, or agreement proves little
      expect(summary.outcomes.bound).toBeGreaterThan(0);
      expect(summary.outcomes.unschedulable).toBeGreaterThan(0);
      expect(summary.outcomes.rejected).toBeGreaterThan(0);
      expect(report.otherRejections.map((r) => `${r.pod}: ${JSON.stringify(r.sched)}`)).toEqual([]);
      expect(
        report.disagreements.map(
          (d) => `${d.caseId}/${d.pod}: ${JSON.stringify({ verdict: d.verdict, sched: d.sched, handler: d.handler })}`,
        ),
      ).toEqual([]);
    },
    Math.max(600_000, CASES * 2_000),
  );
});
