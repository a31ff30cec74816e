/**
 * Reading a containerd config.toml (with smol-toml): its version, and every runtime registered
 * under any CRI plugin table some containerd release uses, marked effective or ignored.
 */
import { parse, TomlError } from 'smol-toml';
import { CONFIG_VERSIONS, CRI_PLUGIN, KNOWN_CRI_PLUGINS, runtimePath, type ConfigVersion } from './containerd.js';

export type Table = Record<string, unknown>;

export function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export class ConfigParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${file} is not valid TOML${line === undefined ? '' : ` (line ${line})`}: ${detail}`);
  }
}

/** Parse TOML text; errors name the file and line. */
export function parseToml(text: string, file: string): Table {
  try {
    return parse(text) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const detail = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new ConfigParseError(file, err.line, detail);
    }
    throw err;
  }
}

/** The `version` key: a config version, 'missing', or the raw value containerd would refuse. */
export type VersionValue = { kind: 'version'; version: ConfigVersion } | { kind: 'missing' } | { kind: 'invalid'; raw: string };

export function versionOf(doc: Table): VersionValue {
  const v = doc['version'];
  if (v === undefined) return { kind: 'missing' };
  if (typeof v === 'number' && (CONFIG_VERSIONS as readonly number[]).includes(v)) return { kind: 'version', version: v as ConfigVersion };
  return { kind: 'invalid', raw: typeof v === 'string' ? JSON.stringify(v) : String(v) };
}

/** The version containerd reads the file as: no key means 1 (every release); undefined when it would refuse the file. */
export function effectiveVersion(v: VersionValue): ConfigVersion | undefined {
  return v.kind === 'version' ? v.version : v.kind === 'missing' ? 1 : undefined;
}

export interface Registration {
  readonly name: string;
  readonly plugin: string;
  /** plugins."…".containerd.runtimes.<name>, as written in a table header */
  readonly path: string;
  /** runtime_type as written; undefined when absent or not a string */
  readonly runtimeType: string | undefined;
  /** under the file's version's own CRI plugin: every release that reads this version uses it */
  readonly effective: boolean;
}

/** The value at plugins.<plugin>.containerd.runtimes, when it is a table. */
export function runtimesTable(doc: Table, plugin: string): Table | undefined {
  let t: unknown = doc['plugins'];
  for (const key of [plugin, 'containerd', 'runtimes']) {
    if (!isTable(t)) return undefined;
    t = t[key];
  }
  return isTable(t) ? t : undefined;
}

/** Every runtime under a known CRI plugin table, sorted by plugin then name. */
export function registrations(doc: Table, version: ConfigVersion | undefined): Registration[] {
  const out: Registration[] = [];
  for (const plugin of KNOWN_CRI_PLUGINS) {
    const runtimes = runtimesTable(doc, plugin);
    if (runtimes === undefined) continue;
    for (const name of Object.keys(runtimes).sort()) {
      const entry = runtimes[name];
      const rt = isTable(entry) ? entry['runtime_type'] : undefined;
      out.push({
        name,
        plugin,
        path: runtimePath(plugin, name),
        runtimeType: typeof rt === 'string' ? rt : undefined,
        effective: version !== undefined && CRI_PLUGIN[version] === plugin,
      });
    }
  }
  return out;
}

/** default_runtime_name under the effective plugin (containerd's default: runc). */
export function defaultRuntimeName(doc: Table, version: ConfigVersion): string {
  const c = isTable(doc['plugins']) ? doc['plugins'][CRI_PLUGIN[version]] : undefined;
  const containerd = isTable(c) ? c['containerd'] : undefined;
  const name = isTable(containerd) ? containerd['default_runtime_name'] : undefined;
  return typeof name === 'string' && name !== '' ? name : 'runc';
}
