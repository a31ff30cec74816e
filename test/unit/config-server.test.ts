/** config.server: defaults, merging, the checks between its figures, and the serve flags over it. */
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, parseConfig, withServerOverrides } from '../../src/config/config.js';
import { connectionLimits } from '../../src/server/limits.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config.server', () => {
  it('defaults', () => {
    expect(parseConfig({}).server).toEqual({
      requestTimeoutSeconds: 10,
      headersTimeoutSeconds: 5,
      keepAliveTimeoutSeconds: 120,
      maxConnections: 1000,
      drainSeconds: 5,
      shutdownTimeoutSeconds: 25,
      tls: { minVersion: 'TLSv1.3' },
    });
  });

  it('merges a partial section over the defaults, fractions included', () => {
    const s = parseConfig({ server: { headersTimeoutSeconds: 0.25, drainSeconds: 0, tls: { clientCAFile: '/ca.crt' } } }).server;
    expect(s.headersTimeoutSeconds).toBe(0.25);
    expect(s.drainSeconds).toBe(0);
    expect(s.requestTimeoutSeconds).toBe(10);
    expect(s.tls).toEqual({ minVersion: 'TLSv1.3', clientCAFile: '/ca.crt' });
    expect(DEFAULT_CONFIG.server.tls).toEqual({ minVersion: 'TLSv1.3' });
  });

  it('rejects unknown fields, wrong types and out-of-range figures, naming each', () => {
    const msg = errorOf(() =>
      parseConfig({
        server: { idleSeconds: 1, requestTimeoutSeconds: '10', maxConnections: 1.5, tls: { minVersion: 'TLSv1.0', ciphers: 'ALL' } },
      }),
    );
    expect(msg).toContain('server.idleSeconds: unknown field');
    expect(msg).toContain('server.requestTimeoutSeconds: must be number');
    expect(msg).toContain('server.maxConnections: must be integer');
    expect(msg).toContain('server.tls.minVersion: must be one of TLSv1.3, TLSv1.2');
    expect(msg).toContain('server.tls.ciphers: unknown field');
  });

  it('checks figures against each other', () => {
    expect(errorOf(() => parseConfig({ server: { headersTimeoutSeconds: 11 } }))).toContain(
      'server.headersTimeoutSeconds (11) must not exceed server.requestTimeoutSeconds (10)',
    );
    expect(errorOf(() => parseConfig({ server: { drainSeconds: 25 } }))).toContain(
      'server.shutdownTimeoutSeconds (25) must exceed server.drainSeconds (25)',
    );
  });

  it('applies the serve flags over the config, and checks the result', () => {
    const c = withServerOverrides(parseConfig({ server: { drainSeconds: 10, shutdownTimeoutSeconds: 40 } }), {
      drainSeconds: 1,
      clientCAFile: '/x.crt',
    });
    expect(c.server.drainSeconds).toBe(1);
    expect(c.server.shutdownTimeoutSeconds).toBe(40);
    expect(c.server.tls.clientCAFile).toBe('/x.crt');
    expect(errorOf(() => withServerOverrides(parseConfig({}), { shutdownTimeoutSeconds: 2 }))).toBe(
      'the serve flags and the config do not fit together:\n  - server.shutdownTimeoutSeconds (2) must exceed server.drainSeconds (5), to leave time for requests in flight',
    );
    const same = parseConfig({});
    expect(withServerOverrides(same, {})).toBe(same);
  });

  it('turns seconds into the server options, checking connections often enough for small timeouts', () => {
    expect(connectionLimits(parseConfig({}).server)).toEqual({
      requestTimeout: 10_000,
      headersTimeout: 5_000,
      keepAliveTimeout: 120_000,
      handshakeTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    });
    const small = connectionLimits(parseConfig({ server: { requestTimeoutSeconds: 1, headersTimeoutSeconds: 0.5 } }).server);
    expect(small.connectionsCheckingInterval).toBeLessThanOrEqual(small.headersTimeout / 2);
  });
});
