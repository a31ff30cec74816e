/**
 * config-readable: containerd can read the config file at all, and its `version` is one it knows.
 * (A file without `version` is read as version 1 by every release: that is reported in the
 * header, and runtime-ignored-path reports tables written for another version.)
 */
import type { NodeCheck } from './types.js';

export const configReadable: NodeCheck = {
  id: 'config-readable',
  summary: 'the containerd config file exists, is valid TOML, and has a version containerd reads',
  run({ config }) {
    if (config.status === 'missing') {
      return [
        `${config.file} does not exist: containerd runs with its built-in defaults, which register no Wasm runtime. ` +
          `Fix: containerd config default > ${config.file}, then wasmgate node config --runtime <name> --merge ${config.file}, and restart containerd.`,
      ];
    }
    if (config.status === 'invalid') {
      const e = config.parseError!;
      return [
        `${config.file} is not valid TOML${e.line === undefined ? '' : ` at line ${e.line}`} (${e.detail}): containerd will not start with it. ` +
          `Fix: correct ${e.line === undefined ? 'the file' : `line ${e.line}`}, or start again from containerd config default.`,
      ];
    }
    if (config.version?.kind === 'invalid') {
      return [
        `${config.file} has version = ${config.version.raw}, which no containerd release reads (1 and 2: containerd 1.x; 2, 3 and 4: containerd 2.x): containerd will not start with it. ` +
          `Fix: set version to the one its tables were written for: 2 for plugins."io.containerd.grpc.v1.cri", 3 for plugins."io.containerd.cri.v1.runtime".`,
      ];
    }
    return [];
  },
};
