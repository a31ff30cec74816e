/**
 * The static source: RuntimeClasses, Nodes (and optionally Pods) read from YAML or JSON files,
 * multi-document, as `kubectl get -o yaml` writes them (List kinds included). Each watched kind is
 * reduced and stored by its store (stores.ts), the same one the live source uses. Used by tests,
 * by `wasmgate check`, and by `serve --cluster-state` for offline runs.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, extname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kindOfObject, type WatchedKind } from '../kinds/registry.js';
import { isRecord, str } from '../objects/json.js';
import { MemoryState } from './memory-state.js';
import { STORES } from './stores.js';

export class SnapshotError extends Error {}

const YAML_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Expand a path (file or directory, non-recursive into hidden entries) to the files to read, sorted. */
async function filesOf(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new SnapshotError(`cluster state: ${path} does not exist`);
  }
  if (info.isFile()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await filesOf(full)));
    else if (YAML_EXTENSIONS.has(extname(entry.name))) out.push(full);
  }
  return out;
}

/** Parse every object in a YAML/JSON text, flattening List kinds. */
export function parseObjects(text: string, origin: string): unknown[] {
  const docs = parseAllDocuments(text);
  const objects: unknown[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      throw new SnapshotError(`${origin}: not valid YAML: ${err.message.split('\n')[0]}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    flatten(value, objects);
  }
  return objects;
}

function flatten(value: unknown, out: unknown[]): void {
  if (isRecord(value) && Array.isArray(value['items']) && (str(value['kind']) ?? '').endsWith('List')) {
    for (const item of value['items']) flatten(item, out);
  } else {
    out.push(value);
  }
}

export interface SnapshotSummary {
  files: number;
  nodes: number;
  runtimeClasses: number;
  pods: number;
  ignored: number;
}

/** `origins[i]`, when given, names the file object i came from in errors; else `detail` does. */
export function stateFromObjects(
  objects: unknown[],
  detail: string,
  origins?: readonly string[],
): { state: MemoryState; summary: Omit<SnapshotSummary, 'files'> } {
  const state = new MemoryState('snapshot', detail);
  const counts = new Map<WatchedKind, number>();
  let ignored = 0;
  for (const [i, obj] of objects.entries()) {
    const k = kindOfObject(obj);
    if (k === undefined || !k.watched) {
      ignored++;
      continue;
    }
    const kind = k.kind as WatchedKind;
    const store = STORES[kind];
    const item = store.reduce(obj);
    if (item === undefined) {
      if (store.invalid !== undefined) throw new SnapshotError(`${origins?.[i] ?? detail}: ${store.invalid}`);
      ignored++;
      continue;
    }
    store.upsert(state, item);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  state.markSynced(true);
  state.touch();
  return {
    state,
    summary: { nodes: counts.get('Node') ?? 0, runtimeClasses: counts.get('RuntimeClass') ?? 0, pods: counts.get('Pod') ?? 0, ignored },
  };
}

/**
 * Load a snapshot from one or more files or directories. The parsed objects come back too, for
 * callers that look at more than Nodes and RuntimeClasses (the audit).
 */
export async function loadSnapshot(
  paths: string | string[],
): Promise<{ state: MemoryState; summary: SnapshotSummary; objects: unknown[] }> {
  const files: string[] = [];
  for (const p of Array.isArray(paths) ? paths : [paths]) files.push(...(await filesOf(p)));
  const objects: unknown[] = [];
  const origins: string[] = [];
  for (const file of files) {
    for (const obj of parseObjects(await readFile(file, 'utf8'), file)) {
      objects.push(obj);
      origins.push(file);
    }
  }
  const detail = `snapshot of ${files.length} file${files.length === 1 ? '' : 's'}`;
  const { state, summary } = stateFromObjects(objects, detail, origins);
  return { state, summary: { files: files.length, ...summary }, objects };
}
