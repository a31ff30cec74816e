/**
 * What containerd does with a config.toml, as far as runtime registration goes: which config
 * version reads runtimes from which plugin table, and which shim binary a runtime_type names.
 *
 * Checked against real containerd (1.6 from Debian, 1.7 and 2.4 built from their modules) in
 * test/containerd/, and against containerd's source for 2.0-2.3:
 *   version 1 (containerd 1.x; a file without `version`):  plugins.cri.containerd.runtimes.<name>
 *   version 2 (containerd 1.x; 2.x migrates it):            plugins."io.containerd.grpc.v1.cri".containerd.runtimes.<name>
 *   version 3 (containerd 2.x) and 4 (2.3 and later):       plugins."io.containerd.cri.v1.runtime".containerd.runtimes.<name>
 * A runtime elsewhere is dropped by some or all releases (ignoredBy says which): containerd 2.x
 * migrates plugins."io.containerd.grpc.v1.cri" only from files older than its own config version
 * (3 in 2.0-2.2, 4 from 2.3), and no release after 1.x's version 1 reads plugins.cri.
 */

export type ConfigVersion = 1 | 2 | 3 | 4;
export const CONFIG_VERSIONS: readonly ConfigVersion[] = [1, 2, 3, 4];

/** The CRI plugin whose `containerd.runtimes` table a config of this version registers runtimes in. */
export const CRI_PLUGIN: Readonly<Record<ConfigVersion, string>> = {
  1: 'cri',
  2: 'io.containerd.grpc.v1.cri',
  3: 'io.containerd.cri.v1.runtime',
  4: 'io.containerd.cri.v1.runtime',
};

/** Every plugin table a runtime has been registered under by some containerd release. */
export const KNOWN_CRI_PLUGINS: readonly string[] = ['cri', 'io.containerd.grpc.v1.cri', 'io.containerd.cri.v1.runtime'];

export type ContainerdRelease = '1.6' | '1.7' | '2.x';
export const CONTAINERD_RELEASES: readonly ContainerdRelease[] = ['1.6', '1.7', '2.x'];

/** The version `containerd config default` writes (2.4 writes 4, whose runtime path is 3's). */
export const RELEASE_CONFIG_VERSION: Readonly<Record<ContainerdRelease, ConfigVersion>> = { '1.6': 2, '1.7': 2, '2.x': 3 };

/** The config versions a release reads: 1.x reads 1 and 2; 2.x migrates 1 and 2, reads 3 and 4. */
export const RELEASE_READS: Readonly<Record<ContainerdRelease, readonly ConfigVersion[]>> = {
  '1.6': [1, 2],
  '1.7': [1, 2],
  '2.x': [1, 2, 3, 4],
};

export function describeVersion(v: ConfigVersion): string {
  return v <= 2
    ? `version ${v} (containerd 1.x${v === 2 ? '; 2.x migrates it' : ''})`
    : `version ${v} (containerd ${v === 3 ? '2.x' : '2.3 and later'})`;
}

/**
 * Which releases drop a runtime under `plugin` in a file of `version` (plugin is not the
 * version's own CRI plugin). Measured with containerd 1.6, 1.7 and 2.4 (test/containerd/).
 */
export function ignoredBy(version: ConfigVersion, plugin: string): string {
  if (plugin === 'cri') return `every containerd release ignores it in a version ${version} file`;
  if (version === 1) return 'containerd 1.x ignores it in a version 1 file (2.x migrates it)';
  if (version === 2) return 'containerd 1.x ignores it (2.x reads it)';
  if (version === 3)
    return 'containerd 2.0-2.2 ignore it in a version 3 file (2.3 and later still migrate it, until the file says version 4)';
  return 'containerd ignores it in a version 4 file';
}

