/**
 * `serve`'s image resolver (src/cli/images.ts): the start-up line, and start-up errors that name
 * the problem (unreadable CA file, no API access for the credentials Secret). Golden:
 * test/golden/image-detection-serve-messages.txt.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createImageResolver } from '../../../src/cli/images.js';
import { parseConfig } from '../../../src/config/config.js';
import type { ImageResolver } from '../../../src/images/resolver.js';

const dir = mkdtempSync(join(tmpdir(), 'wasmgate-serve-resolver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cfg = (extra: Record<string, unknown>) =>
  parseConfig({ imageDetection: { enabled: true, registries: ['ghcr.io', 'registry.example:5000'], ...extra } });

async function outcome(
  extra: Record<string, unknown>,
  kubeconfig?: string,
): Promise<{ lines: string[]; resolver?: ImageResolver; error?: string }> {
  const lines: string[] = [];
  try {
    const resolver = await createImageResolver(cfg(extra), new Registry(), kubeconfig, (l) => lines.push(l));
    return { lines, resolver };
  } catch (err) {
    return { lines, error: (err as Error).message };
  }
}

describe('createImageResolver', () => {
  it('messages (golden)', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\n',
    );
    const cases: Array<[string, Record<string, unknown>, string | undefined]> = [
      ['anonymous', {}, undefined],
      ['credentials Secret', { credentialsSecret: { namespace: 'wasmgate', name: 'registry-credentials' }, budgetMs: 2000 }, kubeconfig],
      [
        "pods' pull secrets too",
        { credentialsSecret: { namespace: 'wasmgate', name: 'registry-credentials' }, allowPodPullSecrets: true },
        kubeconfig,
      ],
      ['CA file missing', { caFile: join(dir, 'missing.crt') }, undefined],
      [
        'no API access for the Secret',
        { credentialsSecret: { namespace: 'wasmgate', name: 'registry-credentials' } },
        join(dir, 'no-kubeconfig'),
      ],
    ];
    const out: string[] = [];
    for (const [name, extra, kc] of cases) {
      const r = await outcome(extra, kc);
      expect(r.error === undefined, name).toBe(r.resolver !== undefined);
      out.push(`${name}:`, ...r.lines.map((l) => `  log: ${l}`), ...(r.error === undefined ? [] : [`  error: ${r.error}`]));
    }
    await expect(`${out.join('\n').replaceAll(dir, '<dir>')}\n`).toMatchFileSnapshot('../../golden/image-detection-serve-messages.txt');
  });
});
