/**
 * A ClusterState that answers from one source and can be pointed at another while the server
 * runs: the playground serves the example snapshot at once and switches to the live cluster when
 * it is up, without restarting the HTTPS server (which, like the metrics, holds this object).
 */
import type { ClusterState, Labels, NodeInfo, RuntimeClassInfo, SyncStatus } from '../cluster/types.js';

export class SwitchableState implements ClusterState {
  constructor(private source: ClusterState) {}

  /** The source decisions read now. */
  get current(): ClusterState {
    return this.source;
  }

  /** From now on every decision reads `next`. */
  switchTo(next: ClusterState): void {
    this.source = next;
  }

  get kind(): ClusterState['kind'] {
    return this.current.kind;
  }

  status(): SyncStatus {
    return this.current.status();
  }

  getRuntimeClass(name: string): RuntimeClassInfo | undefined {
    return this.current.getRuntimeClass(name);
  }

  listRuntimeClasses(): readonly RuntimeClassInfo[] {
    return this.current.listRuntimeClasses();
  }

  getNode(name: string): NodeInfo | undefined {
    return this.current.getNode(name);
  }

  nodeCount(): number {
    return this.current.nodeCount();
  }

  nodesMatching(selector: Labels): Iterable<NodeInfo> {
    return this.current.nodesMatching(selector);
  }

  countWithLabel(key: string, value: string): number {
    return this.current.countWithLabel(key, value);
  }

  podsUsingRuntimeClass(name: string): number | undefined {
    return this.current.podsUsingRuntimeClass(name);
  }
}
