import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/config.js';
import { clusterRoles, rbacYaml } from '../../src/deploy/rbac.js';
import { webhookConfigurations, webhookYaml } from '../../src/deploy/webhooks.js';
import { KINDS, verbsOf, type KindRecord } from '../../src/kinds/registry.js';

const REPO = new URL('../..', import.meta.url).pathname;

describe('webhook manifests', () => {
  it('deploy/webhooks.yaml is what `wasmgate manifests` prints for the default config', () => {
    const file = readFileSync(`${REPO}deploy/webhooks.yaml`, 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    const generated = webhookYaml(parseConfig({}), {
      client: { service: { name: 'wasmgate', namespace: 'wasmgate' } },
      excludeNamespaces: ['wasmgate'],
    });
    expect(file).toBe(generated);
  });

  it('match conditions name the configured annotations', () => {
    const [mutating] = webhookConfigurations(parseConfig({ annotations: { runtime: 'example.com/wasm', wasmVariant: [] } }), {
      client: { url: 'https://127.0.0.1:1' },
    }) as [{ webhooks: { matchConditions: { expression: string }[] }[] }, unknown];
    const expr = mutating.webhooks[0]!.matchConditions[0]!.expression;
    expect(expr).toContain("'example.com/wasm' in object.metadata.annotations");
    expect(expr).not.toContain('wasmgate.dev/runtime');
  });

  it('never sends kube-system or wasmgate’s own namespace, and mutation fails open', () => {
    const [mutating, validating] = webhookConfigurations(parseConfig({}), {
      client: { url: 'https://127.0.0.1:1' },
      excludeNamespaces: ['wasmgate'],
    }) as {
      webhooks: {
        name: string;
        failurePolicy: string;
        namespaceSelector?: { matchExpressions: { values: string[] }[] };
        rules: { resources: string[] }[];
      }[];
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
    const out = execFileSync(
      process.execPath,
      [`${REPO}bin/wasmgate.js`, 'manifests', '--url', 'https://127.0.0.1:9443', '--ca-bundle', 'Q0E='],
      { encoding: 'utf8' },
    );
    expect(out).toContain('url: https://127.0.0.1:9443/mutate');
    expect(out).toContain('caBundle: Q0E=');
  });
});

describe('with image detection enabled', () => {
  type Doc = { webhooks: { name: string; timeoutSeconds: number; matchConditions?: { name: string; expression: string }[] }[] };
  const detectOn = (budgetMs = 1000) => parseConfig({ imageDetection: { enabled: true, registries: ['registry.example'], budgetMs } });
  const client = { client: { url: 'https://127.0.0.1:1' } };

  it('the mutating webhooks also get pods and templates that name no RuntimeClass; validating keeps its conditions', () => {
    const [offM, offV] = webhookConfigurations(parseConfig({}), client) as [Doc, Doc];
    const [onM, onV] = webhookConfigurations(detectOn(), client) as [Doc, Doc];
    expect(onV).toEqual(offV);
    expect(onM.webhooks.map((w) => w.matchConditions![0]!.name)).toEqual(['wasm-or-unnamed-pods', 'wasm-or-unnamed-templates']);
    for (const [i, w] of onM.webhooks.entries()) {
      const before = offM.webhooks[i]!.matchConditions![0]!.expression;
      const expr = w.matchConditions![0]!.expression;
      expect(expr).toContain("'wasmgate.dev/runtime' in ");
      // the "names a RuntimeClass" clause, negated: marked, or without a runtimeClassName
      expect(expr).toBe(before.replaceAll(' || (has(', ' || !(has('));
    }
  });

  it('the pods condition: exactly what reaches /mutate', () => {
    const [onM] = webhookConfigurations(detectOn(), client) as [Doc, Doc];
    expect(onM.webhooks[0]!.matchConditions![0]!.expression).toBe(
      "(has(object.metadata) && has(object.metadata.annotations) && ('wasmgate.dev/runtime' in object.metadata.annotations || 'module.wasm.image/variant' in object.metadata.annotations)) || " +
        "!(has(object.spec) && has(object.spec.runtimeClassName) && object.spec.runtimeClassName != '')",
    );
  });

  it('mutating timeoutSeconds stays above the lookup budget; validating keeps the default', () => {
    const timeouts = (budgetMs: number, timeoutSeconds?: number) => {
      const [m, v] = webhookConfigurations(detectOn(budgetMs), {
        ...client,
        ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
      }) as [Doc, Doc];
      return { m: m.webhooks.map((w) => w.timeoutSeconds), v: [...new Set(v.webhooks.map((w) => w.timeoutSeconds))] };
    };
    expect(timeouts(1000)).toEqual({ m: [5, 5], v: [5] });
    expect(timeouts(4000)).toEqual({ m: [5, 5], v: [5] });
    expect(timeouts(4000, 2)).toEqual({ m: [5, 5], v: [2] });
    expect(timeouts(1000, 10)).toEqual({ m: [10, 10], v: [10] });
  });

  it('detection off (the default) leaves every condition as it was', () => {
    const [m] = webhookConfigurations(parseConfig({ imageDetection: { enabled: false, registries: ['registry.example'] } }), client) as [
      Doc,
      Doc,
    ];
    expect(m.webhooks.map((w) => w.matchConditions![0]!.name)).toEqual(['wasm-pods-only', 'wasm-templates-only']);
  });
});

interface Hook {
  name: string;
  rules: { operations: string[]; apiGroups: string[]; apiVersions: string[]; resources: string[]; scope: string }[];
  matchConditions?: { expression: string }[];
}

describe('derived from the kinds registry', () => {
  const [mutating, validating] = webhookConfigurations(parseConfig({}), { client: { url: 'https://127.0.0.1:1' } }) as {
    webhooks: Hook[];
  }[];
  const hooks = [...mutating!.webhooks, ...validating!.webhooks];

  it('each admitted kind is in exactly the webhooks of its record, with its operations, and nothing else is', () => {
    const seen = new Set<string>();
    for (const h of hooks) {
      const [webhook, endpoint] = h.name.split('.') as [string, string];
      for (const r of h.rules) {
        for (const resource of r.resources) {
          const k = (KINDS as readonly KindRecord[]).find((x) => x.group === r.apiGroups[0] && x.resource === resource);
          expect(k, `${h.name} ${resource}`).toBeDefined();
          expect(k!.admission?.webhook).toBe(webhook);
          expect(k!.admission?.endpoints).toContain(endpoint);
          expect(r.operations).toEqual(k!.admission?.operations);
          expect([r.apiVersions[0], r.scope]).toEqual([k!.version, k!.scope]);
          seen.add(`${endpoint} ${k!.kind}`);
        }
      }
    }
    const expected = (KINDS as readonly KindRecord[]).flatMap((k) => (k.admission?.endpoints ?? []).map((e) => `${e} ${k.kind}`));
    expect([...seen].sort()).toEqual(expected.sort());
  });

  it('the workloads condition reaches every workload kind’s pod template', () => {
    const expr = hooks.find((h) => h.name === 'workloads.validate.wasmgate.dev')!.matchConditions![0]!.expression;
    for (const k of KINDS as readonly KindRecord[]) {
      if (k.admission?.webhook !== 'workloads') continue;
      const path = `object${k.podSpec!.replace(/\/spec$/, '').replaceAll('/', '.')}`;
      expect(expr, k.kind).toContain(`${path}.metadata.annotations`);
    }
  });
});

describe('ClusterRole', () => {
  const [role] = clusterRoles() as {
    kind: string;
    metadata: { name: string };
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  }[];

  it('grants each kind of the registry exactly its verbs, and nothing else', () => {
    expect(role!.kind).toBe('ClusterRole');
    expect(role!.metadata.name).toBe('wasmgate');
    const granted = new Map<string, string[]>();
    for (const r of role!.rules) {
      expect(r.apiGroups).toHaveLength(1);
      for (const resource of r.resources) {
        const key = `${r.apiGroups[0]}/${resource}`;
        expect(granted.has(key), key).toBe(false);
        granted.set(key, r.verbs);
      }
    }
    const expected = new Map(
      (KINDS as readonly KindRecord[]).filter((k) => verbsOf(k).length > 0).map((k) => [`${k.group}/${k.resource}`, verbsOf(k)]),
    );
    expect(Object.fromEntries(granted)).toEqual(Object.fromEntries(expected));
    // the live cache's kinds are watched; the audit's are listed; nothing is written
    expect(granted.get('/nodes')).toEqual(['list', 'watch']);
    expect(granted.get('apps/deployments')).toEqual(['list']);
    expect([...granted.values()].flat().every((v) => v === 'list' || v === 'watch')).toBe(true);
  });

  it('prints as YAML 1.1 that parses back to the same object', () => {
    const docs = parseAllDocuments(rbacYaml(), { version: '1.1' }) as { toJS(): unknown }[];
    expect(docs.map((d) => d.toJS())).toEqual([role]);
  });
});
