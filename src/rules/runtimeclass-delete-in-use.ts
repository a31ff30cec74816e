/** runtimeclass-delete-in-use: deleting a RuntimeClass that running pods use. */
import { plural } from './format.js';
import type { Rule } from './types.js';

export const runtimeclassDeleteInUse: Rule = {
  id: 'runtimeclass-delete-in-use',
  summary: 'A RuntimeClass that running pods use is not deleted unnoticed.',
  defaultMode: 'warn',
  runtimeClassDelete(rc, ctx) {
    const pods = ctx.state.podsUsingRuntimeClass(rc.name);
    if (pods === undefined || pods === 0) return [];
    return [
      `RuntimeClass ${rc.name} (handler ${rc.handler}) is used by ${plural(pods, 'running pod')}. They keep running, but ` +
        `replacements cannot be created (pod rejected: RuntimeClass "${rc.name}" not found) and their workloads will stall. ` +
        `Fix: move the workloads to another RuntimeClass first (kubectl get pods -A -o json | jq to find those with ` +
        `spec.runtimeClassName=${rc.name}), or keep the class.`,
    ];
  },
};
