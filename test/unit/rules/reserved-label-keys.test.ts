import { describe, it, expect } from 'vitest';
import { KUBELET_LABELS, type Config } from '../../../src/config/config.js';
import { reservedLabelKeys as rule } from '../../../src/rules/reserved-label-keys.js';
import { config, node, runtimeClass, seedCluster, stateOf } from '../../harness/fixtures.js';
import { ctxOf, named, podT, targetOf, workloadObject } from '../helpers.js';

/** [key, reserved under the default config] */
const KEYS: [string, boolean][] = [
  // kubelet's isKubernetesLabel: kubernetes.io, *.kubernetes.io, k8s.io, *.k8s.io
  ['kubernetes.io/x', true],
  ['foo.kubernetes.io/x', true],
  ['a.b.kubernetes.io/x', true],
  ['k8s.io/x', true],
  ['foo.k8s.io/x', true],
  ['kubernetes.io/wasm', true],
  // look-alikes that are not reserved
  ['cluster.x-k8s.io/x', false],
  ['x-k8s.io/x', false],
  ['notkubernetes.io/x', false],
  ['notk8s.io/x', false],
  ['kubernetes.io.evil.com/x', false],
  ['k8s.io.example.com/x', false],
  ['example.com/kubernetes.io', false],
  ['wasmtime-enabled', false],
  ['kubernetes.io', false],
  // kubelet's own labels (KUBELET_LABELS, always allowed), exact keys
  ['kubernetes.io/arch', false],
  ['kubernetes.io/os', false],
  ['kubernetes.io/hostname', false],
  ['beta.kubernetes.io/arch', false],
  ['node.kubernetes.io/instance-type', false],
  ['topology.kubernetes.io/zone', false],
  ['failure-domain.beta.kubernetes.io/region', false],
  // ...and namespace wildcards, subdomains included
  ['node.kubernetes.io/anything', false],
  ['foo.node.kubernetes.io/x', false],
  ['kubelet.kubernetes.io/x', false],
  ['a.kubelet.kubernetes.io/x', false],
  // exact entries are exact; a wildcard namespace is a domain, not a string suffix
  ['kubernetes.io/archx', true],
  ['topology.kubernetes.io/rack', true],
  ['notnode.kubernetes.io/x', true],
  ['node.kubernetes.io.k8s.io/x', true],
];

describe('reserved-label-keys: which keys are reserved (pod nodeSelector)', () => {
  it.each(KEYS)('%s → reserved: %s', (key, reserved) => {
    const target = podT({ spec: { nodeSelector: { [key]: 'v' } } });
    const messages = rule.checks.podTemplate!.CREATE!(target, named('wasm1'), ctxOf(seedCluster()));
    expect(messages).toHaveLength(reserved ? 1 : 0);
    if (reserved) expect(messages[0]).toContain(`by label ${key} (in the reserved `);
  });
});

describe('reserved-label-keys: which keys are reserved (RuntimeClass nodeSelector)', () => {
  it.each(KEYS)('%s → reserved: %s', (key, reserved) => {
    const rc = runtimeClass('rc', 'wasmtime', { [key]: 'v' });
    const messages = rule.checks.RuntimeClass!.CREATE!(rc, ctxOf(stateOf([], [rc])));
    expect(messages).toHaveLength(reserved ? 1 : 0);
  });
});

interface AllowCase {
  name: string;
  cfg: Config;
  key: string;
  reserved: boolean;
}

