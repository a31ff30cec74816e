/** Builders for the node doctor's table tests: facts in memory, no files. */
import type { NodeInfo, RuntimeClassInfo } from '../../../src/cluster/types.js';
import type { Config } from '../../../src/config/config.js';
import { configFacts, type DoctorFacts, type InstalledShim } from '../../../src/node/facts.js';
import { config, stateOf } from '../../harness/fixtures.js';

export const FILE = '/etc/containerd/config.toml';

export const V2_WASMTIME =
  'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\nruntime_type = "io.containerd.runc.v2"\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime]\nruntime_type = "io.containerd.wasmtime.v1"\n';

export function shim(file: string, dir = '/usr/local/bin', executable = true): InstalledShim {
  return { file, dir, executable };
}

export interface FactOpts {
  shims?: InstalledShim[];
  cluster?: { node?: NodeInfo; nodeName?: string; classes?: RuntimeClassInfo[]; config?: Config };
}

/** Facts for a config text (undefined: no file), shims found by name or absolute path in the list. */
export function factsOf(text: string | undefined, o: FactOpts = {}): DoctorFacts {
  const shims = o.shims ?? [];
  const c = o.cluster;
  return {
    root: '/',
    config: configFacts(text, FILE),
    shims,
    findShim: (binary) =>
      binary.startsWith('/') ? shims.find((s) => `${s.dir}/${s.file}` === binary) : shims.find((s) => s.file === binary),
    ...(c === undefined
      ? {}
      : {
          cluster: {
            source: 'the cluster state (1 file)',
            nodeName: c.nodeName ?? c.node?.name ?? 'wasm-1',
            node: c.node,
            runtimeClasses: c.classes ?? [],
            ctx: { state: stateOf(c.node === undefined ? [] : [c.node], c.classes ?? []), config: c.config ?? config() },
          },
        }),
  };
}

export function table(version: number, plugin: string, runtimes: Record<string, string>): string {
  return (
    `version = ${version}\n` +
    Object.entries(runtimes)
      .map(
        ([name, type]) =>
          `[plugins.${plugin === 'cri' ? 'cri' : JSON.stringify(plugin)}.containerd.runtimes.${name}]\nruntime_type = ${JSON.stringify(type)}\n`,
      )
      .join('')
  );
}
