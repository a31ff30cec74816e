/**
 * kubectl against the control plane: running the binary (with a timeout, stdin, no proxy), and
 * the helpers tests and the playground use (kubectlOk, kubectlJson, applyObjects).
 */
import { spawn } from 'node:child_process';
import { childEnv, seconds } from './process.js';
import type { ControlPlane, KubectlOptions, KubectlResult } from './types.js';

/** Runs `kubectl --kubeconfig <kubeconfig> <args>`; resolves with the exit code and output. */
export async function runKubectl(kubectl: string, kubeconfig: string, args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return await new Promise<KubectlResult>((resolve, reject) => {
    const child = spawn(kubectl, ['--kubeconfig', kubeconfig, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: childEnv(),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin.on('error', () => {
      /* EPIPE when kubectl exits before reading stdin; the exit code tells the story */
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run kubectl: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`kubectl ${args.join(' ')} timed out after ${seconds(timeoutMs)}\nstdout: ${stdout}\nstderr: ${stderr}`));
      } else {
        resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr });
      }
    });
    child.stdin.end(opts.input ?? '');
  });
}

// ---------------------------------------------------------------------------------------------
// kubectl helpers

/** Runs kubectl and returns stdout; throws (with the command and stderr) on a non-zero exit code. */
export async function kubectlOk(cp: ControlPlane, args: string[], opts?: KubectlOptions): Promise<string> {
  const r = await cp.kubectl(args, opts);
  if (r.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} exited with ${r.code}\nstderr: ${r.stderr.trim()}\nstdout: ${r.stdout.trim()}`);
  }
  return r.stdout;
}

/** `kubectl <args> -o json`, parsed. */
export async function kubectlJson<T = any>(cp: ControlPlane, args: string[], opts?: KubectlOptions): Promise<T> {
  return JSON.parse(await kubectlOk(cp, [...args, '-o', 'json'], opts)) as T;
}

/** `kubectl apply -f -` with the given object(s) (serialized as a JSON List when several). */
export async function applyObjects(cp: ControlPlane, objects: object | object[]): Promise<string> {
  const input = Array.isArray(objects) ? JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) : JSON.stringify(objects);
  return await kubectlOk(cp, ['apply', '-f', '-'], { input });
}
