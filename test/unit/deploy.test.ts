import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/config.js';
import { webhookConfigurations, webhookYaml } from '../../src/deploy/webhooks.js';

const REPO = new URL('../..', import.meta.url).pathname;

describe('webhook manifests', () => {
  it('deploy/webhooks.yaml is what `wasmgate manifests` prints for the default config', () => {
    const file = readFileSync(`${REPO}deploy/webhooks.yaml`, 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n');
    const generated = webhookYaml(parseConfig({}), { client: { service: { name: 'wasmgate', namespace: 'wasmgate' } }, excludeNamespaces: ['wasmgate'] });
    expect(file).toBe(generated);
  });

  it('match conditions name the configured annotations', () => {
    const [mutating] = webhookConfigurations(parseConfig({ annotations: { runtime: 'example.com/wasm', wasmVariant: [] } }), { client: { url: 'https://127.0.0.1:1' } }) as [
      { webhooks: { matchConditions: { expression: string }[] }[] },
      unknown,
    ];
    const expr = mutating.webhooks[0]!.matchConditions[0]!.expression;
    expect(expr).toContain("'example.com/wasm' in object.metadata.annotations");
    expect(expr).not.toContain('wasmgate.dev/runtime');
  });

  it('never sends kube-system or wasmgate’s own namespace, and mutation fails open', () => {
    const [mutating, validating] = webhookConfigurations(parseConfig({}), { client: { url: 'https://127.0.0.1:1' }, excludeNamespaces: ['wasmgate'] }) as {
      webhooks: { name: string; failurePolicy: string; namespaceSelector?: { matchExpressions: { values: string[] }[] }; rules: { resources: string[] }[] }[];
    }[];
    for (const w of mutating!.webhooks) {
      expect(w.failurePolicy).toBe('Ignore');
      expect(w.namespaceSelector!.matchExpressions[0]!.values).toEqual(['kube-system', 'wasmgate']);
    }
    for (const w of validating!.webhooks.filter((x) => x.rules[0]!.resources.includes('pods'))) {
      expect(w.namespaceSelector!.matchExpressions[0]!.values).toEqual(['kube-system', 'wasmgate']);
    }
  });

  it('is YAML 1.1-safe for kubectl: no anchors, and strings like "yes" stay strings', () => {
    const text = webhookYaml(parseConfig({ annotations: { runtime: 'yes' } }), { client: { url: 'https://127.0.0.1:1' } });
    expect(text).not.toMatch(/[&*]a\d/);
    for (const doc of parseAllDocuments(text, { version: '1.1' }) as ReturnType<typeof parseAllDocuments> & unknown[]) {
      expect(doc.errors).toEqual([]);
    }
  });

  it('the CLI prints the same manifests', () => {
    const out = execFileSync(process.execPath, [`${REPO}bin/wasmgate.js`, 'manifests', '--url', 'https://127.0.0.1:9443', '--ca-bundle', 'Q0E='], { encoding: 'utf8' });
    expect(out).toContain('url: https://127.0.0.1:9443/mutate');
    expect(out).toContain('caBundle: Q0E=');
  });
});
