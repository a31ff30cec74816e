import type { ClusterState, NodeInfo, RuntimeClassInfo } from '../cluster/types.js';
import type { Config, Mode, RuleId } from '../config/config.js';

export type { Mode, RuleId };

/** The slice of an AdmissionRequest that decisions read (see src/review/envelope.ts). */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  name?: string;
  namespace?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface RuleContext {
  readonly state: ClusterState;
  readonly config: Config;
}

/**
 * One pod spec inside an admitted object: the Pod itself, or a workload's pod template.
 * `spec` and `annotations` are views into the raw request JSON; rules only read them.
 */
export interface PodTarget {
  /** kind of the admitted object: Pod, Deployment, CronJob, ... */
  readonly kind: string;
  readonly namespace: string;
  /** name, or generateName followed by '*' when the name is not known yet */
  readonly name: string;
  /** JSON pointer to the pod spec: /spec, /spec/template/spec, /spec/jobTemplate/spec/template/spec */
  readonly specPointer: string;
  /** the same as a field path for messages: spec, spec.template.spec, ... */
  readonly specField: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: Readonly<Record<string, unknown>>;
  /** the pod was created by a controller (has a controller ownerReference) */
  readonly ownedByController: boolean;
}

/** Why a pod target counts as Wasm, and what it asks for. */
export interface WasmIntent {
  /** the marker annotation that matched, if any */
  readonly annotation?: string;
  /** its value ('' for crun's marker, which means auto) */
  readonly value?: string;
  /** spec.runtimeClassName as set on the object */
  readonly runtimeClassName?: string;
}

/** A rule's verdict on one subject: zero or more messages, each a complete sentence with its fix. */
export type Messages = string[];

export interface PodRuleCheck {
  (target: PodTarget, intent: WasmIntent, ctx: RuleContext): Messages;
}

export interface Rule {
  readonly id: RuleId;
  /** one line for docs and `wasmgate rules` */
  readonly summary: string;
  readonly defaultMode: Mode;
  /** Wasm pods and pod templates, on validation */
  readonly pod?: PodRuleCheck;
  /** RuntimeClass CREATE/UPDATE */
  readonly runtimeClass?: (rc: RuntimeClassInfo, ctx: RuleContext) => Messages;
  /** RuntimeClass DELETE */
  readonly runtimeClassDelete?: (rc: RuntimeClassInfo, ctx: RuleContext) => Messages;
  /** Node UPDATE, with the lean old and new node */
  readonly nodeUpdate?: (oldNode: NodeInfo, newNode: NodeInfo, ctx: RuleContext) => Messages;
}

export interface Finding {
  readonly rule: RuleId;
  readonly mode: Mode;
  readonly message: string;
}

export interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

/** What the engine decides; the HTTP layer encodes it as an AdmissionResponse. */
export interface Decision {
  allowed: boolean;
  /** denial text, when not allowed */
  message?: string;
  warnings: string[];
  auditAnnotations: Record<string, string>;
  patch?: JsonPatchOp[];
  findings: Finding[];
}
