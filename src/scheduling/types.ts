/**
 * The shapes the scheduling predicates work on, on top of the lean cluster records
 * (src/cluster/types.ts).
 */
import type { Labels, NodeInfo, Taint, Toleration } from '../cluster/types.js';

/** A Node as the scheduling predicates see it: the lean Node, which keeps the reported handlers. */
export type SchedNode = NodeInfo;

export type NodeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

/** One NodeSelectorRequirement, after parsing (see node-affinity.ts). */
export interface Requirement {
  readonly key: string;
  readonly operator: NodeSelectorOperator;
  readonly values: readonly string[];
  /** Gt/Lt: the parsed integer */
  readonly bound?: bigint;
}

/** One NodeSelectorTerm: expressions on labels and on fields (metadata.name), ANDed. */
export interface Term {
  /** position in nodeSelectorTerms, for messages */
  readonly index: number;
  readonly matchExpressions: readonly Requirement[];
  readonly matchFields: readonly Requirement[];
  /**
   * Why the term can never match (an empty term, or one that upstream fails to parse: an unknown
   * operator, a wrong number of values, a non-integer for Gt/Lt, a field other than metadata.name).
   */
  readonly never?: string;
}

/**
 * requiredDuringSchedulingIgnoredDuringExecution: the terms are ORed. An empty list matches no node,
 * as in k8s.io/component-helpers/scheduling/corev1/nodeaffinity.
 */
export interface RequiredAffinity {
  readonly terms: readonly Term[];
}

/** Everything that decides where one pod may run, in the scheduler's and kubelet's terms. */
export interface PlacementQuery {
  /** the pod's nodeSelector merged with its RuntimeClass's scheduling.nodeSelector */
  readonly selector: Labels;
  /** undefined: no required node affinity */
  readonly affinity: RequiredAffinity | undefined;
  /** the pod's tolerations plus its RuntimeClass's scheduling.tolerations */
  readonly tolerations: readonly Toleration[];
  /** the RuntimeClass's handler; undefined: no handler check */
  readonly handler: string | undefined;
  /** spec.nodeName: the scheduler is bypassed, kubelet's admission rule applies */
  readonly nodeName: string | undefined;
  /** wasmgate's stricter option: a node must also be Ready */
  readonly requireReady: boolean;
}

/** Why one node cannot take the pod, in the order the checks run. */
export type Unfit =
  | { readonly kind: 'name' }
  | { readonly kind: 'selector'; readonly key: string }
  | { readonly kind: 'affinity' }
  | { readonly kind: 'not-ready' }
  | { readonly kind: 'cordoned' }
  | { readonly kind: 'tainted'; readonly taints: readonly Taint[] }
  | { readonly kind: 'handler'; readonly reported: readonly string[] };