const allowCases: AllowCase[] = [
  { name: 'custom exact entry', cfg: config({ reservedLabelAllowlist: ['kubernetes.io/wasm'] }), key: 'kubernetes.io/wasm', reserved: false },
  { name: 'custom exact entry does not cover a sibling', cfg: config({ reservedLabelAllowlist: ['kubernetes.io/wasm'] }), key: 'kubernetes.io/wasm2', reserved: true },
  { name: 'custom wildcard entry', cfg: config({ reservedLabelAllowlist: ['example.k8s.io/*'] }), key: 'example.k8s.io/shim', reserved: false },
  { name: 'custom wildcard entry covers subdomains', cfg: config({ reservedLabelAllowlist: ['example.k8s.io/*'] }), key: 'a.example.k8s.io/shim', reserved: false },
  { name: 'custom wildcard entry is a domain boundary', cfg: config({ reservedLabelAllowlist: ['example.k8s.io/*'] }), key: 'badexample.k8s.io/shim', reserved: true },
  // kubelet's labels are always allowed: the configured list adds to them and cannot remove them
  { name: 'empty allowlist: kubelet labels are still allowed', cfg: config({ reservedLabelAllowlist: [] }), key: 'kubernetes.io/arch', reserved: false },
  { name: 'empty allowlist: other reserved keys stay reserved', cfg: config({ reservedLabelAllowlist: [] }), key: 'kubernetes.io/wasm', reserved: true },
  { name: 'custom allowlist keeps kubelet exact labels', cfg: config({ reservedLabelAllowlist: ['kubernetes.io/wasm'] }), key: 'kubernetes.io/arch', reserved: false },
  { name: 'custom allowlist keeps kubelet wildcard namespaces', cfg: config({ reservedLabelAllowlist: ['kubernetes.io/wasm'] }), key: 'node.kubernetes.io/custom', reserved: false },
  { name: 'custom allowlist keeps kubelet wildcard subdomains', cfg: config({ reservedLabelAllowlist: ['example.k8s.io/*'] }), key: 'a.kubelet.kubernetes.io/x', reserved: false },
  { name: 'custom allowlist does not widen kubelet exact labels', cfg: config({ reservedLabelAllowlist: ['kubernetes.io/wasm'] }), key: 'kubernetes.io/archx', reserved: true },
];

describe('reserved-label-keys: allowlist', () => {
  it.each(allowCases)('$name ($key)', ({ cfg, key, reserved }) => {
    const target = podT({ spec: { nodeSelector: { [key]: 'v' } } });
    expect(rule.checks.podTemplate!.CREATE!(target, named('wasm1'), ctxOf(seedCluster(), cfg))).toHaveLength(reserved ? 1 : 0);
    const rc = runtimeClass('rc', 'wasmtime', { [key]: 'v' });
    expect(rule.checks.RuntimeClass!.CREATE!(rc, ctxOf(stateOf([], [rc]), cfg))).toHaveLength(reserved ? 1 : 0);
  });

  it('a custom allowlist adds to every kubelet label instead of replacing them', () => {
    const cfg = config({ reservedLabelAllowlist: ['kubernetes.io/wasm'] });
    const keys = KUBELET_LABELS.map((entry) => (entry.endsWith('/*') ? entry.replace('/*', '/x') : entry));
    const selector = Object.fromEntries([...keys, 'kubernetes.io/wasm'].map((k) => [k, 'v']));
    expect(rule.checks.podTemplate!.CREATE!(podT({ spec: { nodeSelector: selector } }), named('wasm1'), ctxOf(seedCluster(), cfg))).toEqual([]);
    const rc = runtimeClass('rc', 'wasmtime', selector);
    expect(rule.checks.RuntimeClass!.CREATE!(rc, ctxOf(stateOf([], [rc]), cfg))).toEqual([]);
    // ...while a key in neither list is still reported
    const bad = runtimeClass('bad', 'wasmtime', { ...selector, 'kubernetes.io/other': 'v' });
    const messages = rule.checks.RuntimeClass!.CREATE!(bad, ctxOf(stateOf([], [bad]), cfg));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('by label kubernetes.io/other (in the reserved kubernetes.io namespace');
  });
});

