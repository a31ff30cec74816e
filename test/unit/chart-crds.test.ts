/**
 * The chart's policy-report CRDs (charts/wasmgate/files/crds/, rendered by `crds.install`) are
 * byte-for-byte copies of deploy/crds/ (hack/reports/crds.sh writes both from the projects' Go
 * modules), and they are exactly the CRDs of the report APIs wasmgate writes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHART_DIR, CRD_GROUPS } from '../../src/deploy/chart.js';
import { REPORT_APIS, reportKinds } from '../../src/report/policy-report.js';

const REPO = join(import.meta.dirname, '../..');
const DEPLOY = join(REPO, 'deploy/crds');
const CHART_CRDS = join(REPO, CHART_DIR, 'files/crds');
const yamls = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

describe('charts/wasmgate/files/crds', () => {
  it('holds the same files as deploy/crds (run bash hack/reports/crds.sh to rewrite both)', () => {
    expect(yamls(CHART_CRDS)).toEqual(yamls(DEPLOY));
    expect(yamls(DEPLOY)).toHaveLength(4);
  });

  for (const name of yamls(DEPLOY)) {
    it(`${name} equals deploy/crds/${name} byte for byte`, () => {
      const chart = readFileSync(join(CHART_CRDS, name));
      const deploy = readFileSync(join(DEPLOY, name));
      // Buffer.equals: a difference in a byte (line ending, trailing newline) fails too
      expect(chart.equals(deploy), `charts/wasmgate/files/crds/${name} differs from deploy/crds/${name}`).toBe(true);
    });
  }

  it('are the CRDs of the report APIs wasmgate writes: kinds, plurals, scope and served version', () => {
    const crds = yamls(CHART_CRDS).map((f) => ({ file: f, doc: parse(readFileSync(join(CHART_CRDS, f), 'utf8')) }));
    const got = crds.map(({ file, doc }) => {
      // templates/crds.yaml selects files by the "<group>_" prefix of their name
      expect(file.startsWith(`${doc.spec.group}_`), file).toBe(true);
      const served = doc.spec.versions.filter((v: { served: boolean }) => v.served).map((v: { name: string }) => v.name);
      return `${doc.spec.group} ${doc.spec.names.kind} ${doc.spec.names.plural} ${doc.spec.scope} ${served.join(',')}`;
    });
    const want = REPORT_APIS.flatMap((api) => {
      const k = reportKinds(api);
      return [
        `${k.group} ${k.cluster.kind} ${k.cluster.plural} Cluster ${k.version}`,
        `${k.group} ${k.namespaced.kind} ${k.namespaced.plural} Namespaced ${k.version}`,
      ];
    });
    expect(got.sort()).toEqual(want.sort());
    expect([...CRD_GROUPS].sort()).toEqual([...new Set(crds.map((c) => c.doc.spec.group as string))].sort());
  });

  it('values.schema.json takes crds.groups from those groups only, at least one, no repeats', () => {
    const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(join(REPO, CHART_DIR, 'values.schema.json'), 'utf8')));
    const ok = (crds: object): boolean => validate({ crds });
    expect(ok({ install: true, groups: ['openreports.io'], keep: false })).toBe(true);
    expect(ok({ install: true, groups: ['wgpolicyk8s.io', 'openreports.io'] })).toBe(true);
    expect(ok({ groups: ['kyverno.io'] })).toBe(false);
    expect(ok({ groups: [] })).toBe(false);
    expect(ok({ groups: ['openreports.io', 'openreports.io'] })).toBe(false);
    expect(ok({ install: 'yes' })).toBe(false);
    expect(ok({ enabled: true })).toBe(false);
  });
});
