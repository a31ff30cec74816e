/**
 * Files of a node, on the node itself (root "/") or in an unpacked root filesystem. In a rootfs,
 * absolute symlinks (e.g. /bin -> /usr/bin, or a shim linked to /opt/...) point inside the rootfs,
 * as they would on the node: they are resolved against the root, never against this machine.
 */
import { accessSync, constants, lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

const MAX_LINKS = 40;

/** The host path of `path` (absolute, as seen on the node) under `root`, symlinks followed inside the root; undefined when missing. */
export function resolveInRoot(root: string, path: string): string | undefined {
  if (root === '/' || root === '') {
    try {
      statSync(path);
      return path;
    } catch {
      return undefined;
    }
  }
  const pending = posix
    .normalize(path)
    .split('/')
    .filter((p) => p !== '');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, part);
    let info;
    try {
      info = lstatSync(host);
    } catch {
      return undefined;
    }
    if (info.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter((p) => p !== ''));
      continue;
    }
    done.push(part);
  }
  return join(root, ...done);
}

export interface FileInfo {
  /** the path on the node */
  readonly path: string;
  /** the file it resolves to on this machine, symlinks followed (equal for two names of one file) */
  readonly real: string;
  readonly executable: boolean;
  readonly isFile: boolean;
}

export function fileInfo(root: string, path: string): FileInfo | undefined {
  const host = resolveInRoot(root, path);
  if (host === undefined) return undefined;
  let isFile: boolean;
  let real: string;
  try {
    isFile = statSync(host).isFile();
    real = realpathSync(host);
  } catch {
    return undefined;
  }
  let executable: boolean;
  try {
    accessSync(host, constants.X_OK);
    executable = isFile;
  } catch {
    executable = false;
  }
  return { path, real, executable, isFile };
}

/** Names in a directory on the node (symlinks followed inside the root); [] when it does not exist. */
export function listDir(root: string, dir: string): string[] {
  const host = resolveInRoot(root, dir);
  if (host === undefined) return [];
  try {
    return readdirSync(host).sort();
  } catch {
    return [];
  }
}
