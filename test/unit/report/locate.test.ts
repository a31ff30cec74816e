import { describe, expect, it } from 'vitest';
import { ManifestError, locateObjects } from '../../../src/report/locate.js';

describe('objects with their file:line', () => {
  it.each([
    ['one document', 'kind: Pod\nmetadata: {name: a}\n', [1]],
    ['comments and --- before objects', '# header\n\n---\n# about b\nkind: Pod\nmetadata: {name: b}\n---\nkind: Pod\n', [5, 8]],
    ['empty documents are skipped', '---\n---\nkind: Pod\n---\n', [3]],
    [
      'List items get their own lines',
      'apiVersion: v1\nkind: List\nitems:\n  - kind: Pod\n    metadata: {name: a}\n  - kind: Pod\n    metadata: {name: b}\n',
      [4, 6],
    ],
    ['JSON', '{\n  "kind": "Pod"\n}\n', [1]],
  ])('%s', (_name, text, lines) => {
    expect(locateObjects(text, 'm.yaml').map((l) => l.line)).toEqual(lines);
  });

  it('invalid YAML names the file and line', () => {
    expect(() => locateObjects('kind: Pod\nmetadata: {name: a\n', 'bad.yaml')).toThrow(ManifestError);
    expect(() => locateObjects('kind: Pod\n  bad: indent\n', 'bad.yaml')).toThrow(/^bad\.yaml:\d+: not valid YAML: /);
  });
});
