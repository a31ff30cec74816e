/**
 * Realistic Node objects for the benchmark, as a kubelet on a cloud VM with Node Feature Discovery
 * would register them: ~35 labels (well-known kubelet labels, topology, node pool, team labels, NFD
 * feature labels), a few taints, 5 conditions, addresses, capacity/allocatable, nodeInfo,
 * runtimeHandlers, daemonEndpoints and 50 `status.images` (kubelet's default nodeStatusMaxImages),
 * each with a digest and a tag name.
 *
 * Generation is deterministic: node i is generated from a PRNG seeded with i, so the same cluster
 * comes out whatever the creation order or concurrency.
 */

/** mulberry32: small, fast, good enough for synthetic data */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;

const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

function hex(r: Rand, n: number): string {
  let s = '';
  while (s.length < n)
    s += Math.floor(r() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
}

function uuid(r: Rand): string {
  const h = hex(r, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

// ---------------------------------------------------------------------------------------------
// the fleet

const REGION = 'eu-west-1';
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const TEAMS = ['payments', 'search', 'checkout', 'identity', 'data-platform', 'ml-serving', 'edge', 'observability'];
const COST_CENTERS = ['cc-1042', 'cc-1107', 'cc-2210', 'cc-3301', 'cc-4017'];

interface Pool {
  name: string;
  arch: 'amd64' | 'arm64';
  instanceTypes: { name: string; cpu: number; memGi: number }[];
  weight: number;
}

const POOLS: Pool[] = [
  {
    name: 'general-m6i',
    arch: 'amd64',
    weight: 0.35,
    instanceTypes: [
      { name: 'm6i.2xlarge', cpu: 8, memGi: 32 },
      { name: 'm6i.4xlarge', cpu: 16, memGi: 64 },
    ],
  },
  {
    name: 'compute-c6i',
    arch: 'amd64',
    weight: 0.2,
    instanceTypes: [
      { name: 'c6i.4xlarge', cpu: 16, memGi: 32 },
      { name: 'c6i.8xlarge', cpu: 32, memGi: 64 },
    ],
  },
  {
    name: 'memory-r6i',
    arch: 'amd64',
    weight: 0.15,
    instanceTypes: [{ name: 'r6i.4xlarge', cpu: 16, memGi: 128 }],
  },
  {
    name: 'graviton-m7g',
    arch: 'arm64',
    weight: 0.25,
    instanceTypes: [
      { name: 'm7g.2xlarge', cpu: 8, memGi: 32 },
      { name: 'm7g.4xlarge', cpu: 16, memGi: 64 },
    ],
  },
  {
    name: 'gpu-g5',
    arch: 'amd64',
    weight: 0.05,
    instanceTypes: [{ name: 'g5.4xlarge', cpu: 16, memGi: 64 }],
  },
];

function poolFor(r: Rand): Pool {
  let x = r();
  for (const p of POOLS) {
    if (x < p.weight) return p;
    x -= p.weight;
  }
  return POOLS[0]!;
}

const AMD64_CPUID = [
  'ADX',
  'AESNI',
  'AVX',
  'AVX2',
  'AVX512BW',
  'AVX512CD',
  'AVX512DQ',
  'AVX512F',
  'AVX512VL',
  'BMI1',
  'BMI2',
  'FMA3',
  'SHA',
  'VAES',
];
const ARM64_CPUID = ['AES', 'ASIMD', 'ASIMDDP', 'ASIMDHP', 'ATOMICS', 'CRC32', 'FPHP', 'PMULL', 'SHA1', 'SHA2', 'SHA3', 'SVE'];

/** A shared pool of application images: nodes of a real cluster mostly pull the same ones. */
interface Image {
  repo: string;
  digest: string;
  tag: string;
  size: number;
}

const SYSTEM_IMAGES: [string, string][] = [
  ['registry.k8s.io/kube-proxy', 'v1.35.4'],
  ['quay.io/cilium/cilium', 'v1.18.2'],
  ['registry.k8s.io/pause', '3.10'],
  ['registry.k8s.io/coredns/coredns', 'v1.12.1'],
  ['public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver', 'v1.45.0'],
  ['registry.k8s.io/nfd/node-feature-discovery', 'v0.17.3'],
  ['quay.io/prometheus/node-exporter', 'v1.9.1'],
  ['docker.io/grafana/alloy', 'v1.10.0'],
];

let imagePool: Image[] | undefined;

function images(): Image[] {
  if (imagePool !== undefined) return imagePool;
  const r = prng(0x1ee7);
  const apps = ['api', 'worker', 'gateway', 'frontend', 'indexer', 'scheduler', 'ingest', 'auth', 'ledger', 'cart', 'render', 'notifier'];
  const out: Image[] = SYSTEM_IMAGES.map(([repo, tag]) => ({ repo, tag, digest: hex(r, 64), size: int(r, 300_000, 180_000_000) }));
  for (let i = 0; i < 600; i++) {
    out.push({
      repo: `registry.example.com/${pick(r, TEAMS)}/${pick(r, apps)}-${i % 97}`,
      tag: `v${int(r, 1, 4)}.${int(r, 0, 30)}.${int(r, 0, 12)}`,
      digest: hex(r, 64),
      size: int(r, 8_000_000, 1_400_000_000),
    });
  }
  imagePool = out;
  return out;
}

export interface BenchNodeFacts {
  wasmtime: boolean;
  spin: boolean;
  ready: boolean;
  cordoned: boolean;
  taints: number;
}

const NOW = Date.parse('2026-11-20T09:00:00Z');

/** Node `i` of the fleet (deterministic). */
export function makeNode(i: number): { node: Record<string, unknown>; facts: BenchNodeFacts } {
  const r = prng(0x9e3779b9 ^ (i * 2654435761));
  const pool = poolFor(r);
  const it = pick(r, pool.instanceTypes);
  const zone = ZONES[i % ZONES.length]!;
  const ip = `10.${20 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`;
  const name = `ip-${ip.replaceAll('.', '-')}.${REGION}.compute.internal`;
  const team = pick(r, TEAMS);
  const wasmtime = r() < 0.2;
  const spin = r() < 0.1;
  const ready = r() >= 0.01;
  const cordoned = r() < 0.005;
  const spot = r() < 0.3;
  const kernel = pool.arch === 'arm64' ? '6.8.0-1031-aws' : pick(r, ['6.8.0-1031-aws', '6.8.0-1029-aws']);
  const instanceId = `i-0${hex(r, 16)}`;

  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/arch': pool.arch,
    'kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': pool.arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/instance-type': it.name,
    'node.kubernetes.io/instance-type': it.name,
    'topology.kubernetes.io/region': REGION,
    'topology.kubernetes.io/zone': zone,
    'failure-domain.beta.kubernetes.io/region': REGION,
    'failure-domain.beta.kubernetes.io/zone': zone,
    'topology.ebs.csi.aws.com/zone': zone,
    'node-role.kubernetes.io/worker': '',
    'node-pool': pool.name,
    'karpenter.sh/capacity-type': spot ? 'spot' : 'on-demand',
    'example.com/team': team,
    'example.com/cost-center': pick(r, COST_CENTERS),
    'example.com/environment': 'production',
    'feature.node.kubernetes.io/cpu-hardware_multithreading': pool.arch === 'amd64' ? 'true' : 'false',
    'feature.node.kubernetes.io/cpu-model.vendor_id': pool.arch === 'amd64' ? 'Intel' : 'ARM',
    'feature.node.kubernetes.io/cpu-model.family': pool.arch === 'amd64' ? '6' : '8',
    'feature.node.kubernetes.io/cpu-model.id': pool.arch === 'amd64' ? '106' : '3340',
    'feature.node.kubernetes.io/kernel-version.full': kernel,
    'feature.node.kubernetes.io/kernel-version.major': '6',
    'feature.node.kubernetes.io/kernel-version.minor': '8',
    'feature.node.kubernetes.io/kernel-version.revision': '0',
    'feature.node.kubernetes.io/system-os_release.ID': 'ubuntu',
    'feature.node.kubernetes.io/system-os_release.VERSION_ID': '24.04',
    'feature.node.kubernetes.io/storage-nonrotationaldisk': 'true',
    'feature.node.kubernetes.io/pci-1d0f.present': 'true',
  };
  const cpuid = pool.arch === 'amd64' ? AMD64_CPUID : ARM64_CPUID;
  // a handful of cpuid labels per node (NFD publishes a whitelisted subset)
  for (const flag of cpuid.slice(0, 6)) labels[`feature.node.kubernetes.io/cpu-cpuid.${flag}`] = 'true';
  if (pool.name === 'gpu-g5') labels['feature.node.kubernetes.io/pci-10de.present'] = 'true';
  if (wasmtime) labels['wasmtime-enabled'] = 'yes';
  if (spin) labels['spin-enabled'] = 'yes';

  const taints: { key: string; value?: string; effect: string; timeAdded?: string }[] = [];
  if (pool.name === 'gpu-g5') taints.push({ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' });
  if (r() < 0.08) taints.push({ key: 'dedicated', value: team, effect: 'NoSchedule' });
  if (spot && r() < 0.5) taints.push({ key: 'karpenter.sh/capacity-type', value: 'spot', effect: 'PreferNoSchedule' });
  if (wasmtime && r() < 0.3) taints.push({ key: 'wasm', value: 'true', effect: 'NoSchedule' });
  // what the node lifecycle controller would have added (it does not run here)
  if (!ready) taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
  if (cordoned) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });

  const created = NOW - int(r, 2, 90) * 86_400_000 - int(r, 0, 86_399) * 1000;
  const heartbeat = rfc3339(NOW - int(r, 0, 40) * 1000);
  const since = rfc3339(created + int(r, 20, 120) * 1000);
  const cond = (type: string, status: string, reason: string, message: string, transition = since): Record<string, string> => ({
    type,
    status,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: transition,
    reason,
    message,
  });

  const memKi = it.memGi * 1024 * 1024 - int(r, 400_000, 700_000);
  const storageKi = 104_845_292;
  const capacity = {
    cpu: String(it.cpu),
    'ephemeral-storage': `${storageKi}Ki`,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: `${memKi}Ki`,
    pods: '110',
    ...(pool.name === 'gpu-g5' ? { 'nvidia.com/gpu': '1' } : {}),
  };
  const allocatable = {
    ...capacity,
    cpu: `${it.cpu * 1000 - 90}m`,
    'ephemeral-storage': String(Math.floor(storageKi * 1024 * 0.9)),
    memory: `${memKi - 1_572_864}Ki`,
  };

  const all = images();
  const chosen = new Set<number>();
  for (let k = 0; k < 6; k++) chosen.add(k); // system images on every node
  while (chosen.size < 50) chosen.add(int(r, SYSTEM_IMAGES.length, all.length - 1));
  const nodeImages = [...chosen]
    .map((k) => all[k]!)
    .sort((a, b) => b.size - a.size) // kubelet reports the largest first
    .map((img) => ({ names: [`${img.repo}@sha256:${img.digest}`, `${img.repo}:${img.tag}`], sizeBytes: img.size }));

  const runtimeHandlers: { name: string; features: Record<string, boolean> }[] = [
    { name: 'runc', features: { recursiveReadOnlyMounts: true, userNamespaces: true } },
    { name: '', features: { recursiveReadOnlyMounts: true, userNamespaces: true } },
  ];
  if (wasmtime) runtimeHandlers.push({ name: 'wasmtime', features: { recursiveReadOnlyMounts: false, userNamespaces: false } });
  if (spin) runtimeHandlers.push({ name: 'spin', features: { recursiveReadOnlyMounts: false, userNamespaces: false } });

  const nfdLabels = Object.keys(labels)
    .filter((k) => k.startsWith('feature.node.kubernetes.io/'))
    .map((k) => k.slice('feature.node.kubernetes.io/'.length));

  const node: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels,
      annotations: {
        'alpha.kubernetes.io/provided-node-ip': ip,
        'csi.volume.kubernetes.io/nodeid': JSON.stringify({ 'ebs.csi.aws.com': instanceId }),
        'karpenter.k8s.aws/ec2nodeclass-hash': String(int(r, 1e15, 9e15)),
        'nfd.node.kubernetes.io/feature-labels': nfdLabels.join(','),
        'nfd.node.kubernetes.io/master.version': 'v0.17.3',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: `100.${64 + (i >> 8)}.${i & 0xff}.0/24`,
      podCIDRs: [`100.${64 + (i >> 8)}.${i & 0xff}.0/24`],
      providerID: `aws:///${zone}/${instanceId}`,
      ...(taints.length > 0 ? { taints } : {}),
      ...(cordoned ? { unschedulable: true } : {}),
    },
    status: {
      capacity,
      allocatable,
      conditions: [
        cond('NetworkUnavailable', 'False', 'CiliumIsUp', 'Cilium is running on this node'),
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : cond(
              'Ready',
              'False',
              'KubeletNotReady',
              'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
              heartbeat,
            ),
      ],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'InternalDNS', address: name },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: hex(r, 32),
        systemUUID: `ec2${hex(r, 5)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`,
        bootID: uuid(r),
        kernelVersion: kernel,
        osImage: 'Ubuntu 24.04.3 LTS',
        containerRuntimeVersion: 'containerd://2.1.4',
        kubeletVersion: 'v1.35.4',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: pool.arch,
      },
      images: nodeImages,
      runtimeHandlers,
      features: { supplementalGroupsPolicy: true },
    },
  };
  return { node, facts: { wasmtime, spin, ready, cordoned, taints: taints.length } };
}
