import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { fromKubeconfigFile, inCluster } from '../../src/cluster/kubeconfig.js';

function write(dir: string, name: string, content: string | object): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : stringify(content));
  return p;
}

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: 'https://10.0.0.1:6443/' }): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'c1', cluster },
      { name: 'other', cluster: { server: 'https://wrong:1' } },
    ],
    users: [{ name: 'u1', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c1', user: 'u1' } }],
    'current-context': 'ctx',
  };
}

describe('kubeconfig loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-kubeconfig-'));

  it('inline client certificate and CA: no bearer header, a keep-alive agent with the material', async () => {
    const access = fromKubeconfigFile(
      write(
        dir,
        'certs',
        kubeconfig(
          { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64') },
          { server: 'https://10.0.0.1:6443/', 'certificate-authority-data': Buffer.from('CA').toString('base64') },
        ),
      ),
    );
    expect(access.server).toBe('https://10.0.0.1:6443');
    const opts = await access.requestOptions();
    expect((opts.headers as Record<string, string>)['Authorization']).toBeUndefined();
    const agent = opts.agent as Agent;
    expect(agent).toBeInstanceOf(Agent);
    expect(String(agent.options.cert)).toBe('CERT');
    expect(String(agent.options.key)).toBe('KEY');
    expect(String(agent.options.ca)).toBe('CA');
    expect(agent.options.keepAlive).toBe(true);
    expect((await access.requestOptions()).agent).toBe(agent); // reused, not rebuilt per request
  });

  it('certificate files are read relative to the kubeconfig', async () => {
    write(dir, 'ca.pem', 'CA-FILE');
    const access = fromKubeconfigFile(
      write(dir, 'files', kubeconfig({ token: 'abc' }, { server: 'https://x:1', 'certificate-authority': 'ca.pem' })),
    );
    const opts = await access.requestOptions();
    expect(String((opts.agent as Agent).options.ca)).toBe('CA-FILE');
    expect((opts.headers as Record<string, string>)['Authorization']).toBe('Bearer abc');
  });

  it('a token file is re-read when it changes (rotated service-account tokens)', async () => {
    const token = write(dir, 'token', 'first');
    const access = fromKubeconfigFile(
      write(dir, 'tokenfile', kubeconfig({ tokenFile: token }, { server: 'https://x:1', 'insecure-skip-tls-verify': true })),
    );
    expect(((await access.requestOptions()).headers as Record<string, string>)['Authorization']).toBe('Bearer first');
    expect(((await access.requestOptions()).agent as Agent).options.rejectUnauthorized).toBe(false);
    writeFileSync(token, 'second\n');
    utimesSync(token, new Date(), new Date(Date.now() + 5000));
    expect(((await access.requestOptions()).headers as Record<string, string>)['Authorization']).toBe('Bearer second');
  });

  it('exec plugins and auth providers go through @kubernetes/client-node', () => {
    const access = fromKubeconfigFile(
      write(dir, 'exec', kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } })),
    );
    expect(access.source).toContain('through @kubernetes/client-node: exec');
  });

  it('errors name the file and the problem', () => {
    expect(() => fromKubeconfigFile(join(dir, 'missing'))).toThrow(/kubeconfig .*missing cannot be read/);
    const noCtx = write(dir, 'noctx', { ...kubeconfig({}), 'current-context': 'nope' });
    expect(() => fromKubeconfigFile(noCtx)).toThrow(`kubeconfig ${noCtx}: current-context nope not found`);
  });

  it('in-cluster: service host and port, CA and token from the service-account directory', async () => {
    const sa = mkdtempSync(join(tmpdir(), 'wasmgate-sa-'));
    write(sa, 'ca.crt', 'SA-CA');
    write(sa, 'token', 'sa-token');
    const access = inCluster(sa, { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' });
    expect(access.server).toBe('https://[fd00::1]:443');
    const opts = await access.requestOptions();
    expect((opts.headers as Record<string, string>)['Authorization']).toBe('Bearer sa-token');
    expect(String((opts.agent as Agent).options.ca)).toBe('SA-CA');
    expect(() => inCluster(sa, {})).toThrow('KUBERNETES_SERVICE_HOST is not set');
  });
});
