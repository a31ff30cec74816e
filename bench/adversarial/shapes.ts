/**
 * The hostile bodies of `npm run bench:adversarial` (bench/adversarial.ts): AdmissionReviews of
 * Wasm pods, a RuntimeClass and a Node UPDATE, each with one part repeated until the body reaches a
 * size (huge node selectors, tolerations, containers, affinity terms, annotations, a huge name or
 * selector value).
 */

const RESOURCE: Record<string, [string, string, string]> = {
  Pod: ['', 'v1', 'pods'],
  Node: ['', 'v1', 'nodes'],
  RuntimeClass: ['node.k8s.io', 'v1', 'runtimeclasses'],
};

function review(uid: string, object: Record<string, unknown>, oldObject?: Record<string, unknown>): Record<string, unknown> {
  const meta = object['metadata'] as { name: string; namespace?: string };
  const [group, version, resource] = RESOURCE[object['kind'] as string]!;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group, version, kind: object['kind'] },
      resource: { group, version, resource },
      operation: oldObject === undefined ? 'CREATE' : 'UPDATE',
      name: meta.name,
      ...(meta.namespace === undefined ? {} : { namespace: meta.namespace }),
      object,
      ...(oldObject === undefined ? {} : { oldObject }),
    },
  };
}

const wasmNode = (labels: Record<string, string>): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'wasm-1', labels: { 'kubernetes.io/hostname': 'wasm-1', 'wasmtime-enabled': 'yes', ...labels } },
  spec: { taints: [{ key: 'wasm', value: 'true', effect: 'NoSchedule' }] },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

function pod(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'hostile', namespace: 'apps', ...metadata },
    spec: { runtimeClassName: 'wasm1', containers: [{ name: 'app', image: 'ghcr.io/example/app:1' }], ...spec },
  };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const keyed = (n: number, key: (i: number) => string, value: string): Record<string, string> =>
  Object.fromEntries(range(n).map((i) => [key(i), value]));

interface Shape {
  name: string;
  /** the object with n repetitions of the hostile part (and the old object, for an UPDATE) */
  /** `salt` goes into every key, so that each pass sends keys the server has not seen (an attacker's would vary too) */
  build(n: number, salt: string): Record<string, unknown> | [Record<string, unknown>, Record<string, unknown>];
}

const SHAPES: Shape[] = [
  {
    name: 'nodeSelector, reserved keys (kubernetes.io/kN)',
    build: (n, s) => pod({ nodeSelector: keyed(n, (i) => `kubernetes.io/k${s}${i}`, 'v') }),
  },
  { name: 'nodeSelector, ordinary keys', build: (n, s) => pod({ nodeSelector: keyed(n, (i) => `example.com/k${s}${i}`, 'v') }) },
  {
    name: 'tolerations',
    build: (n, s) => pod({ tolerations: range(n).map((i) => ({ key: `k${s}${i}`, operator: 'Exists', effect: 'NoSchedule' })) }),
  },
  { name: 'containers', build: (n, s) => pod({ containers: range(n).map((i) => ({ name: `c${s}${i}`, image: 'i' })) }) },
  {
    name: 'node affinity terms',
    build: (n, s) =>
      pod({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: range(n).map((i) => ({ matchExpressions: [{ key: `k${s}${i}`, operator: 'In', values: ['v'] }] })),
            },
          },
        },
      }),
  },
  { name: 'annotations', build: (n, s) => pod({}, { annotations: keyed(n, (i) => `example.com/a${s}${i}`, 'v') }) },
  { name: 'one huge name', build: (n, s) => pod({}, { name: `${s}${'n'.repeat(n * 16)}` }) },
  {
    name: 'one reserved key with a huge value',
    build: (n, s) => pod({ nodeSelector: { 'kubernetes.io/wasm': `${s}${'v'.repeat(n * 16)}` } }),
  },
  {
    name: 'RuntimeClass, nodeSelector keys',
    build: (n, s) => ({
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'hostile' },
      handler: 'wasmtime',
      scheduling: { nodeSelector: keyed(n, (i) => `kubernetes.io/k${s}${i}`, 'v') },
    }),
  },
  {
    name: 'Node UPDATE, labels (cordon)',
    build: (n, s) => [{ ...wasmNode(keyed(n, (i) => `example.com/l${s}${i}`, 'v')), spec: { unschedulable: true } }, wasmNode({})],
  },
];

/** The body of `n` repetitions of this shape, with `salt` in its keys. */
function bodyText(shape: Shape, n: number, uid: string, salt: string): string {
  const built = shape.build(n, salt);
  return JSON.stringify(Array.isArray(built) ? review(uid, built[0], built[1]) : review(uid, built));
}

/** The most repetitions of this shape that fit `bytes`, with a salt of SALT_LENGTH characters. */
function repetitions(shape: Shape, bytes: number): number {
  const size = (n: number): number => Buffer.byteLength(bodyText(shape, n, 'hostile-000', saltOf(0)));
  const per = (size(1000) - size(0)) / 1000;
  let n = Math.max(1, Math.floor((bytes - size(0)) / per));
  while (size(n) > bytes) n = Math.floor(n * 0.98);
  return n;
}

/** Pass p's salt ("a-", "b-", ...; the quiet phase's is "z-"): each pass's keys are new to the server, all of one length. */
const saltOf = (pass: number): string => `${String.fromCharCode(97 + pass)}-`;

/** The floor: JSON.parse of the same body in this process (best of 3), at the same machine load. */
function parseMs(body: string): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    JSON.parse(body);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

/** The ordinary review: a Wasm pod whose RuntimeClass the example snapshot has, allowed. */
export function ordinaryBody(): string {
  return JSON.stringify(review('ordinary', pod({ runtimeClassName: 'wasmtime-spin-v2' })));
}

export interface Body {
  shape: string;
  /** the size asked for */
  size: number;
  /** the size of the first pass's body */
  bytes: number;
  /** JSON.parse of it in this process, ms */
  parse: number;
  /** one body per pass, as the bytes sent */
  passes: Buffer[];
  /** the quiet phase's body (keys of its own) */
  quiet: Buffer;
}

/**
 * Every shape at every size, each pass's body built now (about 150 MB per pass), so that building
 * them cannot slow the sender down. With `sameKeys` every pass sends the first pass's bodies.
 *
 * They are kept as bytes, outside V8's heap. Kept as strings (until 2026-11-29 20:30Z), about
 * 900 MB of them made this process's full garbage collections pause it for 55-86 ms during the
 * attack, inside the time of the review being sent: the worst review of one run, a 1 MiB Node
 * UPDATE whose median was 9 ms, took 91 ms, 70.6 ms of it this process's own pause (--trace-gc).
 * Each send also encoded its string to UTF-8 first, inside the timed window.
 */
export function buildBodies(sizes: readonly number[], passes: number, sameKeys: boolean): Body[] {
  const bodies: Body[] = [];
  for (const size of sizes) {
    for (const shape of SHAPES) {
      const n = repetitions(shape, size);
      const uid = `hostile-${String(bodies.length).padStart(3, '0')}`;
      const text = bodyText(shape, n, uid, saltOf(0));
      const parse = parseMs(text);
      const first = Buffer.from(text);
      const more = Array.from({ length: passes - 1 }, (_, p) => (sameKeys ? first : Buffer.from(bodyText(shape, n, uid, saltOf(p + 1)))));
      bodies.push({
        shape: shape.name,
        size,
        bytes: first.length,
        parse,
        passes: [first, ...more],
        quiet: sameKeys ? first : Buffer.from(bodyText(shape, n, uid, saltOf(25))),
      });
    }
  }
  return bodies;
}
