/**
 * `wasmgate node config`: the config.toml tables that register Wasm runtimes, alone or merged
 * into an existing file.
 *
 * The tables are produced by smol-toml's stringify from an object, never pasted as strings. A
 * merge parses the file (to learn its version and what it already registers), then appends only
 * the new runtime tables, so every byte of the existing file stays as it was (comments, order,
 * formatting): smol-toml does not preserve formatting, so re-serialising the whole document would
 * rewrite it. The merged text is parsed again and must equal the original document plus exactly
 * the new runtimes, each at its version's path with its runtime_type; anything else is refused.
 */
import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'smol-toml';
import {
  CRI_PLUGIN,
  RELEASE_READS,
  describeVersion,
  ignoredBy,
  runtimeArg,
  runtimePath,
  type ConfigVersion,
  type ContainerdRelease,
  type RuntimeSpec,
} from './containerd.js';
import {
  ConfigParseError,
  effectiveVersion,
  isTable,
  parseToml,
  registrations,
  runtimesTable,
  versionOf,
  type Table,
} from './config-file.js';

/** The file cannot be changed safely: the message says why and what to do. */
export class MergeRefused extends Error {}

function tablesFor(version: ConfigVersion, runtimes: readonly RuntimeSpec[]): string {
  const table: Table = {};
  for (const r of runtimes) table[r.name] = { runtime_type: r.runtimeType };
  const text = stringify({ plugins: { [CRI_PLUGIN[version]]: { containerd: { runtimes: table } } } });
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** The fragment for a version, with a comment saying where it goes. */
export function configFragment(version: ConfigVersion, runtimes: readonly RuntimeSpec[]): string {
  return (
    `# containerd runtimes for config.toml ${describeVersion(version)}: the file's top-level \`version\` must be ${version}.\n` +
    `# Merge into a file with: wasmgate node config ${runtimes.map((r) => `--runtime ${runtimeArg(r.name, r.runtimeType)}`).join(' ')} --merge FILE\n` +
    tablesFor(version, runtimes)
  );
}

export interface MergeOptions {
  /** what --config-version said, if anything */
  configVersion?: ConfigVersion;
  /** what --containerd-version said, if anything */
  release?: ContainerdRelease;
}

export interface MergeResult {
  readonly text: string;
  readonly version: ConfigVersion;
  readonly added: readonly string[];
  /** already registered with the same runtime_type: left alone */
  readonly present: readonly string[];
  /** notes for stderr, e.g. a copy under a path this version ignores */
  readonly notes: readonly string[];
}

/**
 * The merged document minus what the merge added: the new runtimes, and the tables on their path
 * that the original did not have and that are empty without them.
 */
function withoutAdded(after: Table, original: Table, plugin: string, added: readonly string[]): Table {
  const copy = structuredClone(after);
  const path = ['plugins', plugin, 'containerd', 'runtimes'];
  const chain: Table[] = [copy];
  for (const key of path) {
    const next = chain[chain.length - 1]![key];
    if (!isTable(next)) return copy;
    chain.push(next);
  }
  for (const name of added) delete chain[path.length]![name];
  for (let depth = path.length; depth >= 1; depth--) {
    let orig: unknown = original;
    for (const key of path.slice(0, depth)) orig = isTable(orig) ? orig[key] : undefined;
    if (orig === undefined && Object.keys(chain[depth]!).length === 0) delete chain[depth - 1]![path[depth - 1]!];
  }
  return copy;
}

export function mergeConfig(text: string, file: string, runtimes: readonly RuntimeSpec[], opts: MergeOptions = {}): MergeResult {
  const doc = parseToml(text, file);
  const v = versionOf(doc);
  let version: ConfigVersion;
  if (v.kind === 'invalid') {
    throw new MergeRefused(
      `${file} has version = ${v.raw}, which no containerd release reads (1 and 2: containerd 1.x; 2, 3 and 4: containerd 2.x), so wasmgate cannot tell where runtimes go. ` +
        `Fix: set version to the one its tables were written for (containerd config default prints a complete file), then run this again.`,
    );
  } else if (v.kind === 'missing') {
    if (opts.configVersion !== 1) {
      throw new MergeRefused(
        `${file} has no version key. containerd reads such a file as version 1, but its tables may have been written for another version, so wasmgate will not guess. ` +
          `Fix: add the version its tables follow at the top (version = 2 for plugins."io.containerd.grpc.v1.cri", version = 3 for plugins."io.containerd.cri.v1.runtime"), ` +
          `or pass --config-version 1 if it really is a version 1 file (plugins.cri).`,
      );
    }
    version = 1;
  } else {
    version = v.version;
  }
  if (opts.configVersion !== undefined && opts.configVersion !== version) {
    throw new MergeRefused(
      `${file} is config ${describeVersion(version)}, but --config-version says ${opts.configVersion}. ` +
        `Fix: drop --config-version (the file's version decides the path), or convert the file first (containerd 2.x: containerd config migrate).`,
    );
  }
  if (opts.release !== undefined && !RELEASE_READS[opts.release].includes(version)) {
    throw new MergeRefused(
      `${file} is config version ${version}, which containerd ${opts.release} does not read (it reads versions ${RELEASE_READS[opts.release].join(' and ')}). ` +
        `Fix: start from containerd ${opts.release}'s own file (containerd config default), or drop --containerd-version if the node runs another release.`,
    );
  }

  const plugin = CRI_PLUGIN[version];
  const existing = runtimesTable(doc, plugin) ?? {};
  const regs = registrations(doc, effectiveVersion(v));
  const added: RuntimeSpec[] = [];
  const present: string[] = [];
  const notes: string[] = [];
  for (const r of runtimes) {
    const entry = existing[r.name];
    if (entry !== undefined) {
      const rt = isTable(entry) ? entry['runtime_type'] : undefined;
      if (isTable(entry) && rt === r.runtimeType) {
        present.push(r.name);
        continue;
      }
      throw new MergeRefused(
        `${file} already has ${runtimePath(plugin, r.name)} with ${isTable(entry) ? `runtime_type ${rt === undefined ? '(none)' : JSON.stringify(rt)}` : 'a value that is not a table'}, not ${JSON.stringify(r.runtimeType)}; wasmgate does not overwrite it. ` +
          `Fix: edit that table by hand, or remove it and run this again.`,
      );
    }
    for (const other of regs.filter((g) => g.name === r.name && !g.effective)) {
      notes.push(
        `note: ${file} also has ${other.path}, where ${ignoredBy(version, other.plugin)}; delete that table once the new one works.`,
      );
    }
    added.push(r);
  }
  if (added.length === 0) return { text, version, added: [], present, notes };

  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const header = `# Added by wasmgate node config: ${added.map((r) => r.name).join(', ')} (config version ${version}).\n`;
  const addition = (header + tablesFor(version, added)).replace(/\n/g, eol);
  const separator = text === '' ? '' : text.endsWith('\n') ? eol : `${eol}${eol}`;
  const merged = text + separator + addition;

  verifyMerged(merged, file, doc, plugin, added);
  return { text: merged, version, added: added.map((r) => r.name), present, notes };
}

/** The merged text parses, registers each runtime at the effective path, and changes nothing else. */
function verifyMerged(merged: string, file: string, doc: Table, plugin: string, added: readonly RuntimeSpec[]): void {
  let after: Table;
  try {
    after = parseToml(merged, file);
  } catch (err) {
    const why =
      err instanceof ConfigParseError ? `${err.line === undefined ? '' : `line ${err.line}: `}${err.detail}` : (err as Error).message;
    throw new MergeRefused(
      `adding the runtime tables to ${file} would not be valid TOML (${why}), usually because it writes ` +
        `plugins.${JSON.stringify(plugin)}.containerd or its runtimes as an inline table. Fix: write that part as [table] headers, or add the runtimes by hand.`,
    );
  }
  const runtimes = runtimesTable(after, plugin);
  for (const r of added) {
    const entry = runtimes?.[r.name];
    if (!isTable(entry) || entry['runtime_type'] !== r.runtimeType) {
      throw new MergeRefused(
        `after merging, ${file} does not have ${runtimePath(plugin, r.name)} with runtime_type ${JSON.stringify(r.runtimeType)}. Fix: add it by hand.`,
      );
    }
  }
  const rest = withoutAdded(
    after,
    doc,
    plugin,
    added.map((r) => r.name),
  );
  if (!isDeepStrictEqual(rest, structuredClone(doc))) {
    throw new MergeRefused(`merging the runtime tables into ${file} would change more than those tables. Fix: add the runtimes by hand.`);
  }
}
