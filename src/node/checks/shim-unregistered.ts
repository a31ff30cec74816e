/**
 * shim-unregistered: every containerd-shim-<name>-v<N> installed on containerd's PATH is named by
 * some runtime_type. containerd's own runc shims are left out (its default config registers runc).
 */
import { isContainerdOwnShim, runtimeArg, runtimeTypeOfShim, shimBinary, KNOWN_RUNTIMES } from '../containerd.js';
import type { NodeCheck } from './types.js';

export const shimUnregistered: NodeCheck = {
  id: 'shim-unregistered',
  summary: "every containerd-shim-<name>-v<N> installed on containerd's PATH is registered as a runtime",
  run({ config, shims }) {
    if (config.status === 'invalid') return [];
    const named = new Set(config.registrations.filter((r) => r.runtimeType !== undefined).map((r) => shimBinary(r.runtimeType!)));
    const seen = new Set<string>();
    const out: string[] = [];
    for (const s of shims) {
      const type = runtimeTypeOfShim(s.file);
      if (type === undefined || isContainerdOwnShim(s.file) || seen.has(s.file)) continue;
      seen.add(s.file);
      if (named.has(s.file) || named.has(`${s.dir}/${s.file}`)) continue;
      const name =
        Object.keys(KNOWN_RUNTIMES).find((n) => KNOWN_RUNTIMES[n] === type) ??
        s.file.replace(/^containerd-shim-/, '').replace(/-v[0-9]+$/, '');
      out.push(
        `${s.file} is installed in ${s.dir}, but no runtime in ${config.file}${config.effective === undefined ? '' : ` (version ${config.effective})`} has runtime_type ${type}: ` +
          `containerd does not offer it to Kubernetes. Fix: wasmgate node config --runtime ${runtimeArg(name, type)} --merge ${config.file}, then restart containerd; or remove the binary if it is not meant to be used.`,
      );
    }
    return out;
  },
};
