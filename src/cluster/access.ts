/**
 * A 401 or 403 from the API server on a list or a watch, said plainly: which verb on which
 * resource wasmgate could not use, as whom, and where to grant it. The verb comes from the request
 * (list or watch), the resource and its scope from the kinds registry, the user from the API
 * server's Status (its message names the user: `nodes is forbidden: User "system:serviceaccount:
 * wasmgate:wasmgate" cannot watch resource "nodes" ...`). The reflector records one of these per
 * kind; /readyz lists them and the log has one line per change.
 */
import type { KindRecord, Verb } from '../kinds/registry.js';
import { isRecord, str } from '../objects/json.js';

/** Longest user name quoted from an API server's answer (Kubernetes names are far shorter). */
const USER_LIMIT = 256;

/** Is this HTTP status an authentication or authorization refusal? */
export function isAccessDenied(statusCode: number): statusCode is 401 | 403 {
  return statusCode === 401 || statusCode === 403;
}

/**
 * The user a Status body names, if any: its `message` says `User "..."` (its `details` carry only
 * the resource's group and kind, never the user). Control characters and over-long names are not
 * quoted: the answer is not trusted text.
 */
export function statusUser(body: string): string | undefined {
  let status: unknown;
  try {
    status = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(status)) return undefined;
  const user = /\bUser "((?:[^"\\]|\\.)*)"/.exec(str(status['message']) ?? '')?.[1]?.replaceAll('\\"', '"');
  const control = [...(user ?? '')].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (user === undefined || user === '' || user.length > USER_LIMIT || control) return undefined;
  return user;
}

/** Whether a problem accessProblem() wrote is about a refused list (its text starts with what()). */
export function refusesList(problem: string): boolean {
  return problem.startsWith('cannot list ');
}

/** `cannot watch nodes (cluster scope)`, `cannot list pods (all namespaces)`. */
function what(k: KindRecord, verb: Verb): string {
  const resource = k.group === '' ? k.resource : `${k.resource}.${k.group}`;
  return `cannot ${verb} ${resource} (${k.scope === 'Cluster' ? 'cluster scope' : 'all namespaces'})`;
}

/** Who the API server refused: the ServiceAccount x, the user "y", or wasmgate's credentials. */
function who(user: string | undefined): { subject: string; plural: boolean } {
  const sa = /^system:serviceaccount:[^:]+:[^:]+$/.test(user ?? '');
  if (user === undefined) return { subject: "wasmgate's credentials", plural: true };
  return { subject: sa ? `the ServiceAccount ${user}` : `the user "${user}"`, plural: false };
}

/**
 * The problem to report for a 401 or 403 answered to `verb` on kind `k`; `body` is the API
 * server's answer (a Status object, or anything).
 */
export function accessProblem(k: KindRecord, verb: Verb, statusCode: 401 | 403, body: string): string {
  if (statusCode === 401) {
    return (
      `${what(k, verb)}: the API server does not accept wasmgate's credentials (401 Unauthorized) — ` +
      'the ServiceAccount token or the kubeconfig user is expired, revoked or meant for another cluster'
    );
  }
  const { subject, plural } = who(statusUser(body));
  const on = k.group === '' ? `"${k.resource}"` : `"${k.resource}" in API group "${k.group}"`;
  return (
    `${what(k, verb)}: ${subject} ${plural ? 'lack' : 'lacks'} the "${verb}" verb on ${on} — ` +
    "grant it in the ClusterRole (the chart's templates/rbac.yaml; wasmgate manifests --rbac prints what is needed)"
  );
}

/** The log line when a kind's access problem appears or changes (once, not on every retry). */
export function accessDeniedLine(problem: string): string {
  return `access denied: ${problem}; retrying with backoff, /readyz answers 503 until it is granted`;
}

/** The log line when the verb is allowed again and the kind's problem is cleared. */
export function accessRestoredLine(k: KindRecord, verb: Verb): string {
  return `access restored: ${what(k, verb).replace(/^cannot /, 'can ')} again`;
}
