/**
 * `wasmgate node config --merge` and `node doctor`, judged by real containerd: Debian's 1.6 (when
 * installed; .ci/run installs it), 1.7 and 2.x built from their Go modules (global-setup.ts).
 *
 * For each config version, the merged file goes back through `containerd --config FILE config
 * dump` (and `config migrate` on 2.x), and containerd's own output must list each runtime under
 * the path that release reads, with the right runtime_type. A runtime deliberately placed under a
 * path its version ignores is reported by `doctor` and is absent from containerd's dump.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isTable } from '../../src/node/config-file.js';
import { containerdConfig, debianContainerd, REPO, type Containerd } from '../harness/containerd.js';

const bins = inject('containerdBins');
const C17: Containerd = { label: '1.7', bin: join(bins['1.7'], 'containerd'), major: 1 };
const C2: Containerd = { label: '2.x', bin: join(bins['2'], 'containerd'), major: 2 };
const DEBIAN = debianContainerd();
const ALL: Containerd[] = [...(DEBIAN === undefined ? [] : [DEBIAN]), C17, C2];
const ONE_X: Containerd[] = ALL.filter((c) => c.major === 1);

const RUNTIMES = { wasmtime: 'io.containerd.wasmtime.v1', spin: 'io.containerd.spin.v2' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function wasmgate(args: string[]): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'wasmgate.js'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** The plugin whose runtimes a release really uses, as its dump shows it (after its own migration). */
function effectivePlugin(c: Containerd): string {
  return c.major === 1 ? 'io.containerd.grpc.v1.cri' : 'io.containerd.cri.v1.runtime';
}

/** name → runtime_type of the runtimes containerd's dumped config lists under the effective path. */
function dumpedRuntimes(dump: string, c: Containerd): Record<string, unknown> {
  let t: unknown = parse(dump);
  for (const key of ['plugins', effectivePlugin(c), 'containerd', 'runtimes']) t = isTable(t) ? t[key] : undefined;
  const runtimes = isTable(t) ? t : {};
  return Object.fromEntries(Object.entries(runtimes).map(([name, r]) => [name, isTable(r) ? r['runtime_type'] : undefined]));
}

let tmp: string;
let seq = 0;
async function file(text: string): Promise<string> {
  const path = join(tmp, `config-${++seq}.toml`);
  await writeFile(path, text);
  return path;
}

async function merge(base: string, extra: string[] = []): Promise<{ path: string; text: string }> {
  const r = await wasmgate(['node', 'config', '--runtime', 'wasmtime', '--runtime', 'spin', '--merge', base, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return { path: await file(r.stdout), text: r.stdout };
}

/** Check containerd's dump (and migrate on 2.x) of `path` lists both runtimes where `c` reads them. */
async function expectRegistered(c: Containerd, path: string): Promise<void> {
  const dumped = dumpedRuntimes(await containerdConfig(c, 'dump', path), c);
  expect(dumped, `containerd ${c.label} config dump, under plugins."${effectivePlugin(c)}".containerd.runtimes`).toMatchObject(RUNTIMES);
  if (c.major === 2) {
    const migrated = await containerdConfig(c, 'migrate', path);
    expect(dumpedRuntimes(migrated, c), `containerd ${c.label} config migrate`).toMatchObject(RUNTIMES);
    expect((parse(migrated) as { version?: number }).version).toBeGreaterThanOrEqual(3);
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'wasmgate-containerd-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('containerd binaries', () => {
  it('report the pinned versions', async () => {
    const versions = await Promise.all(ALL.map(async (c) => (await runOut(c.bin, ['--version'])).trim()));
    expect(versions.some((v) => / v1\.7\./.test(v))).toBe(true);
    expect(versions.some((v) => / v2\./.test(v))).toBe(true);
    process.stderr.write(
      `containerd under test:\n  ${versions.join('\n  ')}${DEBIAN === undefined ? '\n  (Debian containerd not installed: apt-get install -y containerd adds 1.6)' : ''}\n`,
    );
  });
});

async function runOut(bin: string, args: string[]): Promise<string> {
  return await new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', () => resolvePromise(out));
  });
}

