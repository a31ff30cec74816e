/**
 * What wasmgate says when the API server refuses one of its lists or watches (401/403): the
 * problem (src/cluster/access.ts), the log lines, and the /readyz answer, as golden files.
 * Regenerate with `npx vitest run test/unit/access-messages.test.ts -u` and read every change.
 */
import { describe, expect, it } from 'vitest';
import { accessDeniedLine, accessProblem, accessRestoredLine, isAccessDenied, refusesList, statusUser } from '../../src/cluster/access.js';
import { MemoryState } from '../../src/cluster/memory-state.js';
import { KINDS, kindNamed, verbsOf, type KindRecord } from '../../src/kinds/registry.js';
import { buildApp } from '../../src/server/app.js';
import { config } from '../harness/fixtures.js';

const golden = (name: string, text: string) => expect(`${text}\n`).toMatchFileSnapshot(`../golden/access-${name}.txt`);

/** The Status a kube-apiserver answers a refused request with (its exact shape, v1.35). */
function forbidden(k: KindRecord, verb: string, user: string): string {
  const resource = k.group === '' ? k.resource : `${k.resource}.${k.group}`;
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${resource} is forbidden: User "${user}" cannot ${verb} resource "${k.resource}" in API group "${k.group}" at the cluster scope`,
    reason: 'Forbidden',
    details: { group: k.group, kind: k.resource },
    code: 403,
  });
}
const UNAUTHORIZED = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
});
const SA = 'system:serviceaccount:wasmgate:wasmgate';
const WATCHED = KINDS.filter((k) => k.watched);

describe('access problems', () => {
  it('name the verb, the resource, its scope and group, the user, and where to grant it', async () => {
    const lines: string[] = [];
    for (const k of WATCHED) for (const verb of verbsOf(k)) lines.push(accessProblem(k, verb, 403, forbidden(k, verb, SA)));
    const node = kindNamed('Node');
    lines.push(accessProblem(node, 'list', 403, forbidden(node, 'list', 'alice@example.com')));
    lines.push(accessProblem(node, 'watch', 403, 'not a Status'));
    lines.push(accessProblem(kindNamed('Pod'), 'list', 401, UNAUTHORIZED));
    await golden('problems', lines.join('\n'));
    expect(lines[0]).toContain('cannot list pods (all namespaces)');
    expect(lines.find((l) => l.startsWith('cannot watch nodes'))).toContain(`the ServiceAccount ${SA} lacks the "watch" verb on "nodes"`);
  });

  it('refusesList() tells a refused list from a refused watch, for 401 and 403 (wasmgate audit stops on the first)', () => {
    for (const k of WATCHED)
      for (const verb of verbsOf(k))
        for (const code of [401, 403] as const)
          expect(refusesList(accessProblem(k, verb, code, code === 403 ? forbidden(k, verb, SA) : UNAUTHORIZED))).toBe(verb === 'list');
  });

  it('log one line when a problem appears and one when it clears', async () => {
    const node = kindNamed('Node');
    const problem = accessProblem(node, 'watch', 403, forbidden(node, 'watch', SA));
    await golden(
      'log',
      [accessDeniedLine(problem), accessRestoredLine(node, 'watch'), accessRestoredLine(kindNamed('RuntimeClass'), 'list')].join('\n'),
    );
  });

  it('/readyz answers 503 listing every problem, and 200 once they are cleared', async () => {
    const state = new MemoryState('live', 'live cache of https://127.0.0.1:6443: 6 nodes, 2 RuntimeClasses');
    state.markSynced(true);
    const { app } = buildApp({ config: config(), state });
    const node = kindNamed('Node');
    const rc = kindNamed('RuntimeClass');
    state.setProblem('runtimeclasses', accessProblem(rc, 'list', 403, forbidden(rc, 'list', SA)));
    state.setProblem('nodes', accessProblem(node, 'watch', 403, forbidden(node, 'watch', SA)));
    const denied = await app.inject({ method: 'GET', url: '/readyz' });
    await golden('readyz', `${denied.statusCode}\n${denied.body}`);
    expect(denied.statusCode).toBe(503);
    state.setProblem('nodes', undefined);
    state.setProblem('runtimeclasses', undefined);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    await app.close();
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', detail: 'live cache of https://127.0.0.1:6443: 6 nodes, 2 RuntimeClasses' });
  });
});

describe('statusUser', () => {
  it.each([
    ['the user of a Forbidden Status', forbidden(kindNamed('Node'), 'watch', SA), SA],
    ['an escaped quote in the name', JSON.stringify({ message: 'x is forbidden: User "a\\"b" cannot list' }), 'a"b'],
    ['no user in the message', JSON.stringify({ message: 'forbidden', details: { kind: 'nodes' } }), undefined],
    ['a control character', JSON.stringify({ message: 'User "evil\nline" cannot list' }), undefined],
    ['an absurdly long name', JSON.stringify({ message: `User "${'u'.repeat(300)}" cannot list` }), undefined],
    ['an empty name', JSON.stringify({ message: 'User "" cannot list' }), undefined],
    ['a body that is not JSON', '<html>403</html>', undefined],
    ['JSON that is not an object', '"User \\"x\\""', undefined],
  ])('%s', (_what, body, user) => {
    expect(statusUser(body)).toBe(user);
  });

  it('401 and 403 are access refusals; 404, 500 and 410 are not', () => {
    expect([401, 403, 404, 410, 500].map(isAccessDenied)).toEqual([true, true, false, false, false]);
  });
});
