/** The imageDetection config block: defaults (off), merging, and clear errors. */
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, parseConfig } from '../../../src/config/config.js';

function errorOf(doc: unknown): string {
  try {
    parseConfig(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('imageDetection config', () => {
  it('is off by default, with documented defaults', () => {
    expect(parseConfig(undefined).imageDetection).toEqual({
      enabled: false,
      registries: [],
      caFile: '',
      allowPodPullSecrets: false,
      cacheSize: 1000,
      tagTtlSeconds: 300,
      budgetMs: 1000,
      backoffSeconds: 30,
      classes: { wasm: '', spin: '' },
      handlers: { wasm: ['wasmtime', 'wasmedge', 'wasmer', 'wasm'], spin: ['spin', 'spin-v2'] },
    });
    expect(DEFAULT_CONFIG.imageDetection.enabled).toBe(false);
  });

  it('merges a partial block over the defaults, nested objects included', () => {
    const c = parseConfig({
      imageDetection: {
        enabled: true,
        registries: ['ghcr.io', 'registry.local:5443', '*.corp.example'],
        credentialsSecret: { namespace: 'wasmgate', name: 'registry-creds' },
        classes: { spin: 'wasmtime-spin-v2' },
        handlers: { wasm: ['wasmtime'] },
        budgetMs: 500,
      },
    }).imageDetection;
    expect(c.enabled).toBe(true);
    expect(c.registries).toEqual(['ghcr.io', 'registry.local:5443', '*.corp.example']);
    expect(c.credentialsSecret).toEqual({ namespace: 'wasmgate', name: 'registry-creds' });
    expect(c.classes).toEqual({ wasm: '', spin: 'wasmtime-spin-v2' });
    expect(c.handlers).toEqual({ wasm: ['wasmtime'], spin: ['spin', 'spin-v2'] });
    expect(c.budgetMs).toBe(500);
    expect(c.tagTtlSeconds).toBe(300);
  });

  it('enabled without an allowlist is an error that says why', () => {
    expect(errorOf({ imageDetection: { enabled: true } })).toBe(
      'config is invalid:\n  - imageDetection.registries: list the registries wasmgate may contact when imageDetection.enabled is true (an allowlist; nothing else is contacted)',
    );
  });

  it.each([
    [{ enabled: 'yes' }, 'imageDetection.enabled: must be boolean'],
    [{ budgetMs: 5000 }, 'imageDetection.budgetMs: must be <= 4000'],
    [{ budgetMs: 0 }, 'imageDetection.budgetMs: must be >= 10'],
    [{ cacheSize: 0 }, 'imageDetection.cacheSize: must be >= 1'],
    [{ tagTtlSeconds: 1.5 }, 'imageDetection.tagTtlSeconds: must be integer'],
    [{ registries: ['https://ghcr.io'] }, 'imageDetection.registries.0: must match pattern'],
    [{ registries: ['GHCR.io'] }, 'imageDetection.registries.0: must match pattern'],
    [{ registries: ['ghcr.io/org'] }, 'imageDetection.registries.0: must match pattern'],
    [{ credentialsSecret: { name: 'x' } }, "imageDetection.credentialsSecret: must have required property 'namespace'"],
    [{ handlers: { spin: [] } }, 'imageDetection.handlers.spin: must NOT have fewer than 1 items'],
    [{ classes: { other: 'x' } }, 'imageDetection.classes.other: unknown field'],
    [{ pullSecrets: true }, 'imageDetection.pullSecrets: unknown field'],
  ])('%j → %s', (block, message) => {
    expect(errorOf({ imageDetection: block })).toContain(message);
  });
});