describe.each(ALL)('containerd $label: config default → node config --merge → config dump', (c) => {
  it('lists wasmtime and spin under the effective path with their runtime_type; the rest of the file is kept byte for byte', async () => {
    const defaults = await containerdConfig(c, 'default');
    const base = await file(defaults);
    // the check can fail: the default file registers neither
    expect(dumpedRuntimes(await containerdConfig(c, 'dump', base), c)).not.toHaveProperty('wasmtime');
    const merged = await merge(base);
    expect(merged.text.startsWith(defaults)).toBe(true);
    expect(merged.text.length).toBeGreaterThan(defaults.length);
    await expectRegistered(c, merged.path);
    // the default runtime is still there
    expect(dumpedRuntimes(await containerdConfig(c, 'dump', merged.path), c)['runc']).toBe('io.containerd.runc.v2');
    // merging again changes nothing
    const again = await wasmgate(['node', 'config', '--runtime', 'wasmtime', '--runtime', 'spin', '--merge', merged.path]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(merged.text);
  });

  it('a runtime under a path its version ignores: doctor reports it, and containerd drops it from its dump', async () => {
    const defaults = await containerdConfig(c, 'default');
    // the classic mistake: a snippet written for the other major release
    const wrong = c.major === 1 ? 'io.containerd.cri.v1.runtime' : 'io.containerd.grpc.v1.cri';
    const text = `${defaults}\n[plugins."${wrong}".containerd.runtimes.wasmtime]\nruntime_type = "io.containerd.wasmtime.v1"\n`;
    const root = join(tmp, `root-${++seq}`);
    await mkdir(join(root, 'etc', 'containerd'), { recursive: true });
    await writeFile(join(root, 'etc', 'containerd', 'config.toml'), text);

    const doctor = await wasmgate(['node', 'doctor', '--root', root]);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(1);
    expect(doctor.stdout).toContain(`[runtime-ignored-path] ${join(root, 'etc/containerd/config.toml')}`);
    expect(doctor.stdout).toContain(`registers runtime wasmtime under plugins."${wrong}".containerd.runtimes.wasmtime`);

    const dumped = dumpedRuntimes(await containerdConfig(c, 'dump', join(root, 'etc', 'containerd', 'config.toml')), c);
    expect(dumped).not.toHaveProperty('wasmtime');
    expect(dumped['runc']).toBe('io.containerd.runc.v2');

    // and the fix doctor names works: merge, then containerd lists it
    const fixed = await merge(join(root, 'etc', 'containerd', 'config.toml'));
    await expectRegistered(c, fixed.path);
  });
});

describe('config versions no release writes by default', () => {
  const V1 =
    'version = 1\n\n[plugins.cri.containerd]\n  default_runtime_name = "runc"\n\n[plugins.cri.containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n';
  const V3 =
    'version = 3\n\n[plugins."io.containerd.cri.v1.runtime".containerd]\n  default_runtime_name = "runc"\n\n' +
    '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n';

  it.each(ALL)('version 1 (plugins.cri), through containerd $label', async (c) => {
    const merged = await merge(await file(V1));
    expect(merged.text).toContain('[plugins.cri.containerd.runtimes.wasmtime]');
    await expectRegistered(c, merged.path);
  });

  it.each(ONE_X)("version 2 from containerd $label's default, through containerd 2.x (which migrates it)", async (c) => {
    const merged = await merge(await file(await containerdConfig(c, 'default')));
    await expectRegistered(C2, merged.path);
  });

  it('version 3 (plugins."io.containerd.cri.v1.runtime"), through containerd 2.x', async () => {
    const merged = await merge(await file(V3));
    expect(merged.text).toContain('[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.wasmtime]');
    await expectRegistered(C2, merged.path);
  });

  it('containerd 1.7 refuses a version 3 file, and wasmgate refuses to merge for 1.7 into one', async () => {
    await expect(containerdConfig(C17, 'dump', await file(V3))).rejects.toThrow(/version `3` is not supported/);
    const r = await wasmgate(['node', 'config', '--runtime', 'wasmtime', '--containerd-version', '1.7', '--merge', await file(V3)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('which containerd 1.7 does not read');
  });
});
