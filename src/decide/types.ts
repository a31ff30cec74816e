import type { ClusterState, Labels, NodeInfo, RuntimeClassInfo, Toleration } from '../cluster/types.js';
import type { Config, Mode, RuleId } from '../config/config.js';
import type { AdmissionVerdict } from '../review/response.js';
import type { PlacementCache } from './placement.js';

export type { Mode, RuleId };

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
  /** one annotation, read without copying them all (a pod may carry very many) */
  annotation(key: string): string | undefined;
  readonly spec: Readonly<Record<string, unknown>>;
  /**
   * spec.nodeSelector and spec.tolerations, read once per request (on first use, after the engine
   * has checked their size against config.limits) and shared by every rule.
   */
  readonly nodeSelector: Labels;
  readonly tolerations: readonly Toleration[];
  /** the pod was created by a controller (has a controller ownerReference) */
  readonly ownedByController: boolean;
  /**
   * placementFor's answers for this request (src/decide/placement.ts), by requireReady and class.
   * A field of the target, not a module-level WeakMap keyed by it: V8's scavenger keeps a WeakMap's
   * young values alive, so every review's placements were promoted to the old generation (206 KB
   * per scavenge in a loop of validate(), 6 KB without; bench/results.md, issue 13 notes).
   */
  placements: PlacementCache | undefined;
}

/** Why a pod target counts as Wasm, and what it asks for. */
export interface WasmIntent {
  /** the marker annotation that matched, if any */
  readonly annotation?: string;
  /** its value ('' for crun's marker, which means auto) */
  readonly value?: string;
  /** spec.runtimeClassName as set on the object */
  readonly runtimeClassName?: string;
  /**
   * Recognised from the images (imageDetection, src/images/intent.ts): the handlers that run them.
   * `value` is then the RuntimeClass configured for them ('' when none is).
   */
  readonly handlers?: readonly string[];
}

/** A rule's verdict on one subject: zero or more messages, each a complete sentence with its fix. */
export type Messages = string[];

/** A Wasm pod or pod template (of any kind with a pod spec, src/kinds/registry.ts), as admitted. */
export type PodTemplateCheck = (target: PodTarget, intent: WasmIntent, ctx: RuleContext) => Messages;
/** A RuntimeClass as admitted; on DELETE, the class being deleted. */
export type RuntimeClassCheck = (rc: RuntimeClassInfo, ctx: RuleContext) => Messages;
/** A Node change, with the lean old and new node. */
export type NodeUpdateCheck = (oldNode: NodeInfo, newNode: NodeInfo, ctx: RuleContext) => Messages;

/**
 * What a rule checks, by subject and operation (as controller-runtime's CustomValidator has
 * ValidateCreate/Update/Delete). The engine runs, for each admitted request, the check at
 * checks[subject][operation] of every rule, if there is one. The operations a kind is admitted for
 * come from the kinds registry (a Pod is only admitted on CREATE; its spec is immutable after).
 */
export interface RuleChecks {
  readonly podTemplate?: { readonly CREATE?: PodTemplateCheck; readonly UPDATE?: PodTemplateCheck };
  readonly RuntimeClass?: { readonly CREATE?: RuntimeClassCheck; readonly UPDATE?: RuntimeClassCheck; readonly DELETE?: RuntimeClassCheck };
  readonly Node?: { readonly UPDATE?: NodeUpdateCheck };
}

export type Subject = keyof RuleChecks;

/** The check signature of each subject. */
export interface CheckOf {
  podTemplate: PodTemplateCheck;
  RuntimeClass: RuntimeClassCheck;
  Node: NodeUpdateCheck;
}

export interface Rule {
  readonly id: RuleId;
  /** one line for docs and `wasmgate rules` */
  readonly summary: string;
  readonly defaultMode: Mode;
  readonly checks: RuleChecks;
}

/** Who produced a finding: a rule, or the engine's size check (src/decide/limits.ts). */
export type FindingSource = RuleId | 'limits';

export interface Finding {
  readonly rule: FindingSource;
  readonly mode: Mode;
  readonly message: string;
}

/** What the engine decides: the verdict the HTTP layer encodes, and the findings behind it. */
export interface Decision extends AdmissionVerdict {
  findings: Finding[];
}
