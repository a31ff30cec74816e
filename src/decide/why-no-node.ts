/**
 * "No node to run on", explained from a NoNodeReport (src/scheduling/explain.ts): counts per label,
 * which affinity term or expression excluded the nodes, the nodes that are NotReady, cordoned,
 * tainted or lack the handler, and a fix for each reason. Text only: the facts come from the report.
 */
import type { Taint } from '../cluster/types.js';
import type { NoNodeReport, TermReport } from '../scheduling/explain.js';
import { tolerationFor } from '../scheduling/taints.js';
import { inReservedNamespace } from '../scheduling/well-known-labels.js';
import { formatPair, formatSelector, formatTaint, formatToleration, listNames, plural, sortedPairs } from './format.js';
import { count as thousands, LIST_ITEMS, listSome } from './limits.js';

export interface ExplainOptions {
  /** e.g. "Pod default/hello (RuntimeClass wasm1) has no node to run on" */
  headline: string;
  /** where a missing toleration should go, e.g. "spec.tolerations or the RuntimeClass's scheduling.tolerations" */
  tolerationField: string;
  /** the pod spec's field path (spec, spec.template.spec, ...), for affinity and nodeName */
  specField?: string;
  /** the RuntimeClass's handler, for the handler facts */
  handler?: string;
}

/** "runc and spin", or "the default handler" for kubelet's unnamed one */
function handlerNames(handlers: readonly string[]): string {
  return listNames(
    handlers.map((h) => (h === '' ? '(the default)' : h)),
    10,
  );
}

function tolerationFix(tainted: NoNodeReport['tainted'], field: string): string {
  const distinct = new Map<string, Taint>();
  for (const t of tainted) for (const taint of t.taints) distinct.set(formatTaint(taint), taint);
  const text = [...distinct.values()].slice(0, 3).map((t) => formatToleration(tolerationFor(t)));
  return `add the toleration${text.length === 1 ? '' : 's'} ${text.join(' and ')} to ${field}`;
}

function handlerFix(r: NoNodeReport, handler: string): string {
  const n = r.handlerMissing[0]!;
  return `install the ${handler} shim on ${n.node} and register it in containerd as runtime "${handler}" (kubelet then reports it in status.runtimeHandlers)`;
}

function termText(t: TermReport): string {
  const name = `term ${t.index + 1}`;
  if (t.never === 'it is empty') return `${name} is empty, and an empty term matches no node`;
  if (t.never !== undefined) return `${name} can never match (${t.never})`;
  const exclusions = t.expressions.filter((e) => e.excludes > 0).map((e) => `${e.text} excludes ${e.excludes} of them`);
  const all = t.expressions.map((e) => e.text).join(' AND ');
  return `${name} (${all}) matches none: ${exclusions.length === 0 ? 'its expressions exclude different nodes' : exclusions.join(', ')}`;
}

function explainNodeName(r: NoNodeReport, o: ExplainOptions, labelCmd: (pairs: [string, string][]) => string | undefined): string {
  const nn = r.nodeName!;
  const where = `${o.specField ?? 'spec'}.nodeName`;
  if (!nn.exists) {
    return (
      `${o.headline}: ${where} names node ${nn.name}, which does not exist (the scheduler is bypassed, so the pod would never start). ` +
      `Fix: name an existing node that has the runtime, or remove ${where} and let the scheduler choose.`
    );
  }
  const reasons: string[] = [];
  const fixes: string[] = [];
  if (nn.missingLabels.length > 0) {
    const pairs = sortedPairs(r.selector).filter(([k]) => nn.missingLabels.includes(k));
    reasons.push(`does not carry ${formatSelector(Object.fromEntries(pairs))} from the node selector`);
    const cmd = labelCmd(pairs);
    fixes.push(cmd === undefined ? 'name a node that carries it' : `label it, if it has the runtime: ${cmd.replace('<node>', nn.name)}`);
  }
  if (nn.affinityFails) {
    reasons.push(`does not match the required node affinity (${o.specField ?? 'spec'}.affinity.nodeAffinity)`);
    fixes.push('change the affinity or name a node it matches');
  }
  if (r.notReady.length > 0) {
    reasons.push('is NotReady');
    fixes.push('bring it back to Ready');
  }
  if (r.tainted.length > 0) {
    reasons.push(
      `has taints that are not tolerated (${r.tainted[0]!.taints.map(formatTaint).join(', ')}; kubelet checks NoExecute taints)`,
    );
    fixes.push(tolerationFix(r.tainted, o.tolerationField));
  }
  if (r.handlerMissing.length > 0 && o.handler !== undefined) {
    reasons.push(`reports the runtime handlers ${handlerNames(r.handlerMissing[0]!.handlers)} but not ${o.handler}`);
    fixes.push(handlerFix(r, o.handler));
  }
  fixes.push(`or name another node, or remove ${where}`);
  const reasonText = reasons.length === 1 ? reasons[0] : `${reasons.slice(0, -1).join(', ')} and ${reasons[reasons.length - 1]}`;
  return `${o.headline}: ${where} names node ${nn.name}, which ${reasonText}. Fix: ${fixes.join('; ')}.`;
}

