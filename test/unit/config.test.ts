import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, loadConfig, parseConfig } from '../../src/config/config.js';
import { isReservedKey } from '../../src/scheduling/well-known-labels.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmgate-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, 'utf8');
  return path;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('defaults', () => {
  it('no file → the documented defaults', async () => {
    const c = await loadConfig(undefined);
    expect(c.annotations).toEqual({ runtime: 'wasmgate.dev/runtime', wasmVariant: ['module.wasm.image/variant'] });
    expect(c.defaultRuntimeClass).toBe('');
    expect(c.wasmHandlers).toEqual(['wasmtime', 'spin', 'spin-v2', 'wasmedge', 'wasmer', 'wws', 'slight', 'lunatic', 'wasm']);
    // the labels Kubernetes defines are always allowed (src/scheduling/well-known-labels.ts); the configured list only adds to them
    expect(c.reservedLabelAllowlist).toEqual([]);
    expect(isReservedKey('kubernetes.io/arch', c.reservedLabelAllowlist)).toBe(false);
    expect(isReservedKey('node.kubernetes.io/wasmtime', c.reservedLabelAllowlist)).toBe(true);
    expect(c.rules).toEqual({});
    expect(c.nodes).toEqual({ requireReady: true });
    expect(c.unsynced).toBe('deny');
    expect(c.limits).toEqual({ nodeSelectorEntries: 128, tolerations: 256, affinityTerms: 512, containers: 256, jsonItems: 25000 });
    expect(c.trackPods).toBe(true);
  });

  it('null, undefined and {} all give the defaults', () => {
    expect(parseConfig(null)).toEqual(DEFAULT_CONFIG);
    expect(parseConfig(undefined)).toEqual(DEFAULT_CONFIG);
    expect(parseConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it('the returned config is a copy: changing it does not change the defaults', () => {
    const c = parseConfig({});
    c.wasmHandlers.push('mine');
    c.annotations.wasmVariant.push('x');
    c.nodes.requireReady = false;
    expect(DEFAULT_CONFIG.wasmHandlers).not.toContain('mine');
    expect(DEFAULT_CONFIG.annotations.wasmVariant).toEqual(['module.wasm.image/variant']);
    expect(parseConfig({}).nodes.requireReady).toBe(true);
  });

  it('partial sections merge over the defaults', () => {
    const c = parseConfig({ annotations: { runtime: 'example.com/wasm' }, nodes: {}, rules: { 'nodes-available': 'warn' } });
    expect(c.annotations).toEqual({ runtime: 'example.com/wasm', wasmVariant: ['module.wasm.image/variant'] });
    expect(c.nodes.requireReady).toBe(true);
    expect(c.rules).toEqual({ 'nodes-available': 'warn' });
    expect(c.unsynced).toBe('deny');
  });

  it('does not modify the input document', () => {
    const doc = { rules: { 'nodes-available': 'audit' }, nodes: { requireReady: false } };
    const copy = structuredClone(doc);
    parseConfig(doc);
    expect(doc).toEqual(copy);
  });
});

describe('files', () => {
  it('examples/config.yaml loads', async () => {
    const c = await loadConfig('examples/config.yaml');
    expect(c.defaultRuntimeClass).toBe('wasm1');
    expect(c.rules).toEqual({ 'runtimeclass-has-selector': 'warn', 'runtimeclass-selector-matches': 'warn' });
    expect(c.nodes.requireReady).toBe(true);
    expect(c.unsynced).toBe('deny');
    expect(c.wasmHandlers).toContain('wasmtime');
  });

  it('an empty file → defaults', async () => {
    expect(await loadConfig(await file('empty.yaml', ''))).toEqual(DEFAULT_CONFIG);
  });

  it('a missing file → ConfigError naming it', async () => {
    const path = join(dir, 'nope.yaml');
    const err = await loadConfig(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain('ENOENT');
  });

  it('invalid YAML → ConfigError naming the file', async () => {
    const path = await file('bad.yaml', 'rules: [unclosed\n  nodes: {');
    await expect(loadConfig(path)).rejects.toThrow(ConfigError);
    await expect(loadConfig(path)).rejects.toThrow(
      new RegExp(`config file ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid YAML`),
    );
  });

  it('a schema error in a file names the file and the field', async () => {
    const path = await file('mode.yaml', 'rules:\n  nodes-available: block\n');
    const err = await loadConfig(path).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toContain(`config file ${path} is invalid`);
    expect(err!.message).toContain('rules.nodes-available');
  });

  it('YAML "yes" is a string, not a boolean (YAML 1.2): requireReady: yes is refused', async () => {
    const path = await file('yes.yaml', 'nodes:\n  requireReady: yes\n');
    await expect(loadConfig(path)).rejects.toThrow(/nodes\.requireReady/);
  });

  it('a full valid file', async () => {
    const path = await file(
      'full.yaml',
      [
        'annotations: { runtime: example.com/runtime, wasmVariant: [a/b, c/d] }',
        'defaultRuntimeClass: spin',
        'wasmHandlers: [spin]',
        'reservedLabelAllowlist: [kubernetes.io/wasm, example.k8s.io/*]',
        'rules: { nodes-available: audit, runtimeclass-delete-in-use: enforce }',
        'nodes: { requireReady: false }',
        'unsynced: allow',
        'limits: { nodeSelectorEntries: 200, tolerations: 300, affinityTerms: 1000, containers: 400, jsonItems: 500000 }',
        'audit: { intervalSeconds: 60, reportApi: openreports.io/v1alpha1, leaderElection: { namespace: ops } }',
        'trackPods: false',
      ].join('\n'),
    );
    expect(await loadConfig(path)).toEqual({
      annotations: { runtime: 'example.com/runtime', wasmVariant: ['a/b', 'c/d'] },
      defaultRuntimeClass: 'spin',
      wasmHandlers: ['spin'],
      reservedLabelAllowlist: ['kubernetes.io/wasm', 'example.k8s.io/*'],
      rules: { 'nodes-available': 'audit', 'runtimeclass-delete-in-use': 'enforce' },
      nodes: { requireReady: false },
      unsynced: 'allow',
      limits: { nodeSelectorEntries: 200, tolerations: 300, affinityTerms: 1000, containers: 400, jsonItems: 500000 },
      trackPods: false,
      imageDetection: DEFAULT_CONFIG.imageDetection,
      server: DEFAULT_CONFIG.server,
      audit: {
        ...DEFAULT_CONFIG.audit,
        intervalSeconds: 60,
        reportApi: 'openreports.io/v1alpha1',
        leaderElection: { ...DEFAULT_CONFIG.audit.leaderElection, namespace: 'ops' },
      },
    });
  });

  it('limits merge over the defaults: raising one cap keeps the others', () => {
    expect(parseConfig({ limits: { tolerations: 512 } }).limits).toEqual({
      nodeSelectorEntries: 128,
      tolerations: 512,
      affinityTerms: 512,
      containers: 256,
      jsonItems: 25000,
    });
  });
});

describe('invalid fields are named', () => {
  it.each([
    ['a bad mode', { rules: { 'nodes-available': 'block' } }, ['rules.nodes-available', 'enforce, warn, audit']],
    ['an unknown top-level key', { foo: 1 }, ['foo', 'unknown field']],
    ['a string for requireReady (no coercion)', { nodes: { requireReady: 'yes' } }, ['nodes.requireReady', 'boolean']],
    ['a string "true" for requireReady (no coercion)', { nodes: { requireReady: 'true' } }, ['nodes.requireReady']],
    ['an unknown rule id', { rules: { 'no-such-rule': 'warn' } }, ['no-such-rule', 'is not a rule id']],
    ['an unknown key under nodes', { nodes: { requireReddy: true } }, ['nodes.requireReddy', 'unknown field']],
    ['an unknown key under annotations', { annotations: { runtimes: 'x' } }, ['annotations.runtimes']],
    ['a bad unsynced value', { unsynced: 'maybe' }, ['unsynced', 'deny, allow']],
    ['a string for trackPods (no coercion)', { trackPods: 'false' }, ['trackPods', 'boolean']],
    ['wasmHandlers not a list', { wasmHandlers: 'wasmtime' }, ['wasmHandlers']],
    ['an empty handler', { wasmHandlers: [''] }, ['wasmHandlers.0']],
    ['duplicate handlers', { wasmHandlers: ['spin', 'spin'] }, ['wasmHandlers']],
    ['a wildcard in the middle of an allowlist entry', { reservedLabelAllowlist: ['*.kubernetes.io/x'] }, ['reservedLabelAllowlist.0']],
    ['a number for defaultRuntimeClass', { defaultRuntimeClass: 1 }, ['defaultRuntimeClass']],
    ['an empty runtime annotation', { annotations: { runtime: '' } }, ['annotations.runtime']],
    ['not a mapping', 'hello', ['(top level)']],
    ['a list', [1, 2], ['(top level)']],
    ['a cap of 0', { limits: { nodeSelectorEntries: 0 } }, ['limits.nodeSelectorEntries', '>= 1']],
    ['a cap above its ceiling (work stays bounded)', { limits: { tolerations: 100000 } }, ['limits.tolerations', '<= 1024']],
    ['a fractional cap', { limits: { containers: 2.5 } }, ['limits.containers', 'integer']],
    ['a string cap (no coercion)', { limits: { affinityTerms: '600' } }, ['limits.affinityTerms', 'integer']],
    ['an unknown cap', { limits: { findings: 5 } }, ['limits.findings', 'unknown field']],
  ])('%s', (_name, doc, mentions) => {
    const err = errorOf(() => parseConfig(doc));
    for (const m of mentions) expect(err.message).toContain(m);
  });

  it('every problem is reported, not just the first', () => {
    const err = errorOf(() => parseConfig({ foo: 1, unsynced: 'maybe', nodes: { requireReady: 'no' } }));
    expect(err.message).toContain('foo');
    expect(err.message).toContain('unsynced');
    expect(err.message).toContain('nodes.requireReady');
  });

  it('an unknown rule id is reported once, precisely (not also as a generic "rules: must be one of ...")', () => {
    const err = errorOf(() => parseConfig({ rules: { 'no-such-rule': 'warn' } }));
    const lines = err.message.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toEqual([expect.stringContaining('no-such-rule is not a rule id')]);
  });

  it('two unknown rule ids beside a valid one: one line each, nothing else', () => {
    const err = errorOf(() => parseConfig({ rules: { 'no-such-rule': 'warn', 'nodes-available': 'audit', 'other-rule': 'audit' } }));
    const lines = err.message.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining('no-such-rule is not a rule id'),
        expect.stringContaining('other-rule is not a rule id'),
      ]),
    );
  });

  it('an unknown rule id and a bad mode for a known one are both reported', () => {
    const err = errorOf(() => parseConfig({ rules: { 'no-such-rule': 'warn', 'nodes-available': 'block' } }));
    const lines = err.message.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toHaveLength(2);
    expect(err.message).toContain('no-such-rule is not a rule id');
    expect(err.message).toContain('rules.nodes-available');
  });
});
