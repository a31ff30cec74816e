/**
 * `wasmgate node config | doctor | runtimeclass`: preparing Wasm nodes (containerd runtime
 * registration, its lint, the RuntimeClass). Exit codes, for every subcommand:
 *   0  done (doctor: no finding)
 *   1  refused (config: the file cannot be changed safely; runtimeclass: a reserved label) or,
 *      for doctor, at least one finding
 *   2  bad arguments, or an input that cannot be read (file, kubeconfig, cluster state)
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/config.js';
import { loadClusterFacts } from '../node/cluster.js';
import { ConfigParseError } from '../node/config-file.js';
import { configFragment, mergeConfig, MergeRefused } from '../node/config-gen.js';
import {
  CONFIG_VERSIONS,
  CONTAINERD_RELEASES,
  CRI_PLUGIN,
  NodeUsageError,
  RELEASE_CONFIG_VERSION,
  RELEASE_READS,
  parseRuntimeArg,
  runtimesPath,
  type ConfigVersion,
  type ContainerdRelease,
} from '../node/containerd.js';
import { doctorExitCode, EXIT_CANNOT_CHECK, formatDoctor, runDoctor } from '../node/doctor.js';
import { readConfigFacts, rootHostname, scanShims, shimFinder } from '../node/facts.js';
import { parseLabel, parseToleration, reservedLabelProblems, runtimeClassYaml } from '../node/runtimeclass.js';

const EXIT_REFUSED = 1;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Run an action; known errors become one line on stderr and an exit code, never a stack trace. */
async function guarded(name: string, action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`wasmgate node ${name}: ${message}\n`);
    process.exitCode = err instanceof MergeRefused || err instanceof ConfigParseError ? EXIT_REFUSED : EXIT_CANNOT_CHECK;
  }
}

function releaseOf(value: string | undefined): ContainerdRelease | undefined {
  if (value === undefined) return undefined;
  const v = /^2(\.[0-9x]+)?$/.test(value) ? '2.x' : value;
  if (!(CONTAINERD_RELEASES as readonly string[]).includes(v))
    throw new NodeUsageError(`--containerd-version ${value}: expected one of ${CONTAINERD_RELEASES.join(', ')}`);
  return v as ContainerdRelease;
}

function versionOf(value: string | undefined): ConfigVersion | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(CONFIG_VERSIONS as readonly number[]).includes(n))
    throw new NodeUsageError(`--config-version ${value}: expected one of ${CONFIG_VERSIONS.join(', ')}`);
  return n as ConfigVersion;
}

interface ConfigOpts {
  runtime: string[];
  containerdVersion?: string;
  configVersion?: string;
  merge?: string;
}

