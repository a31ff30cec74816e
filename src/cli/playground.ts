/**
 * `wasmgate playground` (what `npm start` runs): a local cluster to try wasmgate in, without a
 * wait. Two phases:
 *  1. At once: wasmgate serves the example snapshot (examples/cluster) and the curl command to
 *     try is printed.
 *  2. In the background: the control-plane binaries are built (a cold build takes many minutes;
 *     progress with elapsed time and an estimate is printed), a local cluster starts on loopback
 *     (playground-cluster.ts), wasmgate's cluster state switches from the snapshot to the live
 *     cluster in the same HTTPS server, and the kubectl commands are printed.
 * `--offline` is phase 1 alone. Ctrl-C stops everything, in either phase.
 */
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSnapshot } from '../cluster/snapshot.js';
import { port } from './options.js';
import { startLocalCluster, type LocalCluster } from './playground-cluster.js';
import { startServer, type Running } from './serve.js';
import { onShutdown } from './shutdown.js';
import { SwitchableState } from './switchable-state.js';

export interface PlaygroundOptions {
  offline: boolean;
  port: number;
  dir: string;
  examples: string;
}

export interface Playground {
  stop(): Promise<void>;
}

const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

export async function playground(opts: PlaygroundOptions): Promise<Playground> {
  const dir = resolve(opts.dir);
  const examples = resolve(opts.examples);
  const rel = (p: string): string => relative(process.cwd(), p) || '.';
  await mkdir(dir, { recursive: true });
  const configFile = join(examples, 'config.yaml');
  const certDir = join(dir, 'certs');
  const snapshotDir = join(examples, 'cluster');

  // Phase 1: the example snapshot, served at once.
  let server: Running;
  let state: SwitchableState | undefined;
  const serve = { config: configFile, certDir, port: opts.port, host: '127.0.0.1', logLevel: 'warn', devCerts: true };
  if (opts.offline) {
    server = await startServer({ ...serve, clusterState: [snapshotDir] });
  } else {
    say('wasmgate playground: serving the example snapshot now; the local cluster starts in the background');
    const snapshot = await loadSnapshot([snapshotDir]);
    state = new SwitchableState(snapshot.state);
    server = await startServer({ ...serve, state }, (l) => say(`  ${l}`));
    say(
      `  cluster state: example snapshot ${rel(snapshotDir)} (${snapshot.summary.nodes} nodes, ${snapshot.summary.runtimeClasses} RuntimeClasses)`,
    );
  }
  const url = server.url;

  const curl = `curl --cacert ${rel(join(certDir, 'ca.crt'))} -H 'Content-Type: application/json' --data @${rel(join(examples, 'admission-review.json'))} ${server.url}/mutate`;
  say();
  say(
    `wasmgate is serving on ${server.url} (${opts.offline ? 'offline: example snapshot' : 'example snapshot until the local cluster is up'})`,
  );
  say();
  say('Post a sample AdmissionReview:');
  say(`  ${curl}`);
  say();
  if (!opts.offline) say('Starting the local cluster in the background; the kubectl commands follow when it is up.');
  say('Ctrl-C stops everything.');

  // Phase 2: the local cluster, in the background.
  let stopping = false;
  let local: LocalCluster | undefined;
  const abort = new AbortController();
  const background = (switchable: SwitchableState): Promise<void> => {
    const snapshotState = switchable.current;
    return startLocalCluster({
      examples,
      configFile,
      certDir,
      dir,
      url,
      say,
      signal: abort.signal,
      stopping: () => stopping,
      useLive: (live) => switchable.switchTo(live),
    }).then(
      (started) => {
        local = started;
        if (started === undefined) return;
        say();
        say(`The local cluster is up: wasmgate on ${url} now decides from its live state (it was the example snapshot).`);
        say();
        say('Use the cluster:');
        say(`  export KUBECONFIG=${join(dir, 'kubeconfig')}`);
        say(`  export PATH=${started.cp.binDir}:$PATH`);
        say(`  kubectl apply -f ${rel(join(examples, 'manifests', 'good-pod.yaml'))}   # gets runtimeClassName wasm1`);
        say('  kubectl get pod hello-wasm -o jsonpath=\'{.spec.runtimeClassName} {.spec.nodeName}{"\\n"}\'');
        say(`  kubectl apply -f ${rel(join(examples, 'manifests', 'bad-pods.yaml'))}    # each denied, with the fix`);
        say('  kubectl label node spin-1 spin-enabled-                # warns: strands RuntimeClass wasmtime-spin-v2');
        say();
        say('Ctrl-C stops everything.');
      },
      (err: unknown) => {
        if (stopping) return;
        switchable.switchTo(snapshotState);
        say();
        say(`The local cluster could not start: ${err instanceof Error ? err.message : String(err)}`);
        say(`wasmgate keeps serving the example snapshot on ${url}. Ctrl-C stops it.`);
      },
    );
  };
  if (state !== undefined) void background(state);

  return {
    async stop() {
      stopping = true;
      abort.abort();
      await server.close();
      await local?.stop();
    },
  };
}

export function registerPlayground(program: Command): void {
  program
    .command('playground')
    .description('local playground (npm start): a control plane on loopback, wasmgate against it, the examples applied')
    .option('--offline', 'no control plane: serve the example snapshot only', false)
    .option('-p, --port <n>', 'HTTPS port for wasmgate', port, 8443)
    .option('--dir <dir>', 'where the playground keeps its kubeconfig and certificates', '.playground')
    .option('--examples <dir>', 'examples directory', 'examples')
    .action(async (opts: PlaygroundOptions) => {
      const running = await playground(opts);
      onShutdown([() => running.stop()], { onSignal: () => say('stopping...') });
    });
}
