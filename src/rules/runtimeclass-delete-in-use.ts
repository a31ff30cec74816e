/** runtimeclass-delete-in-use: deleting a RuntimeClass that running pods use. */
import { plural } from '../decide/format.js';
import type { Rule, RuntimeClassCheck } from '../decide/types.js';

const runtimeClassDeleted: RuntimeClassCheck = (rc, ctx) => {
  const pods = ctx.state.podsUsingRuntimeClass(rc.name);
  if (pods === undefined || pods === 0) return [];
  const one = pods === 1;
  return [
    `RuntimeClass ${rc.name} (handler ${rc.handler}) is used by ${plural(pods, 'pod')} that ${one ? 'has' : 'have'} not finished. ` +
      `Deleting the class does not stop ${one ? 'it' : 'them'}, but no new pod of this class can be created ` +
      `(pod rejected: RuntimeClass "${rc.name}" not found), so ${one ? 'its workload' : 'their workloads'} cannot replace or add pods. ` +
      `Fix: move the workloads to another RuntimeClass first, or keep the class. To list the pods: ` +
      `kubectl get pods -A -o jsonpath='{range .items[?(@.spec.runtimeClassName=="${rc.name}")]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}'`,
  ];
};

export const runtimeclassDeleteInUse: Rule = {
  id: 'runtimeclass-delete-in-use',
  summary: 'A RuntimeClass that running pods use is not deleted unnoticed.',
  defaultMode: 'warn',
  checks: { RuntimeClass: { DELETE: runtimeClassDeleted } },
};
