/**
 * shim-missing: each registered runtime_type names a shim binary containerd can find: the
 * `containerd-shim-<name>-v<N>` its type maps to, in one of the directories on containerd's PATH
 * (or the absolute path it gives), executable.
 */
import { CONTAINERD_PATH, shimBinary } from '../containerd.js';
import type { NodeCheck } from './types.js';

export const shimMissing: NodeCheck = {
  id: 'shim-missing',
  summary: "each registered runtime_type's containerd-shim-<name>-v<N> is on containerd's PATH and executable",
  run({ config, findShim }) {
    const out: string[] = [];
    for (const r of config.registrations) {
      if (!r.effective || r.runtimeType === undefined || r.runtimeType === '') continue;
      const binary = shimBinary(r.runtimeType);
      const what = `Runtime ${r.name} in ${config.file} has runtime_type ${r.runtimeType}`;
      if (binary === undefined) {
        out.push(
          `${what}, from which containerd cannot derive a shim binary name: its pods fail at sandbox creation. Fix: use io.containerd.<shim>.v<N> (e.g. io.containerd.wasmtime.v1), or an absolute path to the shim.`,
        );
        continue;
      }
      const found = findShim(binary);
      const absolute = binary.startsWith('/');
      if (found === undefined) {
        out.push(
          absolute
            ? `${what}, but there is no file at that path: its pods fail at sandbox creation. Fix: install the shim at ${binary} (chmod +x), or point runtime_type at where it is.`
            : `${what}, but its shim ${binary} is in none of the ${CONTAINERD_PATH.length} directories on containerd's PATH (${CONTAINERD_PATH.join(', ')}): its pods fail at sandbox creation. ` +
                `Fix: install ${binary} into /usr/local/bin (chmod +x), or remove the runtime from the config.`,
        );
      } else if (!found.executable) {
        out.push(
          `${what}; its shim ${found.dir}/${found.file} exists but is not executable: its pods fail at sandbox creation. Fix: chmod +x ${found.dir}/${found.file}.`,
        );
      }
    }
    return out;
  },
};
