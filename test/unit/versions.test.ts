import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepoRoot } from '../../src/controlplane/binaries.js';
import { parseVersions, pinnedVersion, VERSIONS_FILE } from '../../src/controlplane/versions.js';

describe('versions.env, the one place tool versions are pinned', () => {
  it.each([
    ['# comment\n\nK8S_VERSION=v1.35.4\n', { K8S_VERSION: 'v1.35.4' }],
    ['  A=1  \n#B=2\nC_2=v3.0.0', { A: '1', C_2: 'v3.0.0' }],
    ['', {}],
  ])('parses %j', (text, expected) => {
    expect(parseVersions(text)).toEqual(expected);
  });

  it.each([
    ['A=1\nA=2\n', `${VERSIONS_FILE}:2: A is pinned twice`],
    ['A=1\nexport B=2\n', `${VERSIONS_FILE}:2: expected KEY=value, got "export B=2"`],
    ['A=$(date)\n', `${VERSIONS_FILE}:1: expected KEY=value, got "A=$(date)"`],
    ['a=1\n', `${VERSIONS_FILE}:1: expected KEY=value, got "a=1"`],
  ])('refuses %j', (text, message) => {
    expect(() => parseVersions(text)).toThrow(message);
  });

  it('the repository file is well formed and pins each tool once', () => {
    const pins = parseVersions(readFileSync(join(findRepoRoot()!, VERSIONS_FILE), 'utf8'));
    for (const key of ['K8S_VERSION', 'ETCD_VERSION', 'HELM_VERSION', 'KYVERNO_VERSION', 'REGISTRY_VERSION', 'ORAS_VERSION'])
      expect(pins[key], key).toMatch(/^v\d+\.\d+\.\d+$/);
  });

  it('pinnedVersion names what is missing', () => {
    expect(pinnedVersion('K8S_VERSION')).toMatch(/^v1\.\d+\.\d+$/);
    expect(() => pinnedVersion('NO_SUCH_VERSION')).toThrow(`NO_SUCH_VERSION is not pinned in ${VERSIONS_FILE}`);
    expect(() => pinnedVersion('K8S_VERSION', '/nonexistent-root')).toThrow(/ENOENT/);
  });
});
