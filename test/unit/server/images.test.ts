/**
 * imageFactsFor, the lookup before /mutate's decision: a pod over an input cap costs no registry
 * request (bounded work: its containers could name thousands of distinct images).
 */
import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';
import type { ImageResolver } from '../../../src/images/resolver.js';
import { imageFactsFor } from '../../../src/server/images.js';
import { podObject, request } from '../../harness/fixtures.js';

const config = parseConfig({ imageDetection: { enabled: true, registries: ['r.example'] }, limits: { containers: 4 } });

/** A resolver that records the images it is asked for and answers each as unknown. */
function countingResolver(): { resolver: ImageResolver; asked: string[][] } {
  const asked: string[][] = [];
  const resolver = {
    resolve: async (images: readonly { container: string; init: boolean; image: string }[]) => {
      asked.push(images.map((i) => i.image));
      return images.map((i) => ({ status: 'unknown' as const, container: i.container, init: i.init, image: i.image, reason: 'test' }));
    },
  } as unknown as ImageResolver;
  return { resolver, asked };
}

const withContainers = (n: number, field = 'containers') =>
  podObject({
    name: 'hello',
    namespace: 'apps',
    spec: { [field]: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: `r.example/app/c${i}:v1` })) },
  });

describe('imageFactsFor', () => {
  it.each([
    ['4 containers (at the cap): looked up', withContainers(4), 1],
    ['5 containers: over the cap, not looked up', withContainers(5), 0],
    ['5 init containers: they count toward the cap', withContainers(5, 'initContainers'), 0],
    ['1 container: looked up', withContainers(1), 1],
  ])('%s', async (_name, pod, lookups) => {
    const { resolver, asked } = countingResolver();
    const facts = await imageFactsFor(request(pod), config, resolver, new ServerResponse(new IncomingMessage(new Socket())));
    expect(asked).toHaveLength(lookups);
    expect(facts === undefined).toBe(lookups === 0);
  });
});
