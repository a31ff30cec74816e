/** `audit -o policyreport`: the reports as YAML documents that `kubectl apply -f -` takes. */
import { stringify } from 'yaml';
import type { PolicyReportObject } from './policy-report.js';

export function reportsYaml(reports: readonly PolicyReportObject[]): string {
  if (reports.length === 0) return '';
  return reports.map((r) => stringify(r, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
