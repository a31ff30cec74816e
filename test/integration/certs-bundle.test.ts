/**
 * Certificates made by `wasmgate certs`: a rotation bundle (old CA + new CA) verifies leaves of
 * both CAs in Node, OpenSSL and Go; keys are 0600 even when an older file was wider; PEM files
 * end with a newline; every CA subject is unique and carries key identifiers.
 */
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookCerts, writeWebhookCerts, type WebhookCerts } from '../../src/certs/generate.js';
import { httpsCall } from './helpers.js';

const run = promisify(execFile);
const GO = '/usr/local/go/bin/go';

/** A Go program that verifies each leaf against the bundle with crypto/x509, as the API server does. */
const GO_VERIFY = `package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

func main() {
	roots := x509.NewCertPool()
	bundle, err := os.ReadFile(os.Args[1])
	if err != nil || !roots.AppendCertsFromPEM(bundle) {
		fmt.Println("cannot read bundle")
		os.Exit(2)
	}
	failed := false
	for _, f := range os.Args[2:] {
		b, _ := os.ReadFile(f)
		block, _ := pem.Decode(b)
		if block == nil {
			fmt.Printf("%s: not PEM\\n", f)
			failed = true
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err == nil {
			_, err = cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "wasmgate.wasmgate.svc"})
		}
		if err != nil {
			fmt.Printf("%s: %v\\n", f, err)
			failed = true
		} else {
			fmt.Printf("%s: OK\\n", f)
		}
	}
	if failed {
		os.Exit(1)
	}
}
`;

describe('certificates for CA rotation', () => {
  let dir: string;
  let oldCerts: WebhookCerts;
  let newCerts: WebhookCerts;
  let bundle: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-certs-'));
    oldCerts = await generateWebhookCerts('wasmgate', 'wasmgate');
    newCerts = await generateWebhookCerts('wasmgate', 'wasmgate');
    await writeWebhookCerts(join(dir, 'old'), oldCerts);
    await writeWebhookCerts(join(dir, 'new'), newCerts);
    // the way an operator builds a bundle: cat
    bundle = (await readFile(join(dir, 'old/ca.crt'), 'utf8')) + (await readFile(join(dir, 'new/ca.crt'), 'utf8'));
    await writeFile(join(dir, 'bundle.crt'), bundle);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives every CA a unique subject with subject and authority key identifiers, and every leaf an authority key identifier', () => {
    const a = new X509Certificate(oldCerts.ca.cert);
    const b = new X509Certificate(newCerts.ca.cert);
    expect(a.subject).not.toBe(b.subject);
    expect(a.subject).toMatch(/^CN=wasmgate-ca wasmgate\.wasmgate \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ [0-9a-f]{8}$/);
    for (const pem of [oldCerts.ca.cert, newCerts.ca.cert]) {
      const text = opensslText(pem);
      expect(text).toMatch(/Subject Key Identifier/);
      expect(text).toMatch(/Authority Key Identifier/);
    }
    for (const [leaf, ca] of [
      [oldCerts.serving.cert, oldCerts.ca.cert],
      [newCerts.serving.cert, newCerts.ca.cert],
    ] as const) {
      const leafText = opensslText(leaf);
      const caSki = keyId(opensslText(ca), 'Subject Key Identifier');
      expect(keyId(leafText, 'Authority Key Identifier')).toBe(caSki);
      expect(new X509Certificate(leaf).checkIssued(new X509Certificate(ca))).toBe(true);
    }
  });

  it('writes PEM files that end with a newline, and keys with mode 0600', async () => {
    for (const f of ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']) {
      const text = await readFile(join(dir, 'new', f), 'utf8');
      expect(text.endsWith('-----\n'), f).toBe(true);
      expect(text.endsWith('\n\n'), f).toBe(false);
    }
    expect((await stat(join(dir, 'new/tls.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'new/ca.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'new/tls.crt'))).mode & 0o777).toBe(0o644);
  });

  it('makes keys 0600 when it overwrites files that were world-readable', async () => {
    const over = join(dir, 'over');
    await writeWebhookCerts(over, oldCerts);
    await chmod(join(over, 'tls.key'), 0o644);
    await chmod(join(over, 'ca.key'), 0o666);
    await writeWebhookCerts(over, newCerts);
    expect((await stat(join(over, 'tls.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(over, 'ca.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(over, 'tls.key'), 'utf8')).toBe(newCerts.serving.key);
  });

  it('verifies leaves of both CAs against the bundle in OpenSSL', async () => {
    const { stdout } = await run('openssl', [
      'verify',
      '-CAfile',
      join(dir, 'bundle.crt'),
      join(dir, 'old/tls.crt'),
      join(dir, 'new/tls.crt'),
    ]);
    expect(stdout).toBe(`${join(dir, 'old/tls.crt')}: OK\n${join(dir, 'new/tls.crt')}: OK\n`);
  });

  it('verifies leaves of both CAs against the bundle in Go (crypto/x509)', async () => {
    expect(existsSync(GO), `Go is expected at ${GO}`).toBe(true);
    const prog = join(dir, 'goverify');
    await run('mkdir', ['-p', prog]);
    await writeFile(join(prog, 'main.go'), GO_VERIFY);
    await writeFile(join(prog, 'go.mod'), 'module goverify\n\ngo 1.22\n');
    const { stdout } = await run(GO, ['run', '.', join(dir, 'bundle.crt'), join(dir, 'old/tls.crt'), join(dir, 'new/tls.crt')], {
      cwd: prog,
      env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOPROXY: 'off' },
    });
    expect(stdout).toBe(`${join(dir, 'old/tls.crt')}: OK\n${join(dir, 'new/tls.crt')}: OK\n`);
  }, 120_000);

  it('verifies servers of both CAs against the bundle in Node (TLS handshakes)', async () => {
    for (const certs of [oldCerts, newCerts]) {
      const server: Server = createServer({ cert: certs.serving.cert, key: certs.serving.key }, (_req, res) => res.end('ok'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      try {
        for (let i = 0; i < 20; i++) {
          const r = await httpsCall(`https://127.0.0.1:${port}/`, { ca: bundle });
          expect(r.text).toBe('ok');
        }
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    }
  });
});

/** openssl's text form of a certificate (Node's X509Certificate has no key identifier accessors) */
function opensslText(pem: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-text'], { input: pem, encoding: 'utf8' });
}

function keyId(text: string, name: string): string {
  const m = new RegExp(`${name}:\\s*\\n\\s*(?:keyid:)?([0-9A-F:]+)`).exec(text);
  if (m === null) throw new Error(`no ${name} in:\n${text}`);
  return m[1]!;
}
