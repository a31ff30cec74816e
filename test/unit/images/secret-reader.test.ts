/** apiSecretReader: the plain HTTPS GET of a Secret through ApiAccess, against an in-process fake API server. */
import { createServer, type Server } from 'node:https';
import { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, signLeaf } from '../../../src/certs/generate.js';
import type { ApiAccess } from '../../../src/cluster/kubeconfig.js';
import { CredentialSource, apiSecretReader } from '../../../src/images/credentials.js';

let server: Server;
let access: ApiAccess;
const seen: Array<{ path: string; auth: string | undefined }> = [];
const b64 = (s: string) => Buffer.from(s).toString('base64');
const dockerconfig = b64(JSON.stringify({ auths: { 'registry.example:5443': { auth: b64('robot:s3cret') } } }));

beforeAll(async () => {
  const ca = await generateCa('api test CA', 1);
  const leaf = await signLeaf(ca, { commonName: 'localhost', sans: ['127.0.0.1'], days: 1 });
  server = createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    seen.push({ path: req.url ?? '', auth: req.headers.authorization });
    if (req.url === '/api/v1/namespaces/wasmgate/secrets/creds') {
      return res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': dockerconfig } }));
    }
    if (req.url === '/api/v1/namespaces/apps/secrets/forbidden') return res.writeHead(403).end('{}');
    if (req.url === '/api/v1/namespaces/apps/secrets/huge')
      return res.writeHead(200).end(JSON.stringify({ data: { x: 'a'.repeat(2 * 1024 * 1024) } }));
    res.writeHead(404).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const agent = new Agent({ ca: ca.cert, keepAlive: true });
  access = {
    server: `https://127.0.0.1:${(server.address() as { port: number }).port}`,
    source: 'test',
    requestOptions: async () => ({ method: 'GET', headers: { Accept: 'application/json', Authorization: 'Bearer sa-token' }, agent }),
  };
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('apiSecretReader', () => {
  const signal = () => AbortSignal.timeout(30_000);
  it('reads a dockerconfigjson Secret with the service account token, and the credentials parse', async () => {
    const reader = apiSecretReader(access);
    const data = await reader.getSecret('wasmgate', 'creds', signal());
    expect(data).toEqual({ '.dockerconfigjson': dockerconfig });
    expect(seen.at(-1)).toEqual({ path: '/api/v1/namespaces/wasmgate/secrets/creds', auth: 'Bearer sa-token' });
    const creds = await new CredentialSource(reader).forRegistry(
      'registry.example:5443',
      [{ namespace: 'wasmgate', name: 'creds' }],
      signal(),
    );
    expect(creds).toEqual({ username: 'robot', password: 's3cret' });
  });
  it('a missing Secret is undefined; a forbidden one says which RBAC is missing', async () => {
    const reader = apiSecretReader(access);
    expect(await reader.getSecret('wasmgate', 'absent', signal())).toBeUndefined();
    await expect(reader.getSecret('apps', 'forbidden', signal())).rejects.toThrow(
      'reading Secret apps/forbidden: HTTP 403 (RBAC: wasmgate needs get on this Secret)',
    );
  });
  it('a response larger than the cap is refused', async () => {
    await expect(apiSecretReader(access, 1024 * 1024).getSecret('apps', 'huge', signal())).rejects.toThrow('larger than 1048576 bytes');
  });
  it('names are path-escaped', async () => {
    await apiSecretReader(access).getSecret('a/b', '../x', signal());
    expect(seen.at(-1)!.path).toBe('/api/v1/namespaces/a%2Fb/secrets/..%2Fx');
  });
});