describe('reserved-label-keys: messages', () => {
  const withBadClass = () =>
    stateOf([node('w1', { 'kubernetes.io/wasm': 'yes' })], [runtimeClass('bad', 'wasmtime', { 'kubernetes.io/wasm': 'yes' }), runtimeClass('good', 'spin', { 'spin-enabled': 'yes' })]);

  const cases = [
    {
      name: 'pod key in kubernetes.io',
      run: () => rule.checks.podTemplate!.CREATE!(podT({ spec: { nodeSelector: { 'kubernetes.io/wasm': 'yes' } } }), named('good'), ctxOf(withBadClass())),
      count: 1,
      contains: [
        'Pod default/app selects nodes in spec.nodeSelector by label kubernetes.io/wasm (in the reserved kubernetes.io namespace: ' +
          'kubelet refuses it in --node-labels, so node provisioning cannot set it). Fix: ',
        'e.g. wasmgate.dev/wasm=yes',
        "or, if an admin sets this label deliberately, add kubernetes.io/wasm to reservedLabelAllowlist in wasmgate's config.",
      ],
    },
    {
      name: 'pod key in k8s.io',
      run: () => rule.checks.podTemplate!.CREATE!(podT({ spec: { nodeSelector: { 'shim.k8s.io/wasm': 'on' } } }), named('good'), ctxOf(withBadClass())),
      count: 1,
      contains: ['by label shim.k8s.io/wasm (in the reserved k8s.io namespace: kubelet refuses it', 'e.g. wasmgate.dev/wasm=on'],
    },
    {
      // the class's own keys are judged when the RuntimeClass is admitted (and in audits), not on its pods
      name: 'pod uses a class whose selector has a reserved key: not reported on the pod',
      run: () => rule.checks.podTemplate!.CREATE!(podT(), named('bad'), ctxOf(withBadClass())),
      count: 0,
      contains: [],
    },
    {
      name: 'pod key and class key: only the pod key is reported',
      run: () => rule.checks.podTemplate!.CREATE!(podT({ spec: { nodeSelector: { 'k8s.io/a': '1' } } }), named('bad'), ctxOf(withBadClass())),
      count: 1,
      contains: ['Pod default/app selects nodes in spec.nodeSelector by label k8s.io/a (in the reserved k8s.io namespace'],
    },
    {
      name: 'two reserved pod keys: one message each, sorted by key',
      run: () => rule.checks.podTemplate!.CREATE!(podT({ spec: { nodeSelector: { 'kubernetes.io/a': '1', 'k8s.io/b': '2', ok: '3' } } }), named('good'), ctxOf(withBadClass())),
      count: 2,
      contains: ['by label k8s.io/b (', 'e.g. wasmgate.dev/b=2'],
    },
    {
      name: 'class named but missing: only the pod selector is checked',
      run: () => rule.checks.podTemplate!.CREATE!(podT(), named('gone'), ctxOf(withBadClass())),
      count: 0,
      contains: [],
    },
    {
      name: 'RuntimeClass CREATE with a reserved key',
      run: () => rule.checks.RuntimeClass!.CREATE!(runtimeClass('bad', 'wasmtime', { 'kubernetes.io/wasm': 'yes' }), ctxOf(stateOf([], []))),
      count: 1,
      contains: [
        'RuntimeClass bad selects nodes in scheduling.nodeSelector by label kubernetes.io/wasm (in the reserved kubernetes.io namespace: ' +
          'kubelet refuses it in --node-labels, so node provisioning cannot set it). Fix: label the Wasm nodes with a key in your own namespace',
        'e.g. wasmgate.dev/wasm=yes, and use it in the RuntimeClass;',
        "or, if an admin sets this label deliberately, add kubernetes.io/wasm to reservedLabelAllowlist in wasmgate's config.",
      ],
    },
    {
      name: 'non-Wasm RuntimeClass with a reserved key is checked too',
      run: () => rule.checks.RuntimeClass!.CREATE!(runtimeClass('kata', 'kata', { 'katacontainers.k8s.io/kata': 'true' }), ctxOf(stateOf([], []))),
      count: 1,
      contains: ['reserved k8s.io namespace'],
    },
    {
      name: 'RuntimeClass without selector',
      run: () => rule.checks.RuntimeClass!.CREATE!(runtimeClass('open', 'spin'), ctxOf(stateOf([], []))),
      count: 0,
      contains: [],
    },
    {
      name: 'CronJob: field path',
      run: () =>
        rule.checks.podTemplate!.CREATE!(
          targetOf('CronJob', workloadObject('CronJob', { name: 'tick', spec: { nodeSelector: { 'kubernetes.io/wasm': 'yes' } } })),
          named('good'),
          ctxOf(withBadClass()),
        ),
      count: 1,
      contains: ['CronJob default/tick selects nodes in spec.jobTemplate.spec.template.spec.nodeSelector by label kubernetes.io/wasm'],
    },
  ];

  it.each(cases)('$name', ({ run, count, contains }) => {
    const messages = run();
    expect(messages).toHaveLength(count);
    for (const s of contains) expect(messages[0]).toContain(s);
  });

  it('two reserved pod keys: the second message names the other key', () => {
    const messages = rule.checks.podTemplate!.CREATE!(
      podT({ spec: { nodeSelector: { 'kubernetes.io/a': '1', 'k8s.io/b': '2', ok: '3' } } }),
      named('good'),
      ctxOf(withBadClass()),
    );
    expect(messages[1]).toContain('by label kubernetes.io/a (in the reserved kubernetes.io namespace');
    expect(messages.join('\n')).not.toContain('by label ok');
  });

  it('the class the pod uses is reported when the RuntimeClass itself is checked', () => {
    const bad = withBadClass().getRuntimeClass('bad')!;
    const messages = rule.checks.RuntimeClass!.CREATE!(bad, ctxOf(withBadClass()));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('RuntimeClass bad selects nodes in scheduling.nodeSelector by label kubernetes.io/wasm');
  });
});
