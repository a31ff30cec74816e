/** The real `wasmgate` command line (bin/wasmgate.js → dist/), as child processes. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/config.js';
import { webhookConfigurations } from '../../src/deploy/webhooks.js';
import { clusterRoles } from '../../src/deploy/rbac.js';
import { podObject, review } from '../harness/fixtures.js';
import { decodePatch, freePort, getUrl, postJson, type ReviewResponse } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'wasmgate.js');
const VERSION = (
  JSON.parse(execFileSync('node', ['-p', 'JSON.stringify(require("./package.json"))'], { cwd: ROOT, encoding: 'utf8' })) as {
    version: string;
  }
).version;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wasmgate ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

let tmp: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'index.js'))) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
  }
  tmp = await mkdtemp(join(tmpdir(), 'wasmgate-cli-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('wasmgate --help', () => {
  it('lists serve, certs and check', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['serve', 'certs', 'check']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });
});

describe('wasmgate certs', () => {
  it('writes ca.crt, tls.crt, tls.key and prints the caBundle of ca.crt', async () => {
    const out = join(tmp, 'certs');
    const r = await run(['certs', '--service', 'wasmgate', '--namespace', 'wasmgate', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const files = await readdir(out);
    for (const f of ['ca.crt', 'tls.crt', 'tls.key']) expect(files).toContain(f);

    const caPem = await readFile(join(out, 'ca.crt'), 'utf8');
    const bundle = r.stdout.trim();
    expect(bundle).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(bundle, 'base64').toString('utf8')).toBe(caPem);

    const ca = new X509Certificate(caPem);
    const leaf = new X509Certificate(await readFile(join(out, 'tls.crt')));
    const sans = (leaf.subjectAltName ?? '').split(', ').map((s) => s.replace(/^(DNS|IP Address):/, ''));
    expect(sans).toEqual([
      'wasmgate',
      'wasmgate.wasmgate',
      'wasmgate.wasmgate.svc',
      'wasmgate.wasmgate.svc.cluster.local',
      'localhost',
      '127.0.0.1',
    ]);
    expect(leaf.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);

    // tls.key is the private key of tls.crt
    const keyPem = await readFile(join(out, 'tls.key'), 'utf8');
    expect(leaf.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
  });
});

describe('wasmgate serve', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('serves a verified mutate over TLS and exits 0 within 5 s of SIGTERM', { timeout: 60_000 }, async () => {
    const certDir = join(tmp, 'serve-certs');
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--cluster-state',
        'examples/cluster',
        '--cert-dir',
        certDir,
        '--dev-certs',
        '--drain-seconds',
        '0',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let stderr = '';
    proc.stdout!.resume(); // request logs; not asserted
    const listening = new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not print "listening" within 20 s; stderr: ${stderr}`)), 20_000);
      proc.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
        if (stderr.includes('listening')) {
          clearTimeout(timer);
          resolvePromise();
        }
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited early with ${code}; stderr: ${stderr}`));
      });
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      proc.on('exit', (code, signal) => r({ code, signal })),
    );
    await listening;
    expect(stderr).toContain(`listening on https://127.0.0.1:${port}`);
    expect(stderr).toContain('generated development certificates');

    const ca = await readFile(join(certDir, 'ca.crt'), 'utf8');
    const body = review(podObject({ annotations: { 'wasmgate.dev/runtime': 'wasmtime' } }));
    const r = await postJson(`https://127.0.0.1:${port}/mutate`, body, { ca });
    expect(r.status).toBe(200);
    const out = r.json as ReviewResponse;
    expect(out.response.uid).toBe(body.request.uid);
    expect(out.response.allowed).toBe(true);
    expect(out.response.patchType).toBe('JSONPatch');
    expect(decodePatch(out.response.patch)).toEqual([{ op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' }]);
    expect((await getUrl(`https://127.0.0.1:${port}/readyz`, ca)).status).toBe(200);

    const sentAt = Date.now();
    expect(proc.kill('SIGTERM')).toBe(true);
    const result = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000))]);
    expect(result, `serve did not exit within 5 s of SIGTERM; stderr: ${stderr}`).not.toBe('timeout');
    expect(result).toEqual({ code: 0, signal: null });
    expect(Date.now() - sentAt).toBeLessThan(5_000);
    child = undefined;
  });

  it('--config with an invalid file exits non-zero and names the bad fields', async () => {
    const bad = join(tmp, 'bad.yaml');
    await writeFile(bad, 'bogusField: 1\nunsynced: maybe\n');
    const certDir = join(tmp, 'bad-config-certs');
    const r = await run([
      'serve',
      '--config',
      bad,
      '--cluster-state',
      'examples/cluster',
      '--cert-dir',
      certDir,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain('bogusField: unknown field');
    expect(r.stderr).toMatch(/unsynced: must be one of deny, allow/);
    expect(r.stderr).not.toContain('listening');
  });

  it('--port notaport exits non-zero with a clear message', async () => {
    const r = await run(['serve', '--port', 'notaport', '--cluster-state', 'examples/cluster', '--cert-dir', join(tmp, 'np')]);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(/--port <n>' argument 'notaport' is invalid/);
    expect(r.stderr).toContain('must be a port number (0-65535)');
    expect(r.stderr).not.toContain('listening');
  });
});

describe('wasmgate check', () => {
  it('a good pod: exit 0, the mutation is printed, every line names file:line', async () => {
    const r = await run(['check', '--cluster-state', 'examples/cluster', 'examples/manifests/good-pod.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('examples/manifests/good-pod.yaml:3: Pod default/hello-wasm: mutate: add /spec/runtimeClassName = "wasm1"');
    expect(r.stdout).toContain('examples/manifests/good-pod.yaml:3: Pod default/hello-wasm: allowed');
    expect(r.stdout).toContain('1 checked, 0 denied');
    expect(r.stdout).not.toContain('DENIED');
  });

  it('bad pods: exit 1 and a DENIED line for each, at the line where each object starts', async () => {
    const r = await run(['check', '--cluster-state', 'examples/cluster', 'examples/manifests/bad-pods.yaml']);
    expect(r.code).toBe(1);
    const denied = r.stdout.split('\n').filter((l) => l.includes(': DENIED: '));
    expect(denied.map((l) => l.split(': ').slice(0, 2).join(': '))).toEqual([
      'examples/manifests/bad-pods.yaml:4: Pod default/missing-class',
      'examples/manifests/bad-pods.yaml:15: Pod default/nowhere-to-run',
      'examples/manifests/bad-pods.yaml:28: Pod default/reserved-label',
    ]);
    expect(r.stdout).toContain('Pod default/missing-class: DENIED: [runtimeclass-assigned]');
    expect(r.stdout).toContain('Pod default/nowhere-to-run: DENIED: [nodes-available]');
    expect(r.stdout).toContain('[reserved-label-keys]');
    expect(r.stdout).toContain('3 checked, 3 denied');
  });

  it('a RuntimeClass with a made-up key in a reserved namespace: DENIED (issue 11)', async () => {
    const file = join(tmp, 'made-up-rc.yaml');
    await writeFile(
      file,
      'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: made-up\nhandler: wasmtime\nscheduling:\n  nodeSelector:\n    node.kubernetes.io/wasmtime: "true"\n',
    );
    const r = await run(['check', '--cluster-state', 'examples/cluster', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'RuntimeClass made-up: DENIED: [reserved-label-keys] RuntimeClass made-up selects nodes in scheduling.nodeSelector by label node.kubernetes.io/wasmtime',
    );
  });

  it('-o json and -o sarif: the golden files, same exit code', async () => {
    const files = [
      'examples/manifests/good-pod.yaml',
      'examples/manifests/bad-pods.yaml',
      'examples/manifests/good-deployment.yaml',
      'examples/manifests/bad-deployment.yaml',
    ];
    for (const [format, golden] of [
      ['json', 'test/golden/check-output.json'],
      ['sarif', 'test/golden/check-output.sarif.json'],
      ['text', 'test/golden/check-output.txt'],
    ] as const) {
      const r = await run(['check', '--cluster-state', 'examples/cluster', '-o', format, ...files]);
      expect(r.code, r.stderr).toBe(1);
      const want = await readFile(resolve(ROOT, golden), 'utf8');
      expect(r.stdout).toBe(
        format === 'sarif'
          ? want
              .replace('"version": "0.1.0"', `"version": "${VERSION}"`)
              .replace('"semanticVersion": "0.1.0"', `"semanticVersion": "${VERSION}"`)
          : want,
      );
    }
  });

  it('exit 2 for invalid YAML, naming file and line', async () => {
    const bad = join(tmp, 'bad.yaml');
    await writeFile(bad, 'kind: Pod\nmetadata: {name: a\n');
    const r = await run(['check', '--cluster-state', 'examples/cluster', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^wasmgate check: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: not valid YAML: `));
  });

  it.each([
    [
      'a missing manifest',
      ['check', '--cluster-state', 'examples/cluster', 'nope.yaml'],
      'wasmgate check: nope.yaml cannot be read: ENOENT',
    ],
    ['no --cluster-state', ['check', 'examples/manifests/good-pod.yaml'], "required option '--cluster-state <path>' not specified"],
    [
      'a bad -o',
      ['check', '--cluster-state', 'examples/cluster', '-o', 'xml', 'examples/manifests/good-pod.yaml'],
      "argument 'xml' is invalid",
    ],
  ])('exit 2 when nothing could be checked: %s', async (_name, args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });
});

describe('wasmgate manifests --rbac', () => {
  it('prints the ClusterRole derived from the table of kinds', async () => {
    const r = await run(['manifests', '--rbac']);
    expect(r.code, r.stderr).toBe(0);
    expect(parseYaml(r.stdout)).toEqual(clusterRoles()[0]);
    const rules = (parseYaml(r.stdout) as { rules: { resources: string[]; verbs: string[] }[] }).rules;
    const verbsOf = (resource: string): string[] | undefined => rules.find((rule) => rule.resources.includes(resource))?.verbs;
    expect(verbsOf('nodes')).toEqual(['list', 'watch']);
    expect(verbsOf('deployments')).toEqual(['list']);
  });
});

describe('wasmgate manifests --opt-out-label', () => {
  type Selector = { matchExpressions: { key: string; operator: string; values?: string[] }[] };
  /** the namespaceSelector of every webhook on namespaced kinds (Node and RuntimeClass webhooks have none) */
  const selectors = (yaml: string): Selector[] =>
    parseAllDocuments(yaml).flatMap((d) =>
      (d.toJS() as { webhooks: { namespaceSelector?: Selector }[] }).webhooks.flatMap((w) =>
        w.namespaceSelector === undefined ? [] : [w.namespaceSelector],
      ),
    );

  it('excludes namespaces carrying the label from every webhook, besides kube-system and the namespace', async () => {
    const r = await run(['manifests', '--namespace', 'wg', '--opt-out-label', 'wasmgate.dev/ignore']);
    expect(r.code, r.stderr).toBe(0);
    const expected = webhookConfigurations(parseConfig({}), {
      client: { service: { name: 'wasmgate', namespace: 'wg' } },
      excludeNamespaces: ['wg'],
      optOutLabel: 'wasmgate.dev/ignore',
    });
    expect(parseAllDocuments(r.stdout).map((d) => d.toJS())).toEqual(expected);
    const all = selectors(r.stdout);
    expect(all.length).toBeGreaterThan(1);
    for (const s of all) {
      expect(s.matchExpressions).toEqual([
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'wg'] },
        { key: 'wasmgate.dev/ignore', operator: 'DoesNotExist' },
      ]);
    }
  });

  it('adds no label selector without the flag', async () => {
    const r = await run(['manifests']);
    expect(r.code, r.stderr).toBe(0);
    for (const s of selectors(r.stdout)) expect(s.matchExpressions.map((e) => e.operator)).toEqual(['NotIn']);
  });

  it('refuses a key that is not a label key, saying what one is', async () => {
    for (const bad of ['-ignore', 'wasmgate.dev/', 'Wasmgate.Dev/ignore', `x/${'a'.repeat(64)}`, 'a b']) {
      const r = await run(['manifests', '--opt-out-label', bad]);
      expect(r.code, bad).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('must be a label key');
    }
    // the error line (commander prints the command's help after it)
    const r = await run(['manifests', '--opt-out-label', 'wasmgate.dev/']);
    await expect(`${r.stderr.split('\n')[0]}\n`).toMatchFileSnapshot('../golden/cli-opt-out-label-invalid.txt');
  });
});

describe('wasmgate playground --offline', () => {
  it('serves the example snapshot, prints a working curl line, and stops on Ctrl-C', async () => {
    const dir = join(tmp, 'playground');
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, [BIN, 'playground', '--offline', '--port', String(port), '--dir', dir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + 20_000;
    while (!out.includes('Ctrl-C stops everything')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`playground --offline did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      expect(out).toContain('(offline: example snapshot)');
      expect(out).not.toContain('export KUBECONFIG');
      // what the printed curl line posts
      const curl = /curl --cacert (\S+) -H 'Content-Type: application\/json' --data @(\S+) (\S+)/.exec(out);
      expect(curl).not.toBeNull();
      const [, caPath, bodyPath, url] = curl!;
      expect(url).toBe(`https://127.0.0.1:${port}/mutate`);
      const res = await postJson(url!, undefined, {
        ca: await readFile(resolve(ROOT, caPath!)),
        rawBody: await readFile(resolve(ROOT, bodyPath!)),
      });
      expect(res.status).toBe(200);
      expect(decodePatch((res.json as ReviewResponse).response.patch)).toEqual([
        { op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' },
      ]);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
