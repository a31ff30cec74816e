/**
 * What a review writes to the log, by level: at info only what an admin acts on (a denial, a
 * warning, a finding, an error); a review admitted with nothing to say, patched or not, only at
 * debug (the API server's audit log records it already). In-process: fastify.inject.
 */
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/server/app.js';
import { config, nodeObject, podObject, review, seedCluster } from '../../harness/fixtures.js';
import { logLines } from '../../harness/log-lines.js';

type Case = [name: string, endpoint: 'mutate' | 'validate', body: ReturnType<typeof review>, expected: { info: string[]; debug: string[] }];

const cases: Case[] = [
  [
    'a Wasm pod given its RuntimeClass',
    'mutate',
    review(podObject({ annotations: { 'wasmgate.dev/runtime': 'wasmtime' } })),
    { info: [], debug: ['debug patched admitted'] },
  ],
  [
    'a pod whose RuntimeClass exists and fits',
    'validate',
    review(podObject({ spec: { runtimeClassName: 'wasmtime-spin-v2' } })),
    { info: [], debug: ['debug allowed admitted'] },
  ],
  [
    'a pod whose RuntimeClass does not exist',
    'validate',
    review(podObject({ spec: { runtimeClassName: 'nope' } })),
    { info: ['info denied denied'], debug: ['info denied denied'] },
  ],
  [
    'a Node update that strands a RuntimeClass (a warning)',
    'validate',
    review(nodeObject('spin-1'), 'UPDATE', nodeObject('spin-1', { 'spin-enabled': 'yes' })),
    { info: ['info allowed admitted'], debug: ['info allowed admitted'] },
  ],
];

async function logged(level: 'info' | 'debug', endpoint: string, body: unknown): Promise<string[]> {
  const { stream, lines } = logLines();
  const { app } = buildApp({ config: config(), state: seedCluster(), logger: { level, stream } });
  try {
    const res = await app.inject({
      method: 'POST',
      url: `/${endpoint}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    expect(res.statusCode).toBe(200);
  } finally {
    await app.close();
  }
  // level, outcome and the message up to its first colon: enough to tell the lines apart
  const levels: Record<number, string> = { 20: 'debug', 30: 'info' };
  return lines
    .map((l) => JSON.parse(l) as { level: number; outcome?: string; msg: string })
    .filter((l) => l.outcome !== undefined)
    .map((l) => `${levels[l.level] ?? l.level} ${l.outcome} ${l.msg.split(':')[0]}`);
}

describe('the log line of a review', () => {
  it.each(cases)('%s (/%s)', async (_name, endpoint, body, expected) => {
    expect(await logged('info', endpoint, body)).toEqual(expected.info);
    expect(await logged('debug', endpoint, body)).toEqual(expected.debug);
  });
});