/** The directories containerd's systemd unit and Debian's init put on its PATH, in order. */
export const CONTAINERD_PATH: readonly string[] = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Known Wasm shims: runtime (handler) name → runtime_type. */
export const KNOWN_RUNTIMES: Readonly<Record<string, string>> = {
  wasmtime: 'io.containerd.wasmtime.v1',
  wasmedge: 'io.containerd.wasmedge.v1',
  wasmer: 'io.containerd.wasmer.v1',
  spin: 'io.containerd.spin.v2',
  slight: 'io.containerd.slight.v1',
  wws: 'io.containerd.wws.v1',
  lunatic: 'io.containerd.lunatic.v1',
};

/**
 * The binary containerd starts for a runtime_type, as containerd's shim manager derives it: the
 * last two dot-separated parts, `io.containerd.wasmtime.v1` → `containerd-shim-wasmtime-v1`. An
 * absolute path is used as is. undefined when containerd could not derive one.
 */
export function shimBinary(runtimeType: string): string | undefined {
  if (runtimeType.startsWith('/')) return runtimeType;
  const parts = runtimeType.split('.');
  if (parts.length < 2 || parts.some((p) => p === '')) return undefined;
  return `containerd-shim-${parts[parts.length - 2]}-${parts[parts.length - 1]}`;
}

const SHIM_NAME = /^containerd-shim-([A-Za-z0-9_-]+)-(v[0-9]+)$/;

/** `containerd-shim-spin-v2` → `io.containerd.spin.v2`; undefined for other file names. */
export function runtimeTypeOfShim(file: string): string | undefined {
  const m = SHIM_NAME.exec(file);
  return m === null ? undefined : `io.containerd.${m[1]}.${m[2]}`;
}

/** containerd's own shims, shipped with containerd and registered by its default config */
export function isContainerdOwnShim(file: string): boolean {
  return /^containerd-shim-runc-v[0-9]+$/.test(file);
}

/** A TOML key as written in a table header: bare when it can be, quoted otherwise. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/** plugins."io.containerd.grpc.v1.cri".containerd.runtimes */
export function runtimesPath(plugin: string): string {
  return ['plugins', plugin, 'containerd', 'runtimes'].map(tomlKey).join('.');
}

/** plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime */
export function runtimePath(plugin: string, name: string): string {
  return ['plugins', plugin, 'containerd', 'runtimes', name].map(tomlKey).join('.');
}

/** The `--runtime` argument that registers this runtime: the name alone when wasmgate knows its type. */
export function runtimeArg(name: string, runtimeType: string): string {
  return KNOWN_RUNTIMES[name] === runtimeType ? name : `${name}=${runtimeType}`;
}

export interface RuntimeSpec {
  readonly name: string;
  readonly runtimeType: string;
}

export class NodeUsageError extends Error {}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `wasmtime`, or `name=io.containerd.x.v1` for a shim wasmgate does not know. */
export function parseRuntimeArg(arg: string): RuntimeSpec {
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg : arg.slice(0, eq);
  if (!NAME.test(name) || name.length > 63) {
    throw new NodeUsageError(
      `--runtime ${arg}: the runtime name must be a DNS label (lowercase letters, digits, '-'), as RuntimeClass.handler requires`,
    );
  }
  if (eq >= 0) {
    const runtimeType = arg.slice(eq + 1);
    if (shimBinary(runtimeType) === undefined || !/^[A-Za-z0-9_./-]+$/.test(runtimeType)) {
      throw new NodeUsageError(
        `--runtime ${arg}: ${JSON.stringify(runtimeType)} is not a runtime_type (expected io.containerd.<shim>.v<N>, or an absolute path)`,
      );
    }
    return { name, runtimeType };
  }
  const known = KNOWN_RUNTIMES[name];
  if (known === undefined) {
    throw new NodeUsageError(
      `--runtime ${name}: wasmgate does not know this shim's runtime_type (it knows ${Object.keys(KNOWN_RUNTIMES).join(', ')}). ` +
        `Give it: --runtime ${name}=io.containerd.<shim>.v<N>`,
    );
  }
  return { name, runtimeType: known };
}
