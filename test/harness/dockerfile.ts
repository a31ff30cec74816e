/**
 * Runs the build steps of the repository's Dockerfile without a container engine or base image:
 * each stage gets its own directory standing for its root filesystem; WORKDIR, ENV, COPY (from
 * the build context filtered by .dockerignore, or --from an earlier stage) and RUN (sh -c, in the
 * stage's WORKDIR, with this machine's node and npm) are executed as written; USER, ENTRYPOINT
 * and CMD of the last stage are returned so the tree can be started as the image would start.
 *
 * What this does NOT prove: the base image (its Node version, its libc), and file ownership.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';

export interface Tree {
  /** the final stage's root */
  root: string;
  env: Record<string, string>;
  user: string;
  workdir: string;
  entrypoint: string[];
  cmd: string[];
  /** every instruction executed, as `STAGE: INSTRUCTION` */
  steps: string[];
}

/** .dockerignore with the `**` + `!pattern` form this repository uses. */
function included(rel: string, patterns: string[]): boolean {
  let keep = true;
  for (const p of patterns) {
    const negate = p.startsWith('!');
    const glob = negate ? p.slice(1) : p;
    const re = new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*/g, '\uE000')
        .replace(/\*/g, '[^/]*')
        .replace(/\uE000/g, '.*')}$`,
    );
    if (re.test(rel)) keep = negate;
  }
  return keep;
}

function contextFiles(context: string, patterns: string[], dir = context): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const rel = relative(context, full);
    if (name === 'node_modules' || name === '.git') continue;
    if (statSync(full).isDirectory()) out.push(...contextFiles(context, patterns, full));
    else if (included(rel, patterns)) out.push(rel);
  }
  return out;
}

function words(json: string): string[] {
  return json.trim().startsWith('[') ? (JSON.parse(json) as string[]) : ['sh', '-c', json];
}

export function buildTree(context: string, out: string, log: (line: string) => void = () => {}): Tree {
  const lines = readFileSync(join(context, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ').split('\n');
  const ignore = readFileSync(join(context, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const files = contextFiles(context, ignore);
  const stages = new Map<string, string>();
  const args: Record<string, string> = {};
  let root = '';
  let workdir = '/';
  let env: Record<string, string> = {};
  let user = 'root';
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  let stage = 0;
  const steps: string[] = [];
  const inRoot = (p: string): string => join(root, resolve(workdir, p));
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [op, ...restParts] = line.split(/\s+/);
    const rest = restParts.join(' ');
    steps.push(`${stage}: ${line}`);
    switch (op!.toUpperCase()) {
      case 'ARG': {
        const [k, v] = rest.split('=');
        args[k!] = v ?? '';
        break;
      }
      case 'FROM': {
        stage++;
        root = join(out, `stage-${stage}`);
        mkdirSync(root, { recursive: true });
        const as = /\s+AS\s+(\S+)$/i.exec(rest);
        if (as) stages.set(as[1]!, root);
        workdir = '/';
        env = {};
        user = 'root';
        break;
      }
      case 'WORKDIR':
        workdir = resolve(workdir, rest);
        mkdirSync(join(root, workdir), { recursive: true });
        break;
      case 'ENV':
        // KEY=value or KEY="value with spaces"
        for (const m of rest.matchAll(/(\w+)=(?:"([^"]*)"|(\S+))/g)) env[m[1]!] = m[2] ?? m[3]!;
        break;
      case 'COPY': {
        const parts = rest.split(/\s+/);
        const from = parts[0]!.startsWith('--from=') ? stages.get(parts.shift()!.slice(7)) : undefined;
        const dest = parts.pop()!;
        for (const src of parts) {
          if (from !== undefined) {
            cpSync(join(from, src), inRoot(dest), { recursive: true });
            continue;
          }
          const copyTo = (f: string, target: string): void => {
            mkdirSync(dirname(target), { recursive: true });
            cpSync(join(context, f), target);
          };
          if (files.includes(src)) {
            copyTo(src, parts.length > 1 || dest.endsWith('/') ? join(inRoot(dest), basename(src)) : inRoot(dest));
            continue;
          }
          const under = files.filter((f) => f.startsWith(`${src.replace(/\/$/, '')}/`));
          if (under.length === 0) throw new Error(`COPY ${src}: nothing in the build context (check .dockerignore)`);
          for (const f of under) copyTo(f, join(inRoot(dest), relative(src, f)));
        }
        break;
      }
      case 'RUN':
        log(`stage ${stage}: RUN ${rest}`);
        execFileSync('sh', ['-c', rest], {
          cwd: join(root, workdir),
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
          maxBuffer: 64 << 20,
        });
        break;
      case 'USER':
        user = rest;
        break;
      case 'ENTRYPOINT':
        entrypoint = words(rest);
        break;
      case 'CMD':
        cmd = words(rest);
        break;
      case 'EXPOSE':
        break;
      default:
        throw new Error(`Dockerfile instruction ${op} is not supported by this runner`);
    }
  }
  if (!existsSync(root)) throw new Error('the Dockerfile has no stage');
  void args;
  return { root, env, user, workdir, entrypoint, cmd, steps };
}