/** "no node to run on" explained: counts per label, per reason, and the fix for each reason. */
export function explainNoUsableNode(r: NoNodeReport, o: ExplainOptions): string {
  const sel = formatSelector(r.selector);
  // only suggest labels an admin should add: keys in reserved namespaces are facts about a node
  // (kubernetes.io/arch) or what the reserved-label-keys rule tells them to replace
  const labelCmd = (pairs: [string, string][]): string | undefined => {
    const labelable = pairs.filter(([k]) => !inReservedNamespace(k));
    return labelable.length === 0
      ? undefined
      : `kubectl label nodes <node> ${listSome(
          labelable.map(([k, v]) => formatPair(k, v)),
          ' ',
        )}`;
  };
  const allCmd = labelCmd(sortedPairs(r.selector));
  if (r.nodeName !== undefined) return explainNodeName(r, o, labelCmd);
  if (r.totalNodes === 0) {
    return (
      `${o.headline}: the cluster has no nodes. Fix: join nodes that have the runtime installed` +
      (allCmd === undefined ? '.' : ` and label them: ${allCmd}.`)
    );
  }
  if (r.selectorMatches === 0) {
    // past LIST_ITEMS labels, the rarest ones: they are why nothing matches
    const perLabel = r.perLabel.length <= LIST_ITEMS ? r.perLabel : [...r.perLabel].sort((a, b) => a.count - b.count).slice(0, LIST_ITEMS);
    const counts = perLabel.map((l) => `${plural(l.count, 'node')} ${l.count === 1 ? 'carries' : 'carry'} ${formatPair(l.key, l.value)}`);
    if (perLabel.length < r.perLabel.length) counts.push(`${thousands(r.perLabel.length - perLabel.length)} more not listed`);
    return (
      `${o.headline}: no node matches the node selector ${sel} ` +
      `(of ${plural(r.totalNodes, 'node')}, ${counts.join(', ')}). ` +
      (allCmd === undefined
        ? 'Fix: change the node selector to labels that the nodes with the runtime carry.'
        : `Fix: label the nodes that have the runtime installed: ${allCmd}.`)
    );
  }
  const hasSelector = Object.keys(r.selector).length > 0;
  if (r.terms !== undefined && r.labelMatches === 0) {
    const scope = hasSelector
      ? `${plural(r.selectorMatches, 'node')} ${r.selectorMatches === 1 ? 'matches' : 'match'} the node selector ${sel}`
      : `the cluster has ${plural(r.totalNodes, 'node')}`;
    const them = r.selectorMatches === 1 ? 'it' : `all ${r.selectorMatches}`;
    return (
      `${o.headline}: ${scope}, but the required node affinity (${o.specField ?? 'spec'}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) ` +
      `excludes ${them}: ${r.terms.map(termText).join('; ')}. ` +
      `Fix: change a term so that it matches the nodes with the runtime, or label those nodes to match it.`
    );
  }
  const scope = hasSelector
    ? `${plural(r.labelMatches, 'node')} ${r.labelMatches === 1 ? 'matches' : 'match'} the node selector ${sel}${r.terms === undefined ? '' : ' and the required node affinity'}`
    : r.terms !== undefined
      ? `${plural(r.labelMatches, 'node')} ${r.labelMatches === 1 ? 'matches' : 'match'} the required node affinity`
      : r.labelMatches === 1
        ? "there is no node selector, so the cluster's only node qualifies"
        : `there is no node selector, so all ${r.labelMatches} nodes qualify`;
  const reasons: string[] = [];
  const fixes: string[] = [];
  // one matching node: "it is cordoned (n1)"; several: "2 are cordoned (n1 and n2)"
  const single = r.labelMatches === 1;
  const count = (n: number, one: string, many: string): string => (single ? `it ${one}` : `${n} ${n === 1 ? one : many}`);
  if (r.notReady.length > 0) {
    reasons.push(`${count(r.notReady.length, 'is', 'are')} NotReady (${listNames(r.notReady)})`);
    fixes.push(single ? 'bring it back to Ready' : 'bring a node back to Ready');
  }
  if (r.cordoned.length > 0) {
    reasons.push(`${count(r.cordoned.length, 'is', 'are')} cordoned (${listNames(r.cordoned)})`);
    fixes.push(`uncordon ${r.cordoned.length === 1 ? 'it' : 'one'}: kubectl uncordon ${r.cordoned[0]}`);
  }
  if (r.tainted.length > 0) {
    const shown = r.tainted.slice(0, 3).map((t) => `${t.node}: ${t.taints.map(formatTaint).join(', ')}`);
    const more = r.tainted.length > 3 ? ` and ${r.tainted.length - 3} more` : '';
    reasons.push(`${count(r.tainted.length, 'has', 'have')} taints that are not tolerated (${shown.join('; ')}${more})`);
    fixes.push(tolerationFix(r.tainted, o.tolerationField));
  }
  if (r.handlerMissing.length > 0 && o.handler !== undefined) {
    const shown = r.handlerMissing.slice(0, 3).map((h) => {
      const promised = sortedPairs(r.selector).filter(([k, v]) => h.labels[k] === v);
      return `${h.node}${promised.length === 0 ? '' : `, labelled ${formatSelector(Object.fromEntries(promised))}`}: ${handlerNames(h.handlers)}`;
    });
    const more = r.handlerMissing.length > 3 ? ` and ${r.handlerMissing.length - 3} more` : '';
    reasons.push(
      `${count(r.handlerMissing.length, 'reports', 'report')} runtime handlers without ${o.handler}, so pods placed there would fail with ` +
        `no runtime for "${o.handler}" is configured (${shown.join('; ')}${more})`,
    );
    fixes.push(handlerFix(r, o.handler));
  }
  if (allCmd !== undefined) fixes.push(`label another Ready node: ${allCmd}`);
  const reasonText = reasons.length === 1 ? reasons[0] : `${reasons.slice(0, -1).join(', ')} and ${reasons[reasons.length - 1]}`;
  return `${o.headline}: ${scope}, but ${reasonText}. Fix: ${fixes.join('; or ')}.`;
}
