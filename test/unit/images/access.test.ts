/** The SSRF allowlist, WWW-Authenticate parsing, dockerconfigjson credentials (with a fake SecretReader). */
import { describe, expect, it } from 'vitest';
import { allowlist, urlAllowed } from '../../../src/images/allowlist.js';
import { parseChallenge } from '../../../src/images/client.js';
import { CredentialSource, parseDockerConfig, registryKey, type SecretReader } from '../../../src/images/credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('allowlist', () => {
  const allowed = allowlist(['ghcr.io', 'localhost:5000', '*.example.com', 'Registry.Local:443']);
  it.each([
    ['ghcr.io', true],
    ['ghcr.io:443', true],
    ['GHCR.io', true],
    ['ghcr.io:8443', false],
    ['localhost:5000', true],
    ['localhost', false],
    ['localhost:5001', false],
    ['a.example.com', true],
    ['a.b.example.com', true],
    ['example.com', false],
    ['a.example.com:5000', false],
    ['evilexample.com', false],
    ['registry.local', true],
    ['169.254.169.254', false],
  ])('%s → %s', (host, ok) => {
    expect(allowed(host)).toBe(ok);
  });
  it('only https URLs without userinfo', () => {
    expect(urlAllowed(new URL('https://ghcr.io/token'), allowed)).toBe(true);
    expect(urlAllowed(new URL('http://ghcr.io/token'), allowed)).toBe(false);
    expect(urlAllowed(new URL('https://u:p@ghcr.io/token'), allowed)).toBe(false);
    expect(urlAllowed(new URL('https://metadata.internal/token'), allowed)).toBe(false);
  });
});

describe('parseChallenge', () => {
  it('Bearer with quoted params (commas inside quotes)', () => {
    expect(
      parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"'),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull,push' },
    });
  });
  it('Basic', () => {
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
  });
  it('unquoted values', () => {
    expect(parseChallenge('Bearer realm=https://r/t, service=s')?.params).toEqual({ realm: 'https://r/t', service: 's' });
  });
});

describe('dockerconfigjson', () => {
  const data = {
    '.dockerconfigjson': b64(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub:secret') },
          'registry.example:5000': { username: 'u', password: 'p:with:colons' },
          'ghcr.io': { auth: b64('nocolon') },
        },
      }),
    ),
  };
  it('normalises keys and reads auth or username/password', () => {
    const m = parseDockerConfig(data);
    expect(m.get('docker.io')).toEqual({ username: 'hub', password: 'secret' });
    expect(m.get('registry.example:5000')).toEqual({ username: 'u', password: 'p:with:colons' });
    expect(m.has('ghcr.io')).toBe(false);
  });
  it('legacy .dockercfg', () => {
    expect(parseDockerConfig({ '.dockercfg': b64(JSON.stringify({ 'quay.io': { auth: b64('a:b') } })) }).get('quay.io')).toEqual({
      username: 'a',
      password: 'b',
    });
  });
  it('malformed data gives no credentials, no crash', () => {
    expect(parseDockerConfig({ '.dockerconfigjson': b64('{not json') }).size).toBe(0);
    expect(parseDockerConfig({ '.dockerconfigjson': b64('[]') }).size).toBe(0);
    expect(parseDockerConfig({}).size).toBe(0);
  });
  it('registryKey', () => {
    expect(registryKey('https://Registry-1.docker.io/v2/')).toBe('docker.io');
    expect(registryKey('r.io:443')).toBe('r.io');
  });
});

describe('CredentialSource', () => {
  function fake(secrets: Record<string, Record<string, string>>): SecretReader & { reads: string[] } {
    const reads: string[] = [];
    return {
      reads,
      async getSecret(ns, name) {
        reads.push(`${ns}/${name}`);
        return secrets[`${ns}/${name}`];
      },
    };
  }
  const cfg = (host: string, user: string) => ({
    '.dockerconfigjson': b64(JSON.stringify({ auths: { [host]: { auth: b64(`${user}:pw`) } } })),
  });
  const signal = new AbortController().signal;

  it('pod secrets come before the configured one; missing secrets give nothing', async () => {
    const reader = fake({ 'apps/pull': cfg('r.io', 'pod'), 'wasmgate/creds': cfg('r.io', 'global') });
    const src = new CredentialSource(reader);
    expect(
      await src.forRegistry(
        'r.io',
        [
          { namespace: 'apps', name: 'pull' },
          { namespace: 'wasmgate', name: 'creds' },
        ],
        signal,
      ),
    ).toEqual({ username: 'pod', password: 'pw' });
    expect(
      await src.forRegistry(
        'r.io',
        [
          { namespace: 'apps', name: 'missing' },
          { namespace: 'wasmgate', name: 'creds' },
        ],
        signal,
      ),
    ).toEqual({ username: 'global', password: 'pw' });
    expect(await src.forRegistry('other.io', [{ namespace: 'wasmgate', name: 'creds' }], signal)).toBeUndefined();
  });
  it('re-reads a Secret only after its TTL', async () => {
    let now = 0;
    const reader = fake({ 'wasmgate/creds': cfg('r.io', 'a') });
    const src = new CredentialSource(reader, 60_000, 10, () => now);
    await src.forRegistry('r.io', [{ namespace: 'wasmgate', name: 'creds' }], signal);
    await src.forRegistry('r.io', [{ namespace: 'wasmgate', name: 'creds' }], signal);
    expect(reader.reads).toEqual(['wasmgate/creds']);
    now = 60_001;
    await src.forRegistry('r.io', [{ namespace: 'wasmgate', name: 'creds' }], signal);
    expect(reader.reads).toEqual(['wasmgate/creds', 'wasmgate/creds']);
  });
});
