/**
 * runtime-ignored-path: every runtime table is under the CRI plugin path of the file's version.
 * containerd drops runtimes under another version's path without a word (which releases do, see
 * ignoredBy); pods of that handler then fail with `no runtime for "<name>" is configured`.
 */
import { CRI_PLUGIN, ignoredBy, runtimeArg, runtimePath, runtimesPath } from '../containerd.js';
import type { NodeCheck } from './types.js';

export const runtimeIgnoredPath: NodeCheck = {
  id: 'runtime-ignored-path',
  summary: "runtimes are registered under the plugin path the config's version reads",
  run({ config }) {
    const v = config.effective;
    if (config.status !== 'ok' || v === undefined) return [];
    const versionText = config.version?.kind === 'missing' ? 'version 1: it has no version key' : `version ${v}`;
    return config.registrations
      .filter((r) => !r.effective)
      .map((r) => {
        const right = runtimePath(CRI_PLUGIN[v], r.name);
        const redo =
          r.runtimeType === undefined
            ? ''
            : ` (wasmgate node config --runtime ${runtimeArg(r.name, r.runtimeType)} --merge ${config.file} prints the file with it added)`;
        return (
          `${config.file} (${versionText}) registers runtime ${r.name} under ${r.path}, not under version ${v}'s ${runtimesPath(CRI_PLUGIN[v])}: ` +
          `${ignoredBy(v, r.plugin)}, and where it is ignored, pods of RuntimeClasses with handler ${r.name} fail with no runtime for "${r.name}" is configured. ` +
          `Fix: move the table to ${right}${redo}, then restart containerd.`
        );
      });
  },
};
