/**
 * The registry client's defences, against an in-process HTTPS fake (the real registry cannot be
 * made to lie): size caps, digest verification, redirects and realms outside the allowlist.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, signLeaf } from '../../../src/certs/generate.js';
import { allowlist } from '../../../src/images/allowlist.js';
import { MAX_MANIFEST_BYTES, RegistryClient } from '../../../src/images/client.js';
import { RegistryError } from '../../../src/images/http.js';
import { lookup } from '../../../src/images/lookup.js';

const sha = (b: string | Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha('cfg'), size: 3 },
  layers: [],
});
const NESTED = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [
    {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: sha('inner'),
      size: 5,
      platform: { os: 'wasip1', architecture: 'wasm' },
    },
  ],
});

let server: Server;
let host: string;
let client: RegistryClient;
const signal = () => AbortSignal.timeout(30_000);

beforeAll(async () => {
  const ca = await generateCa('client test CA', 1);
  const leaf = await signLeaf(ca, { commonName: 'localhost', sans: ['127.0.0.1'], days: 1 });
  server = createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    const path = req.url ?? '';
    if (path === '/v2/big/manifests/v1') return res.writeHead(200, { 'Content-Length': String(MAX_MANIFEST_BYTES + 1) }).end();
    if (path === '/v2/stream/manifests/v1') {
      res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 5; i++) res.write(chunk);
      return res.end();
    }
    if (path === `/v2/lie/manifests/${sha('something else')}`) return res.writeHead(200).end(MANIFEST);
    if (path === '/v2/hdr/manifests/v1') return res.writeHead(200, { 'Docker-Content-Digest': sha('other') }).end(MANIFEST);
    if (path === '/v2/ok/manifests/v1') return res.writeHead(200, { 'Docker-Content-Digest': sha(MANIFEST) }).end(MANIFEST);
    if (path === `/v2/ok/blobs/${sha('cfg')}`) return res.writeHead(307, { Location: 'https://169.254.169.254/latest/meta-data' }).end();
    if (path === '/v2/httprealm/manifests/v1')
      return res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${host}/token",service="x"` }).end();
    if (path === '/v2/norealm/manifests/v1') return res.writeHead(401, { 'WWW-Authenticate': 'Negotiate' }).end();
    if (path === '/v2/nested/manifests/v1') return res.writeHead(200).end(NESTED);
    if (path === `/v2/nested/manifests/${sha('inner')}`) return res.writeHead(200).end('inner');
    if (path === '/v2/notjson/manifests/v1') return res.writeHead(200).end('<html>');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  client = new RegistryClient({ allowed: allowlist([host]), agent: new Agent({ ca: ca.cert }) });
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

async function codeOf(p: Promise<unknown>): Promise<[string, string]> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return [(err as RegistryError).code, (err as Error).message];
  }
  throw new Error('expected a RegistryError');
}

const repo = (repository: string) => ({ registry: host, repository });

describe('RegistryClient defences', () => {
  it('a manifest announced larger than 4 MiB is refused before reading it', async () => {
    expect(await codeOf(client.manifest(repo('big'), 'v1', undefined, signal()))).toEqual([
      'too-large',
      `${host}/v2/big/manifests/v1 answered ${MAX_MANIFEST_BYTES + 1} bytes, more than the ${MAX_MANIFEST_BYTES}-byte limit`,
    ]);
  });
  it('a streamed manifest is cut at 4 MiB', async () => {
    expect((await codeOf(client.manifest(repo('stream'), 'v1', undefined, signal())))[0]).toBe('too-large');
  });
  it('content fetched by digest must have that digest', async () => {
    const [code, msg] = await codeOf(client.manifest(repo('lie'), sha('something else'), undefined, signal()));
    expect(code).toBe('invalid');
    expect(msg).toContain(`content digest ${sha(MANIFEST)} does not match ${sha('something else')}`);
  });
  it('a Docker-Content-Digest that does not match the content is refused', async () => {
    expect((await codeOf(client.manifest(repo('hdr'), 'v1', undefined, signal())))[1]).toContain('Docker-Content-Digest');
  });
  it('a blob redirect to a host outside the allowlist is not followed', async () => {
    const m = await client.manifest(repo('ok'), 'v1', undefined, signal());
    expect(m.digest).toBe(sha(MANIFEST));
    expect(await codeOf(client.blob(repo('ok'), sha('cfg'), 1024, undefined, signal()))).toEqual([
      'not-allowed',
      '169.254.169.254 is not in imageDetection.registries (no request was sent)',
    ]);
  });
  it('a token realm over plain HTTP is refused, even on an allowlisted host', async () => {
    expect(await codeOf(client.manifest(repo('httprealm'), 'v1', undefined, signal()))).toEqual([
      'not-allowed',
      `token realm http://${host} (named by ${host}) is not in imageDetection.registries (no request was sent)`,
    ]);
  });
  it('a 401 without a usable challenge', async () => {
    expect((await codeOf(client.manifest(repo('norealm'), 'v1', undefined, signal())))[1]).toBe(
      `${host} answered 401 without a usable WWW-Authenticate challenge`,
    );
  });
  it('a body that is not JSON', async () => {
    expect((await codeOf(client.manifest(repo('notjson'), 'v1', undefined, signal())))[0]).toBe('invalid');
  });
  it('an index whose child is not a manifest is refused', async () => {
    const deps = { client, byDigest: () => undefined, remember: () => undefined };
    const [code] = await codeOf(lookup(deps, repo('nested'), 'v1', undefined, signal()));
    expect(code).toBe('invalid');
  });
  it('an aborted signal gives timeout, not a hang', async () => {
    const c = new AbortController();
    c.abort();
    expect((await codeOf(client.manifest(repo('ok'), 'v1', undefined, c.signal)))[0]).toBe('timeout');
  });
});
