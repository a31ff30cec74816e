/**
 * The chart's generated files equal what the code produces (scripts/chart-files.ts writes them),
 * and its values are checked by wasmgate's own config schema, not a copy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import configSchema from '../../src/config/config.schema.json' with { type: 'json' };
import { DEFAULT_CONFIG, parseConfig } from '../../src/config/config.js';
import { chartFiles } from '../../src/deploy/chart-files.js';
import { chartWebhooks, valuesTable } from '../../src/deploy/chart.js';
import { webhookConfigurations } from '../../src/deploy/webhooks.js';

const REPO = join(import.meta.dirname, '../..');
const CHART = join(REPO, 'charts/wasmgate');
const read = (p: string): string => readFileSync(join(REPO, p), 'utf8');

describe('charts/wasmgate generated files', () => {
  for (const [path, text] of Object.entries(chartFiles(REPO))) {
    it(`${path} is up to date (npx tsx scripts/chart-files.ts)`, () => {
      expect(read(path)).toBe(text);
    });
  }

  it('files/webhooks.json holds the webhooks of `wasmgate manifests`, without clientConfig', () => {
    const file = JSON.parse(read('charts/wasmgate/files/webhooks.json')) as { mutating: object[]; validating: object[] };
    const [m, v] = webhookConfigurations(parseConfig({}), { client: { url: 'https://x' } }) as { webhooks: { clientConfig: unknown }[] }[];
    const strip = (ws: { clientConfig: unknown }[]): object[] => ws.map(({ clientConfig: _c, ...rest }) => rest);
    expect(file.mutating).toEqual(strip(m!.webhooks));
    expect(file.validating).toEqual(strip(v!.webhooks));
    expect(chartWebhooks()).toMatchObject({ annotations: DEFAULT_CONFIG.annotations });
  });

  it("values.schema.json's config is src/config/config.schema.json itself", () => {
    const schema = JSON.parse(read('charts/wasmgate/values.schema.json'));
    const { $schema: _s, $id: _i, ...config } = configSchema;
    expect(schema.definitions.wasmgateConfig).toEqual(config);
    expect(schema.properties.config).toEqual({ $ref: '#/definitions/wasmgateConfig' });
  });

  it('values.yaml passes values.schema.json, and a bad config value is rejected by the config schema', () => {
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile(JSON.parse(read('charts/wasmgate/values.schema.json')));
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...values, config: parse(read('examples/config.yaml')) })).toBe(true);
    expect(validate({ ...values, config: { nodes: { requireReady: 'yes' } } })).toBe(false);
    expect(validate({ ...values, config: { rules: { 'no-such-rule': 'warn' } } })).toBe(false);
  });

  it('every value in values.yaml has a description (the README table needs one)', () => {
    expect(() => valuesTable('a:\n  # -- ok\n  b: 1\n  c: 2\n', () => 1)).toThrow('a.c has no "# -- " description');
    const table = valuesTable(readFileSync(join(CHART, 'values.yaml'), 'utf8'), () => 0);
    expect(table).toContain('| `certificates.mode` |');
  });
});
