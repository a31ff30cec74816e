/**
 * What `wasmgate node doctor` looks at, gathered once (I/O here only); the checks in checks/ are
 * pure functions of these facts.
 */
import { readFileSync } from 'node:fs';
import type { NodeInfo, RuntimeClassInfo } from '../cluster/types.js';
import type { RuleContext } from '../decide/types.js';
import { CONTAINERD_PATH, type ConfigVersion } from './containerd.js';
import {
  ConfigParseError,
  defaultRuntimeName,
  effectiveVersion,
  parseToml,
  registrations,
  versionOf,
  type Registration,
  type VersionValue,
} from './config-file.js';
import { fileInfo, listDir, resolveInRoot } from './rootfs.js';

export interface ConfigFacts {
  /** the file as named in messages */
  readonly file: string;
  readonly status: 'missing' | 'invalid' | 'ok';
  readonly parseError?: ConfigParseError;
  readonly version?: VersionValue;
  /** the version containerd reads it as; undefined when it would refuse the file */
  readonly effective?: ConfigVersion;
  readonly registrations: readonly Registration[];
  /** default_runtime_name (runc unless set) */
  readonly defaultRuntime: string;
  /** the top-level `imports` (other files containerd merges in; the doctor reads the main file only) */
  readonly imports?: readonly string[];
}

export interface InstalledShim {
  /** file name, e.g. containerd-shim-spin-v2 */
  readonly file: string;
  /** the PATH directory it is in */
  readonly dir: string;
  readonly executable: boolean;
}

export interface ClusterFacts {
  /** e.g. "snapshot of 2 files" or the API server's URL */
  readonly source: string;
  readonly nodeName: string;
  /** undefined when the cluster has no Node of that name */
  readonly node: NodeInfo | undefined;
  readonly runtimeClasses: readonly RuntimeClassInfo[];
  /** for the shared admission rules (reserved-label-keys) */
  readonly ctx: RuleContext;
}

export interface DoctorFacts {
  /** "/" on the node, or the unpacked root filesystem */
  readonly root: string;
  readonly config: ConfigFacts;
  /** containerd-shim-* files in containerd's PATH directories, in PATH order */
  readonly shims: readonly InstalledShim[];
  /** where containerd would find this binary (a name, or an absolute path) */
  readonly findShim: (binary: string) => InstalledShim | undefined;
  readonly cluster?: ClusterFacts;
}

export interface ConfigLocation {
  /** the host path to read */
  readonly hostPath: string;
  /** the name messages use */
  readonly display: string;
}

/** Read and understand a config.toml; a missing or broken file is a fact, not an exception. */
export function readConfigFacts(loc: ConfigLocation): ConfigFacts {
  let text: string | undefined;
  try {
    text = readFileSync(loc.hostPath, 'utf8');
  } catch {
    text = undefined;
  }
  return configFacts(text, loc.display);
}

/** The facts of a config's text (undefined: the file does not exist). */
export function configFacts(text: string | undefined, file: string): ConfigFacts {
  if (text === undefined) return { file, status: 'missing', registrations: [], defaultRuntime: 'runc' };
  try {
    const doc = parseToml(text, file);
    const version = versionOf(doc);
    const effective = effectiveVersion(version);
    const imports = Array.isArray(doc['imports']) ? doc['imports'].filter((i): i is string => typeof i === 'string') : [];
    return {
      file,
      status: 'ok',
      ...(imports.length === 0 ? {} : { imports }),
      version,
      ...(effective === undefined ? {} : { effective }),
      registrations: registrations(doc, effective),
      defaultRuntime: effective === undefined ? 'runc' : defaultRuntimeName(doc, effective),
    };
  } catch (err) {
    if (!(err instanceof ConfigParseError)) throw err;
    return { file, status: 'invalid', parseError: err, registrations: [], defaultRuntime: 'runc' };
  }
}

/** Every containerd-shim-* in containerd's PATH directories under the root. */
export function scanShims(root: string): InstalledShim[] {
  const out: InstalledShim[] = [];
  const seen = new Set<string>();
  for (const dir of CONTAINERD_PATH) {
    for (const file of listDir(root, dir)) {
      if (!file.startsWith('containerd-shim-')) continue;
      const info = fileInfo(root, `${dir}/${file}`);
      // /bin -> /usr/bin (Debian, Ubuntu, Fedora): one file, listed once, under the first name PATH finds
      if (info === undefined || !info.isFile || seen.has(info.real)) continue;
      seen.add(info.real);
      out.push({ file, dir, executable: info.executable });
    }
  }
  return out;
}

/** containerd's lookup: an absolute runtime_type path as is, else the first PATH directory that has it. */
export function shimFinder(root: string, shims: readonly InstalledShim[]): (binary: string) => InstalledShim | undefined {
  return (binary) => {
    if (binary.startsWith('/')) {
      const info = fileInfo(root, binary);
      if (info === undefined || !info.isFile) return undefined;
      const slash = binary.lastIndexOf('/');
      return { file: binary.slice(slash + 1), dir: binary.slice(0, slash) || '/', executable: info.executable };
    }
    return shims.find((s) => s.file === binary);
  };
}

/** The node's hostname, from the root's /etc/hostname when given, else undefined. */
export function rootHostname(root: string): string | undefined {
  const host = resolveInRoot(root, '/etc/hostname');
  if (host === undefined) return undefined;
  try {
    const name = readFileSync(host, 'utf8').trim();
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}