function configAction(opts: ConfigOpts): void {
  const runtimes = opts.runtime.map(parseRuntimeArg);
  const names = runtimes.map((r) => r.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new NodeUsageError(`--runtime ${dup} is given twice`);
  const release = releaseOf(opts.containerdVersion);
  const configVersion = versionOf(opts.configVersion);
  if (release !== undefined && configVersion !== undefined && !RELEASE_READS[release].includes(configVersion)) {
    throw new NodeUsageError(
      `containerd ${release} does not read config version ${configVersion} (it reads ${RELEASE_READS[release].join(' and ')})`,
    );
  }
  if (opts.merge === undefined) {
    const version = configVersion ?? (release === undefined ? undefined : RELEASE_CONFIG_VERSION[release]);
    if (version === undefined) {
      throw new NodeUsageError(
        'say which config the tables are for: --containerd-version 1.6|1.7|2.x, --config-version 1|2|3|4 (the `version` line of config.toml), or --merge FILE to read it from the file',
      );
    }
    process.stdout.write(configFragment(version, runtimes));
    return;
  }
  let text: string;
  try {
    text = readFileSync(opts.merge, 'utf8');
  } catch (err) {
    throw new NodeUsageError(`cannot read ${opts.merge}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const result = mergeConfig(text, opts.merge, runtimes, {
    ...(configVersion === undefined ? {} : { configVersion }),
    ...(release === undefined ? {} : { release }),
  });
  process.stdout.write(result.text);
  for (const note of result.notes) process.stderr.write(`${note}\n`);
  const where = runtimesPath(CRI_PLUGIN[result.version]);
  if (result.present.length > 0) process.stderr.write(`already registered under ${where}, left as is: ${result.present.join(', ')}\n`);
  if (result.added.length > 0) {
    process.stderr.write(
      `added under ${where} (config version ${result.version}): ${result.added.join(', ')}. Install the file, then restart containerd (systemctl restart containerd).\n`,
    );
  }
}

interface DoctorOpts {
  root: string;
  config?: string;
  kubeconfig?: string;
  clusterState?: string[];
  node?: string;
  wasmgateConfig?: string;
}

async function doctorAction(opts: DoctorOpts): Promise<void> {
  const root = resolve(opts.root);
  const onNode = root === '/';
  const hostPath =
    opts.config !== undefined ? resolve(opts.config) : onNode ? '/etc/containerd/config.toml' : join(root, 'etc/containerd/config.toml');
  const config = readConfigFacts({ hostPath, display: opts.config !== undefined && !isAbsolute(opts.config) ? opts.config : hostPath });
  const shims = scanShims(root);
  const wantCluster = opts.kubeconfig !== undefined || opts.clusterState !== undefined;
  const nodeName = opts.node ?? (onNode ? hostname() : rootHostname(root));
  if (wantCluster && nodeName === undefined)
    throw new NodeUsageError(`the root filesystem ${root} has no /etc/hostname: pass --node NAME for the cluster checks`);
  const cluster = wantCluster
    ? await loadClusterFacts(
        {
          ...(opts.clusterState === undefined ? {} : { clusterState: opts.clusterState }),
          ...(opts.kubeconfig === undefined ? {} : { kubeconfig: opts.kubeconfig }),
        },
        nodeName!,
        await loadConfig(opts.wasmgateConfig),
      )
    : undefined;
  const report = runDoctor({ root, config, shims, findShim: shimFinder(root, shims), ...(cluster === undefined ? {} : { cluster }) });
  process.stdout.write(formatDoctor(report));
  process.exitCode = doctorExitCode(report);
}

interface RuntimeClassOpts {
  runtime: string;
  label: string[];
  toleration?: string[];
  name?: string;
  wasmgateConfig?: string;
}

async function runtimeClassAction(opts: RuntimeClassOpts): Promise<void> {
  const runtime = parseRuntimeArg(opts.runtime);
  const labels = Object.fromEntries(opts.label.map(parseLabel));
  const req = { name: opts.name ?? runtime.name, handler: runtime.name, labels, tolerations: (opts.toleration ?? []).map(parseToleration) };
  const problems = reservedLabelProblems(req, await loadConfig(opts.wasmgateConfig));
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`${p}\n`);
    process.exitCode = EXIT_REFUSED;
    return;
  }
  process.stdout.write(runtimeClassYaml(req));
}

export function nodeCommand(): Command {
  const node = new Command('node')
    .description('prepare Wasm nodes: containerd runtime registration (config), its lint (doctor), the RuntimeClass (runtimeclass)')
    .showHelpAfterError()
    // usage errors exit 2, like an unreadable input; help and --version exit 0
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_CANNOT_CHECK));

  node
    .command('config')
    .description(
      'print containerd config.toml tables registering Wasm runtimes, or (--merge) the whole file with them added; exit 1 when the file cannot be changed safely, 2 on bad arguments',
    )
    .requiredOption(
      '--runtime <name[=runtime_type]>',
      `runtime (handler) name; wasmgate knows the runtime_type of wasmtime, spin, wasmedge, wasmer, slight, wws, lunatic; repeatable`,
      collect,
    )
    .addOption(
      new Option('--containerd-version <release>', 'the containerd release on the node: 1.6, 1.7 (config version 2) or 2.x (version 3)'),
    )
    .addOption(new Option('--config-version <n>', 'the config.toml version: 1, 2, 3 or 4'))
    .option(
      '--merge <file>',
      'print this config.toml with the runtimes added (its version decides the path; everything else is kept byte for byte)',
    )
    .action((opts: ConfigOpts) => guarded('config', () => configAction(opts)));

  node
    .command('doctor')
    .description(
      'check a node (or an unpacked root filesystem) for Wasm runtime mistakes; exit 0 when none, 1 with findings, 2 when it cannot check',
    )
    .option('--root <dir>', 'root filesystem of the node', '/')
    .option('--config <file>', 'containerd config (default: <root>/etc/containerd/config.toml)')
    .option('--kubeconfig <file>', "also check the cluster's RuntimeClasses and this Node (one list of each)")
    .option('--cluster-state <path>', 'also check against a snapshot of Nodes and RuntimeClasses (file or directory); repeatable', collect)
    .option('--node <name>', 'the Node name in the cluster (default: the hostname; with --root, its /etc/hostname)')
    .option('--wasmgate-config <file>', "wasmgate's YAML config (reservedLabelAllowlist, wasmHandlers)")
    .action((opts: DoctorOpts) => guarded('doctor', () => doctorAction(opts)));

  node
    .command('runtimeclass')
    .description('print the RuntimeClass for a runtime and the kubectl label command; exit 1 (refused) for a reserved-namespace label')
    .requiredOption('--runtime <name[=runtime_type]>', 'the runtime (handler) name as registered in containerd')
    .requiredOption('--label <key=value>', 'node label the RuntimeClass selects; repeatable', collect)
    .option('--toleration <key[=value][:effect]>', 'toleration for tainted Wasm nodes; repeatable', collect)
    .option('--name <name>', 'RuntimeClass name (default: the runtime name)')
    .option('--wasmgate-config <file>', "wasmgate's YAML config (reservedLabelAllowlist)")
    .action((opts: RuntimeClassOpts) => guarded('runtimeclass', () => runtimeClassAction(opts)));

  return node;
}

/** For a COMMANDS list of register functions: `program.addCommand(nodeCommand())`. */
export function registerNode(program: Command): void {
  program.addCommand(nodeCommand());
}
