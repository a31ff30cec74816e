/**
 * The rule registry: every rule wasmgate runs, in the order their messages appear. A rule's id,
 * summary, default mode, checks and messages live in its own file; config.schema.json's enum of
 * rule ids is checked against this list (test/unit/rules/registry.test.ts).
 */
import { daemonsetSelectsRuntimeNodes } from './daemonset-selects-runtime-nodes.js';
import { nodeChangeStrandsRuntimeclass } from './node-change-strands-runtimeclass.js';
import { nodesAvailable } from './nodes-available.js';
import { reservedLabelKeys } from './reserved-label-keys.js';
import { runtimeclassAssigned } from './runtimeclass-assigned.js';
import { runtimeclassDeleteInUse } from './runtimeclass-delete-in-use.js';
import { runtimeclassExists } from './runtimeclass-exists.js';
import { runtimeclassHasSelector } from './runtimeclass-has-selector.js';
import { runtimeclassSelectorMatches } from './runtimeclass-selector-matches.js';
import { selectorConflict } from './selector-conflict.js';
import type { Rule } from '../decide/types.js';

export const RULES: readonly Rule[] = [
  runtimeclassAssigned,
  runtimeclassExists,
  selectorConflict,
  reservedLabelKeys,
  nodesAvailable,
  runtimeclassHasSelector,
  daemonsetSelectsRuntimeNodes,
  runtimeclassSelectorMatches,
  nodeChangeStrandsRuntimeclass,
  runtimeclassDeleteInUse,
];
