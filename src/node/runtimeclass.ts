/**
 * `wasmgate node runtimeclass`: the RuntimeClass for a runtime registered on prepared nodes, with
 * the `kubectl label` command that marks those nodes. Reserved-namespace labels are refused by the
 * admission rule itself (src/rules/reserved-label-keys.ts), so the two always agree.
 */
import { stringify } from 'yaml';
import { MemoryState } from '../cluster/memory-state.js';
import type { RuntimeClassInfo, Toleration } from '../cluster/types.js';
import type { Config } from '../config/config.js';
import { formatSelector } from '../decide/format.js';
import { reservedLabelKeys } from '../rules/reserved-label-keys.js';
import { NodeUsageError } from './containerd.js';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validKey(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? '' : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== '' && (prefix.length > 253 || !NAME.test(prefix))) return false;
  return name.length > 0 && name.length <= 63 && LABEL_NAME.test(name);
}

/** --label key=value */
export function parseLabel(arg: string): [string, string] {
  const eq = arg.indexOf('=');
  const key = eq < 0 ? arg : arg.slice(0, eq);
  const value = eq < 0 ? '' : arg.slice(eq + 1);
  if (eq < 0 || !validKey(key) || (value !== '' && (value.length > 63 || !LABEL_NAME.test(value)))) {
    throw new NodeUsageError(`--label ${arg}: expected key=value with a Kubernetes label key and value, e.g. --label wasmtime-enabled=yes`);
  }
  return [key, value];
}

/** --toleration key[=value][:Effect]: Equal with a value, Exists without one */
export function parseToleration(arg: string): Toleration {
  const colon = arg.lastIndexOf(':');
  const effect = colon < 0 ? undefined : arg.slice(colon + 1);
  const kv = colon < 0 ? arg : arg.slice(0, colon);
  const eq = kv.indexOf('=');
  const key = eq < 0 ? kv : kv.slice(0, eq);
  if (!validKey(key) || (effect !== undefined && !EFFECTS.includes(effect))) {
    throw new NodeUsageError(
      `--toleration ${arg}: expected key[=value][:effect] with effect ${EFFECTS.join(', ')}, e.g. --toleration wasm=true:NoSchedule`,
    );
  }
  return {
    key,
    ...(eq < 0 ? { operator: 'Exists' } : { operator: 'Equal', value: kv.slice(eq + 1) }),
    ...(effect === undefined ? {} : { effect }),
  };
}

export interface RuntimeClassRequest {
  readonly name: string;
  readonly handler: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
}

/** The admission rule's messages for this class; empty when it may be created. */
export function reservedLabelProblems(req: RuntimeClassRequest, config: Config): string[] {
  const rc: RuntimeClassInfo = { name: req.name, handler: req.handler, labels: {}, nodeSelector: req.labels, tolerations: req.tolerations };
  const state = new MemoryState('snapshot', 'none');
  return (reservedLabelKeys.checks.RuntimeClass?.CREATE?.(rc, { state, config }) ?? []).map((m) => `[${reservedLabelKeys.id}] ${m}`);
}

/** The YAML, headed by the label command as a comment (so the output can go to kubectl apply -f -). */
export function runtimeClassYaml(req: RuntimeClassRequest): string {
  const scheduling: Record<string, unknown> = { nodeSelector: { ...req.labels } };
  if (req.tolerations.length > 0) scheduling['tolerations'] = req.tolerations.map((t) => ({ ...t }));
  const doc = { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: req.name }, handler: req.handler, scheduling };
  return (
    `# Label each node whose containerd registers runtime ${req.handler} (wasmgate node doctor checks it), then apply this:\n` +
    `#   ${labelCommand(req)}\n` +
    stringify(doc, { lineWidth: 0, version: '1.1' })
  );
}

export function labelCommand(req: RuntimeClassRequest): string {
  return `kubectl label nodes <node> ${formatSelector(req.labels).replace(/, /g, ' ')}`;
}
