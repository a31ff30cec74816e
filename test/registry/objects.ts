/**
 * Push one real object of each kind with oras: files on disk (a Wasm module, tar.gz layers, the
 * image configs and a Spin locked app, as the real tools lay them out), manifests and indexes
 * built by oras itself. Returns each reference's digest as oras reports it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { oras, type TestPki } from './harness.js';

const run = promisify(execFile);
const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A valid WebAssembly module exporting a `_start` that does nothing (WASI command shape). */
export const WASM_MODULE = Buffer.from([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version
  0x01,
  0x04,
  0x01,
  0x60,
  0x00,
  0x00, // type section: () -> ()
  0x03,
  0x02,
  0x01,
  0x00, // function section: one function of type 0
  0x07,
  0x0a,
  0x01,
  0x06,
  0x5f,
  0x73,
  0x74,
  0x61,
  0x72,
  0x74,
  0x00,
  0x00, // export "_start" func 0
  0x0a,
  0x04,
  0x01,
  0x02,
  0x00,
  0x0b, // code: empty body
]);

export const REPOS = {
  wasiImage: 'wasm/image:v1',
  wasmArtifact: 'wasm/artifact:v1',
  spinApp: 'spin/hello:v1',
  linux: 'plain/linux:v1',
  mixedIndex: 'multi/hello:v1',
  wasmIndex: 'multi/hello:wasm-only',
} as const;
export type ObjectName = keyof typeof REPOS;

function pushedDigest(stdout: string): string {
  const m = /Digest: (sha256:[a-f0-9]{64})/.exec(stdout);
  if (m === null) throw new Error(`no digest in oras output:\n${stdout}`);
  return m[1]!;
}

async function tarGz(dir: string, name: string, files: string[]): Promise<{ file: string; diffId: string }> {
  await run('tar', ['-czf', name, '-C', join(dir, 'rootfs'), ...files], { cwd: dir });
  const gz = await readFile(join(dir, name));
  return { file: name, diffId: sha256(gunzipSync(gz)) };
}

export async function pushAll(orasBin: string, registry: string, pki: TestPki, workDir: string): Promise<Record<ObjectName, string>> {
  const dir = join(workDir, 'objects');
  await mkdir(join(dir, 'rootfs'), { recursive: true });
  await writeFile(join(dir, 'rootfs', 'hello.wasm'), WASM_MODULE);
  await writeFile(join(dir, 'rootfs', 'hello.sh'), '#!/bin/sh\necho hello\n', { mode: 0o755 });
  await writeFile(join(dir, 'hello.wasm'), WASM_MODULE);
  const wasmTar = await tarGz(dir, 'wasm-layer.tar.gz', ['hello.wasm']);
  const linuxTar = await tarGz(dir, 'linux-layer.tar.gz', ['hello.sh']);
  const imageConfig = (os: string, architecture: string, diffId: string, extra: Record<string, unknown>) =>
    JSON.stringify({ architecture, os, rootfs: { type: 'layers', diff_ids: [diffId] }, config: extra, created: '2026-01-01T00:00:00Z' });

  // wasi/wasm image, as `docker buildx --platform wasi/wasm` lays it out: image config + tar layer
  await writeFile(join(dir, 'wasi-config.json'), imageConfig('wasip1', 'wasm', wasmTar.diffId, { Entrypoint: ['/hello.wasm'] }));
  // plain linux image
  await writeFile(join(dir, 'linux-config.json'), imageConfig('linux', 'amd64', linuxTar.diffId, { Cmd: ['/hello.sh'] }));
  // Wasm OCI artifact (runwasi / wkg / oras): wasm config media type, one application/wasm layer
  await writeFile(
    join(dir, 'wasm-config.json'),
    JSON.stringify({ created: '2026-01-01T00:00:00Z', architecture: 'wasm', os: 'wasip1', layerDigests: [sha256(WASM_MODULE)] }),
  );
  // Spin app, as `spin registry push` (Spin 2+) builds it: wasip1/wasm image config labelled with the
  // locked app's digest, the component as a wasm content layer, the locked app as the last layer
  const locked = JSON.stringify({
    spin_lock_version: 1,
    metadata: { name: 'hello', version: '0.1.0' },
    triggers: [{ id: 'trigger--hello', trigger_type: 'http', trigger_config: { component: 'hello', route: '/...' } }],
    components: [{ id: 'hello', source: { content_type: 'application/wasm', content: { digest: sha256(WASM_MODULE) } } }],
  });
  await writeFile(join(dir, 'locked.json'), locked);
  await writeFile(
    join(dir, 'spin-config.json'),
    JSON.stringify({
      architecture: 'wasm',
      os: 'wasip1',
      config: { Labels: { 'com.fermyon.spin.lockedAppDigest': sha256(locked) } },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );

  const r = (name: string) => `${registry}/${name}`;
  const push = (ref: string, config: string, files: string[]) => oras(orasBin, dir, pki, ['push', r(ref), '--config', config, ...files]);
  const out: Partial<Record<ObjectName, string>> = {};
  out.wasiImage = pushedDigest(
    await push(REPOS.wasiImage, 'wasi-config.json:application/vnd.oci.image.config.v1+json', [
      `${wasmTar.file}:application/vnd.oci.image.layer.v1.tar+gzip`,
    ]),
  );
  out.linux = pushedDigest(
    await push(REPOS.linux, 'linux-config.json:application/vnd.oci.image.config.v1+json', [
      `${linuxTar.file}:application/vnd.oci.image.layer.v1.tar+gzip`,
    ]),
  );
  out.wasmArtifact = pushedDigest(
    await push(REPOS.wasmArtifact, 'wasm-config.json:application/vnd.wasm.config.v0+json', ['hello.wasm:application/wasm']),
  );
  out.spinApp = pushedDigest(
    await push(REPOS.spinApp, 'spin-config.json:application/vnd.oci.image.config.v1+json', [
      'hello.wasm:application/vnd.wasm.content.layer.v1+wasm',
      'locked.json:application/vnd.fermyon.spin.application.v1+config',
    ]),
  );
  // a multi-platform index: the same two images in one repository, then `oras manifest index create`
  // (which takes each entry's platform from its config)
  await push('multi/hello:linux', 'linux-config.json:application/vnd.oci.image.config.v1+json', [
    `${linuxTar.file}:application/vnd.oci.image.layer.v1.tar+gzip`,
  ]);
  await push('multi/hello:wasi', 'wasi-config.json:application/vnd.oci.image.config.v1+json', [
    `${wasmTar.file}:application/vnd.oci.image.layer.v1.tar+gzip`,
  ]);
  out.mixedIndex = pushedDigest(await oras(orasBin, dir, pki, ['manifest', 'index', 'create', r(REPOS.mixedIndex), 'linux', 'wasi']));
  out.wasmIndex = pushedDigest(await oras(orasBin, dir, pki, ['manifest', 'index', 'create', r(REPOS.wasmIndex), 'wasi']));
  return out as Record<ObjectName, string>;
}
