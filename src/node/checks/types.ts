import type { DoctorFacts } from '../facts.js';

/** One doctor check: its id (printed as [id] before each finding), what it checks, and the findings. */
export interface NodeCheck {
  readonly id: string;
  readonly summary: string;
  /** needs --kubeconfig or --cluster-state */
  readonly needsCluster?: boolean;
  /** findings, each a complete sentence ending with "Fix: ..." */
  run(facts: DoctorFacts): string[];
}
