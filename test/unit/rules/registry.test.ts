/**
 * Rule ids are written once, in each rule's file; everything else that names them is checked
 * against the rule registry here: the config schema's enum (and with it the RuleId type and
 * RULE_IDS, which are the schema's), what the config accepts, and README.md's table of rules.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import schema from '../../../src/config/config.schema.json' with { type: 'json' };
import { RULE_IDS, parseConfig } from '../../../src/config/config.js';
import type { Rule } from '../../../src/decide/types.js';
import { RULES } from '../../../src/rules/registry.js';

/** `| \`id\` | mode | ... |` rows of the README's Rules table */
function readmeRules(): [string, string][] {
  const text = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  return [...text.matchAll(/^\| `([a-z-]+)` \| (enforce|warn|audit) \|/gm)].map((m) => [m[1]!, m[2]!]);
}

describe('the rule registry', () => {
  it('ids are unique', () => {
    expect(new Set(RULES.map((r: Rule) => r.id)).size).toBe(RULES.length);
  });

  it("the config schema's rule-id enum is exactly the registry's ids", () => {
    expect([...schema.properties.rules.propertyNames.enum].sort()).toEqual(RULES.map((r: Rule) => r.id).sort());
    expect([...RULE_IDS]).toEqual(schema.properties.rules.propertyNames.enum);
  });

  it('the config accepts every rule id in every mode', () => {
    for (const r of RULES)
      for (const mode of ['enforce', 'warn', 'audit'] as const) expect(parseConfig({ rules: { [r.id]: mode } }).rules[r.id]).toBe(mode);
  });

  it("README's table of rules lists every rule, in registry order, with its default mode", () => {
    expect(readmeRules()).toEqual(RULES.map((r: Rule) => [r.id, r.defaultMode]));
  });

  it('every rule checks something', () => {
    for (const r of RULES) {
      const checks = Object.values(r.checks).flatMap((byOp) => Object.values(byOp as object));
      expect(checks.length, r.id).toBeGreaterThan(0);
      for (const c of checks) expect(typeof c, r.id).toBe('function');
    }
  });
});
