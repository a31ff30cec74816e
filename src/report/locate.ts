/**
 * Objects of a manifest file with the line each starts on, for `check` output that names
 * `file:line`. The yaml library parses every document with its source range; a LineCounter turns
 * offsets into 1-based lines. Items of a `List` kind get the line of their own entry.
 */
import { LineCounter, isMap, isSeq, parseAllDocuments, type Node as YamlNode } from 'yaml';
import { isRecord, str } from '../objects/json.js';

export interface Located {
  object: unknown;
  file: string;
  /** 1-based line of the object's first key */
  line: number;
}

export class ManifestError extends Error {}

function startLine(node: YamlNode | null | undefined, lc: LineCounter, fallback: number): number {
  const offset = node?.range?.[0];
  return offset === undefined ? fallback : lc.linePos(offset).line;
}

export function locateObjects(text: string, file: string): Located[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc });
  const out: Located[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      const at = err.linePos?.[0];
      throw new ManifestError(`${file}${at === undefined ? '' : `:${at.line}`}: not valid YAML: ${err.message.split('\n')[0]}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const contents = doc.contents;
    const line = startLine(contents, lc, lc.linePos(doc.range[0]).line);
    if (isRecord(value) && Array.isArray(value['items']) && (str(value['kind']) ?? '').endsWith('List')) {
      const items = isMap(contents) ? contents.get('items', true) : undefined;
      value['items'].forEach((item, i) => {
        const node = isSeq(items) ? (items.items[i] as YamlNode | undefined) : undefined;
        out.push({ object: item, file, line: startLine(node, lc, line) });
      });
    } else {
      out.push({ object: value, file, line });
    }
  }
  return out;
}
