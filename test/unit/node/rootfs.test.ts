/** node doctor on an unpacked root filesystem: symlinks resolve inside the root, shims are found once. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rootHostname, scanShims, shimFinder } from '../../../src/node/facts.js';
import { resolveInRoot } from '../../../src/node/rootfs.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgate-rootfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function exe(path: string, mode = 0o755): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), '#!/bin/sh\n');
  chmodSync(join(root, path), mode);
}

exe('usr/bin/containerd-shim-runc-v2');
exe('opt/spin/containerd-shim-spin-v2');
exe('usr/local/bin/containerd-shim-wasmedge-v1', 0o644);
mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
symlinkSync('/opt/spin/containerd-shim-spin-v2', join(root, 'usr/local/bin/containerd-shim-spin-v2')); // absolute: inside the root
symlinkSync('usr/bin', join(root, 'bin')); // Debian's merged /usr
mkdirSync(join(root, 'etc'), { recursive: true });
writeFileSync(join(root, 'etc/hostname'), 'wasm-7\n');

describe('root filesystem', () => {
  it('resolves absolute symlinks inside the root, never on this machine', () => {
    expect(resolveInRoot(root, '/usr/local/bin/containerd-shim-spin-v2')).toBe(join(root, 'opt/spin/containerd-shim-spin-v2'));
    expect(resolveInRoot(root, '/bin/containerd-shim-runc-v2')).toBe(join(root, 'usr/bin/containerd-shim-runc-v2'));
    expect(resolveInRoot(root, '/../../etc/hostname')).toBe(join(root, 'etc/hostname'));
    expect(resolveInRoot(root, '/usr/bin/nothing')).toBeUndefined();
  });

  it('lists each shim once, under the first PATH directory that has it, with its mode', () => {
    const shims = scanShims(root);
    expect(shims).toEqual([
      { file: 'containerd-shim-spin-v2', dir: '/usr/local/bin', executable: true },
      { file: 'containerd-shim-wasmedge-v1', dir: '/usr/local/bin', executable: false },
      { file: 'containerd-shim-runc-v2', dir: '/usr/bin', executable: true },
    ]);
    const find = shimFinder(root, shims);
    expect(find('containerd-shim-spin-v2')?.dir).toBe('/usr/local/bin');
    expect(find('/opt/spin/containerd-shim-spin-v2')).toEqual({ file: 'containerd-shim-spin-v2', dir: '/opt/spin', executable: true });
    expect(find('/opt/none/containerd-shim-x-v1')).toBeUndefined();
  });

  it("takes the node name from the root's /etc/hostname", () => {
    expect(rootHostname(root)).toBe('wasm-7');
  });
});
