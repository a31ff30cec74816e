import { describe, expect, it } from 'vitest';
import { ReferenceError, apiHost, manifestRef, parseReference } from '../../../src/images/reference.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference: normalisation as the container runtime does it', () => {
  it.each([
    ['nginx', 'docker.io', 'library/nginx', 'latest', undefined, 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io', 'library/nginx', '1.27', undefined, 'docker.io/library/nginx:1.27'],
    ['bitnami/redis', 'docker.io', 'bitnami/redis', 'latest', undefined, 'docker.io/bitnami/redis:latest'],
    ['docker.io/nginx', 'docker.io', 'library/nginx', 'latest', undefined, 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:1', 'docker.io', 'library/nginx', '1', undefined, 'docker.io/library/nginx:1'],
    ['ghcr.io/spinframework/spin-hello:v1', 'ghcr.io', 'spinframework/spin-hello', 'v1', undefined, 'ghcr.io/spinframework/spin-hello:v1'],
    ['localhost/app', 'localhost', 'app', 'latest', undefined, 'localhost/app:latest'],
    ['localhost:5000/a/b/c:dev', 'localhost:5000', 'a/b/c', 'dev', undefined, 'localhost:5000/a/b/c:dev'],
    ['127.0.0.1:5443/wasm/hello', '127.0.0.1:5443', 'wasm/hello', 'latest', undefined, '127.0.0.1:5443/wasm/hello:latest'],
    ['[::1]:5000/x', '[::1]:5000', 'x', 'latest', undefined, '[::1]:5000/x:latest'],
    ['Registry.Example/app', 'Registry.Example', 'app', 'latest', undefined, 'Registry.Example/app:latest'],
    [`nginx@${D}`, 'docker.io', 'library/nginx', undefined, D, `docker.io/library/nginx@${D}`],
    [`r.io/a:1@${D}`, 'r.io', 'a', '1', D, `r.io/a:1@${D}`],
    ['a__b/c-d.e_f', 'docker.io', 'a__b/c-d.e_f', 'latest', undefined, 'docker.io/a__b/c-d.e_f:latest'],
  ])('%s', (input, registry, repository, tag, digest, canonical) => {
    const r = parseReference(input);
    expect(r).toEqual({
      registry,
      repository,
      ...(tag === undefined ? {} : { tag }),
      ...(digest === undefined ? {} : { digest }),
      canonical,
    });
  });

  it('asks for the digest when pinned, else the tag', () => {
    expect(manifestRef(parseReference(`r.io/a:1@${D}`))).toBe(D);
    expect(manifestRef(parseReference('r.io/a:1'))).toBe('1');
  });

  it('Docker Hub is reached at registry-1.docker.io', () => {
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('ghcr.io')).toBe('ghcr.io');
  });
});

describe('parseReference: invalid references say what is wrong', () => {
  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['Nginx', /must be lowercase/],
    ['r.io/App', /must be lowercase/],
    ['nginx:', /invalid tag/],
    ['nginx:-x', /invalid tag/],
    [`nginx:${'t'.repeat(129)}`, /invalid tag/],
    ['nginx@sha256:abc', /not a sha256 or sha512 digest/],
    [`nginx@md5:${'a'.repeat(32)}`, /not a sha256 or sha512 digest/],
    [`nginx@sha256:${'A'.repeat(64)}`, /not a sha256 or sha512 digest/],
    ['r.io//a', /invalid repository name component/],
    ['r.io/a/', /invalid repository name component/],
    ['-bad.io/a', /invalid registry host/],
    ['r.io/a--', /invalid repository name component/],
    [':tag', /no repository name/],
    [`r.io/${'a'.repeat(260)}`, /longer than 255/],
  ])('%j', (input, why) => {
    expect(() => parseReference(input)).toThrow(ReferenceError);
    expect(() => parseReference(input)).toThrow(why);
  });
});
