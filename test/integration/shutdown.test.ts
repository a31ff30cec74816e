/**
 * The one SIGINT/SIGTERM helper (src/cli/shutdown.ts), in a real child process: the first signal
 * runs the closers once, in order, and exits with the chosen code; a second signal exits at once.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO } from '../harness/wasmgate.js';
import { waitFor } from '../harness/wait.js';

const MODULE = pathToFileURL(resolve(REPO, 'dist/cli/shutdown.js')).href;

/** A child that installs onShutdown with two closers; the second hangs when `hang` is set. */
function child(hang: boolean) {
  const script = `
    const { onShutdown, signalExitCode } = await import(${JSON.stringify(MODULE)});
    onShutdown([
      async () => { process.stdout.write('close 1\\n'); },
      async () => { process.stdout.write('close 2\\n'); if (${hang}) await new Promise(() => setInterval(() => {}, 1000)); },
    ], { onSignal: (sig) => process.stdout.write('got ' + sig + '\\n'), exitCode: signalExitCode, onForce: () => process.stdout.write('forced\\n') });
    setInterval(() => {}, 1000);
    process.stdout.write('ready\\n');
  `;
  const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
  return { c, out: () => out, exited };
}

beforeAll(() => {
  ensureBuilt();
});

describe('onShutdown', () => {
  it('runs the closers once, in order, then exits with the code for the signal', async () => {
    const p = child(false);
    await waitFor(() => p.out().includes('ready'), { what: 'the child to install its handlers' });
    p.c.kill('SIGTERM');
    expect(await p.exited).toBe(143);
    expect(p.out()).toBe('ready\ngot SIGTERM\nclose 1\nclose 2\n');
  });

  it('a second signal forces the exit while a closer hangs', async () => {
    const p = child(true);
    await waitFor(() => p.out().includes('ready'), { what: 'the child to install its handlers' });
    p.c.kill('SIGINT');
    await waitFor(() => p.out().includes('close 2'), { what: 'the second closer to start' });
    p.c.kill('SIGINT');
    expect(await p.exited).toBe(130);
    expect(p.out()).toBe('ready\ngot SIGINT\nclose 1\nclose 2\nforced\n');
  });
});
