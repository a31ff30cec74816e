/**
 * kube-apiserver's own /metrics: Prometheus histograms read before and after a phase, subtracted,
 * and quantiles estimated the way Prometheus' histogram_quantile() does (linear within a bucket).
 */
import type { ApiClient } from '../api.js';

export interface Histogram {
  /** upper bounds, ascending, +Inf last */
  le: number[];
  /** cumulative counts per bound */
  counts: number[];
  sum: number;
  count: number;
}

export type Labels = Record<string, string>;

/** One sample line: name{labels} value */
function parseLine(line: string): { name: string; labels: Labels; value: number } | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)/.exec(line);
  if (m === null) return undefined;
  const labels: Labels = {};
  if (m[3] !== undefined) for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
  return { name: m[1]!, labels, value: Number(m[4]) };
}

/**
 * Sum the histogram `name` over every series whose labels include `match` (values: exact, or a
 * predicate), e.g. all webhooks of one type.
 */
export function histogram(text: string, name: string, match: Record<string, string | ((v: string) => boolean)>): Histogram {
  const buckets = new Map<number, number>();
  let sum = 0;
  let count = 0;
  const ok = (labels: Labels): boolean =>
    Object.entries(match).every(([k, v]) => (typeof v === 'function' ? v(labels[k] ?? '') : labels[k] === v));
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const s = parseLine(line);
    if (s === undefined || !ok(s.labels)) continue;
    if (s.name === `${name}_bucket`) {
      const le = s.labels['le'] === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels['le']);
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    } else if (s.name === `${name}_sum`) sum += s.value;
    else if (s.name === `${name}_count`) count += s.value;
  }
  const le = [...buckets.keys()].sort((a, b) => a - b);
  return { le, counts: le.map((b) => buckets.get(b)!), sum, count };
}

/** after − before (bucket by bucket) */
export function diff(after: Histogram, before: Histogram): Histogram {
  const prev = new Map(before.le.map((b, i) => [b, before.counts[i]!]));
  return {
    le: after.le,
    counts: after.counts.map((c, i) => c - (prev.get(after.le[i]!) ?? 0)),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** histogram_quantile(): the bucket holding rank q·count, linear interpolation inside it (seconds). */
export function quantile(h: Histogram, q: number): number {
  if (h.count <= 0 || h.le.length === 0) return Number.NaN;
  const rank = q * h.count;
  for (let i = 0; i < h.le.length; i++) {
    if (h.counts[i]! >= rank) {
      const upper = h.le[i]!;
      const lower = i === 0 ? 0 : h.le[i - 1]!;
      if (!Number.isFinite(upper)) return lower; // in +Inf: the highest finite bound, as Prometheus does
      const below = i === 0 ? 0 : h.counts[i - 1]!;
      const inBucket = h.counts[i]! - below;
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
  }
  return h.le[h.le.length - 2] ?? Number.NaN;
}

/** The share of observations at or below `bound` seconds (a bucket bound). */
export function fractionBelow(h: Histogram, bound: number): number {
  const i = h.le.indexOf(bound);
  return i < 0 || h.count <= 0 ? Number.NaN : h.counts[i]! / h.count;
}

export async function scrape(api: ApiClient): Promise<string> {
  return (await api.must('GET', '/metrics')).body;
}

/** The histograms one phase reports, as functions of a scrape. */
export const SERIES = {
  /** a whole pod create, as the API server times it */
  podCreate: (t: string) =>
    histogram(t, 'apiserver_request_duration_seconds', { verb: 'POST', resource: 'pods', subresource: '', dry_run: '' }),
  /** all of admission for pod creates: every plugin, policy and webhook (admit = mutating, validate) */
  admitStep: (t: string) =>
    histogram(t, 'apiserver_admission_step_admission_duration_seconds', { type: 'admit', operation: 'CREATE', rejected: 'false' }),
  validateStep: (t: string) =>
    histogram(t, 'apiserver_admission_step_admission_duration_seconds', { type: 'validate', operation: 'CREATE', rejected: 'false' }),
  /** webhook calls by type (admit = mutating, validating), summed over the webhooks of that type */
  webhookAdmit: (t: string) =>
    histogram(t, 'apiserver_admission_webhook_admission_duration_seconds', { type: 'admit', operation: 'CREATE' }),
  webhookValidate: (t: string) =>
    histogram(t, 'apiserver_admission_webhook_admission_duration_seconds', { type: 'validating', operation: 'CREATE' }),
};

/** Sum of a counter over series matching `match`. */
export function counter(text: string, name: string, match: Labels = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const s = parseLine(line);
    if (s === undefined || s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}
