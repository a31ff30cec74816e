/**
 * Image detection cost: a cold registry lookup on loopback (real distribution v3 registry over
 * TLS, objects pushed by oras), the warm-cache resolver path that sits on every admission request,
 * and the /mutate decision with detection on (warm cache) against 5,000 bench Nodes. Run: `npx tsx bench/images.ts` (BENCH_IMAGE_COLD=N, BENCH_IMAGE_WARM=N to change the
 * counts). Writes its section of bench/results.md between the image-detection markers.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { Registry } from 'prom-client';
import { parseConfig } from '../src/config/config.js';
import { containerImages } from '../src/images/facts.js';
import { registryAgent, registrySecureContext } from '../src/images/http.js';
import { imageIntent } from '../src/images/intent.js';
import { detectImages } from '../src/images/detect.js';
import { leanNode, leanRuntimeClass } from '../src/cluster/lean.js';
import { MemoryState } from '../src/cluster/memory-state.js';
import { mutate, mutateTarget } from '../src/decide/engine.js';
import type { AdmissionRequest } from '../src/review/envelope.js';
import { makeNode } from './nodes.js';
import { RUNTIME_CLASSES } from './shared.js';
import { ImageResolver } from '../src/images/resolver.js';
import { startRegistry, tempDir, testPki, toolBin } from '../test/registry/harness.js';
import { REPOS, pushAll, type ObjectName } from '../test/registry/objects.js';

const COLD = Number(process.env['BENCH_IMAGE_COLD'] ?? 200);
const NODES = Number(process.env['BENCH_NODES'] ?? 5000);
const WARM = Number(process.env['BENCH_IMAGE_WARM'] ?? 100_000);
const POD = { namespace: 'apps', pullSecrets: [] };

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
function stats(xs: number[]): { p50: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), max: s[s.length - 1]! };
}
const ns = () => process.hrtime.bigint();
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
const us = (a: bigint, b: bigint) => Number(b - a) / 1e3;

async function main(): Promise<void> {
  const work = await tempDir('wasmgate-bench-images-');
  const pki = await testPki(join(work.dir, 'pki'));
  const registry = await startRegistry({
    bin: await toolBin('registry'),
    storage: join(work.dir, 'storage'),
    pki,
    auth: { kind: 'anonymous' },
    workDir: join(work.dir, 'reg'),
  });
  try {
    await pushAll(await toolBin('oras'), registry.host, pki, work.dir);
    const base = parseConfig({ imageDetection: { enabled: true, registries: [registry.host] } }).imageDetection;
    const config = { ...base, budgetMs: 60_000 };
    const image = (n: ObjectName) => `${registry.host}/${REPOS[n]}`;
    const sharedAgent = registryAgent(pki.ca.cert);
    // one agent that never reuses a connection nor resumes a TLS session: a full handshake per request
    const freshAgent = new Agent({ keepAlive: false, maxCachedSessions: 0, secureContext: registrySecureContext(pki.ca.cert) });

    // cold: a new resolver (empty caches) per lookup; new connection (TLS handshake) or a kept-alive one
    const cold: Record<string, number[]> = {};
    for (const [label, name, fresh] of [
      ['wasi/wasm image, new connection and full TLS handshake per request (manifest + config)', 'wasiImage', true],
      ['wasi/wasm image, kept-alive connection', 'wasiImage', false],
      ['Spin app, kept-alive connection (manifest only)', 'spinApp', false],
      ['mixed index, kept-alive connection (index + wasi manifest + config)', 'mixedIndex', false],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < COLD + 10; i++) {
        const agent = fresh ? freshAgent : sharedAgent;
        const r = new ImageResolver({ config, metrics: new Registry(), agent });
        const t0 = ns();
        const [f] = await r.resolve([{ container: 'app', init: false, image: image(name) }], POD);
        const t1 = ns();
        if (f?.status !== 'classified') throw new Error(`lookup failed: ${JSON.stringify(f)}`);
        if (i >= 10) times.push(ms(t0, t1));
      }
      cold[label] = times;
    }

    // warm: one resolver, caches primed
    const r = new ImageResolver({ config, metrics: new Registry(), agent: sharedAgent });
    const spec = {
      containers: [
        { name: 'app', image: image('wasiImage') },
        { name: 'helper', image: image('wasmArtifact') },
      ],
    };
    const imgs = containerImages(spec);
    const fullConfig = parseConfig({ imageDetection: { enabled: true, registries: [registry.host] } });
    await r.resolve(imgs, POD);
    const one: number[] = [];
    const pod: number[] = [];
    const withIntent: number[] = [];
    for (let i = 0; i < WARM + 2000; i++) {
      let t0 = ns();
      await r.resolveOne(imgs[0]!.image, POD);
      let t1 = ns();
      if (i >= 2000) one.push(us(t0, t1));
      t0 = ns();
      const facts = await r.resolve(imgs, POD);
      t1 = ns();
      if (i >= 2000) pod.push(us(t0, t1));
      t0 = ns();
      imageIntent({ subject: 'Pod apps/hello', specPath: 'spec', images: facts }, fullConfig);
      t1 = ns();
      if (i >= 2000) withIntent.push(us(t0, t1));
    }
    // the /mutate decision with detection on, warm cache, against 5,000 bench Nodes (bench/nodes.ts)
    const state = new MemoryState('snapshot', 'bench');
    for (let i = 0; i < NODES; i++) state.upsertNode(leanNode(makeNode(i).node)!);
    for (const rc of RUNTIME_CLASSES) {
      const obj = {
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        metadata: { name: rc.name },
        handler: rc.handler,
        scheduling: { nodeSelector: rc.nodeSelector, tolerations: rc.tolerations },
      };
      state.upsertRuntimeClass(leanRuntimeClass(obj)!);
    }
    state.markSynced(true);
    const fullOn = { ...fullConfig, imageDetection: config };
    const podReq = (annotations: Record<string, string> | undefined, img: string): AdmissionRequest => ({
      uid: 'bench',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      name: 'hello',
      namespace: 'apps',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'hello', namespace: 'apps', ...(annotations ? { annotations } : {}) },
        spec: { containers: [{ name: 'app', image: img }] },
      },
    });
    const deployReq: AdmissionRequest = {
      uid: 'bench',
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      operation: 'CREATE',
      name: 'web',
      namespace: 'apps',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'apps' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: image('spinApp') }] } },
        },
      },
    };
    const decisionCases: Array<[string, AdmissionRequest, string, boolean]> = [
      [
        'Pod, wasi/wasm image, no annotation → wasm1 (ranked among 2 wasmtime-compatible classes)',
        podReq(undefined, image('wasiImage')),
        'wasm1',
        true,
      ],
      ['Deployment, Spin app, no annotation → spin', deployReq, 'spin', true],
      [
        'for comparison: Pod annotated wasmgate.dev/runtime=wasmtime, detection not involved',
        podReq({ 'wasmgate.dev/runtime': 'wasmtime' }, image('wasiImage')),
        'wasm1',
        false,
      ],
    ];
    const decision: Record<string, number[]> = {};
    for (const [label, req, expected, detected] of decisionCases) {
      const t = mutateTarget(req)!;
      const dt = { kind: t.kind, namespace: t.namespace, name: t.name, spec: t.spec, annotations: t.annotations, specPath: t.specField };
      const pure: number[] = [];
      const whole: number[] = [];
      const facts = await detectImages(dt, fullOn, r);
      if (detected !== (facts !== undefined)) throw new Error(`${label}: detection ${facts === undefined ? 'skipped' : 'ran'}`);
      for (let i = 0; i < WARM + 2000; i++) {
        let t0 = ns();
        const a = mutate(req, state, fullOn, facts);
        let t1 = ns();
        if (i >= 2000) pure.push(us(t0, t1));
        if ((a.patch?.[0] as { value?: string } | undefined)?.value !== expected) throw new Error(`${label}: ${JSON.stringify(a)}`);
        t0 = ns();
        const target = mutateTarget(req)!;
        const f = await detectImages({ ...dt, spec: target.spec, annotations: target.annotations }, fullOn, r);
        mutate(req, state, fullOn, f);
        t1 = ns();
        if (i >= 2000) whole.push(us(t0, t1));
      }
      decision[`${label}: mutate() alone (the decision; given the facts when detected)`] = pure;
      decision[`${label}: the whole warm path: pod target + detectImages (cached) + mutate()`] = whole;
    }

    const warm = {
      'resolveOne: one image, cache hit (tag → digest → classification)': one,
      'resolve: a pod with 2 images, all cached (answered synchronously: no timer, no request)': pod,
      'imageIntent on those facts (pure)': withIntent,
    };

    const f = (x: number, d = 2) => x.toFixed(d);
    const lines = [
      '<!-- image-detection:start -->',
      '## Image detection (issue 15): registry lookups',
      '',
      `Generated by \`npx tsx bench/images.ts\` on ${new Date().toISOString()} (BENCH_IMAGE_COLD=${COLD}, BENCH_IMAGE_WARM=${WARM}). ` +
        `Machine: ${cpus().length} CPUs (load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(
            ' ',
          )} at the end: shared with other builds), Node ${process.version}; distribution registry ${registry.host} on loopback over TLS (anonymous), objects pushed by oras; ` +
        'each run starts after 10 (cold) or 2,000 (warm) unmeasured iterations.',
      '',
      '| cold lookup (new resolver, empty caches) | p50 | p99 | max |',
      '|---|---|---|---|',
      ...Object.entries(cold).map(([k, v]) => {
        const s = stats(v);
        return `| ${k} | ${f(s.p50)} ms | ${f(s.p99)} ms | ${f(s.max)} ms |`;
      }),
      '',
      '| warm cache (what a request pays once the image is known) | p50 | p99 | max |',
      '|---|---|---|---|',
      ...Object.entries(warm).map(([k, v]) => {
        const s = stats(v);
        return `| ${k} | ${f(s.p50)} µs | ${f(s.p99)} µs | ${f(s.max, 0)} µs |`;
      }),
      '',
      `| /mutate decision with detection on, warm cache, ${NODES} bench Nodes (bench/nodes.ts), RuntimeClasses wasm1, spin, wasmedge-unmatched | p50 | p99 | max |`,
      '|---|---|---|---|',
      ...Object.entries(decision).map(([k, v]) => {
        const s = stats(v);
        return `| ${k} | ${f(s.p50)} µs | ${f(s.p99)} µs | ${f(s.max, 0)} µs |`;
      }),
      '',
      'Goal: decision p99 ≤ 50 µs (bench/results.md, "Goals from the issue"). With detection wired in (issue 15), the /mutate rows above are the decision on the warm path: ' +
        '`mutate()` given the facts, and the whole of it as the HTTP layer runs it (pod target, cached lookup answered synchronously, decision). ' +
        'A cold lookup happens once per digest (no expiry) and once per tag per tagTtlSeconds; concurrent ones are single-flighted.',
      '<!-- image-detection:end -->',
      '',
    ];
    const section = lines.join('\n');
    process.stdout.write(`${section}\n`);
    const path = new URL('results.md', import.meta.url).pathname;
    const current = await readFile(path, 'utf8');
    const re = /<!-- image-detection:start -->[\s\S]*?<!-- image-detection:end -->\n?/;
    await writeFile(path, re.test(current) ? current.replace(re, section) : `${current.trimEnd()}\n\n${section}`);
    sharedAgent.destroy();
    freshAgent.destroy();
  } finally {
    await registry.stop();
    await work.remove();
  }
}

await main();
