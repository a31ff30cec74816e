/**
 * Realistic Pods as a ReplicaSet controller creates them, padded to a target size with what real
 * pods carry: env vars, config/secret volumes and their mounts, probes, a sidecar, annotations
 * (Vault agent templates, checksums, Prometheus). Deterministic. bench/transport/make-bodies.ts
 * sends them through a real kube-apiserver (dry-run create) to get them as the API server hands
 * them to admission webhooks: defaulted, with managedFields.
 */

/** The annotation that makes a pod a Wasm pod for wasmgate (its default config). */
export const RUNTIME_ANNOTATION = 'wasmgate.dev/runtime';
export const RUNTIME_CLASS = 'wasm1';

const ENV_NAMES = [
  'LOG_LEVEL',
  'LOG_FORMAT',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'HTTP_PORT',
  'GRPC_PORT',
  'DATABASE_HOST',
  'DATABASE_PORT',
  'DATABASE_NAME',
  'REDIS_URL',
  'KAFKA_BROKERS',
  'FEATURE_FLAGS',
  'CACHE_TTL_SECONDS',
  'REGION',
  'TENANT_ID',
  'UPSTREAM_TIMEOUT_MS',
  'MAX_CONNECTIONS',
  'WORKER_THREADS',
  'SENTRY_DSN',
];

function env(i: number, idx: number): Record<string, unknown> {
  const base = ENV_NAMES[i % ENV_NAMES.length]!;
  const name = i < ENV_NAMES.length ? base : `${base}_${Math.floor(i / ENV_NAMES.length)}`;
  if (i % 7 === 3)
    return { name, valueFrom: { secretKeyRef: { name: `svc-${idx}-secrets`, key: name.toLowerCase().replaceAll('_', '-') } } };
  if (i % 7 === 5)
    return { name, valueFrom: { configMapKeyRef: { name: `svc-${idx}-config`, key: name.toLowerCase().replaceAll('_', '-') } } };
  if (i % 11 === 0) return { name: `POD_${name}`, valueFrom: { fieldRef: { fieldPath: i % 2 === 0 ? 'metadata.name' : 'status.podIP' } } };
  return { name, value: `value-${i}-${'x'.repeat(8 + (i % 24))}.svc.cluster.local:${8000 + i}` };
}

function probe(path: string, port: number): Record<string, unknown> {
  return { httpGet: { path, port, scheme: 'HTTP' }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 };
}

export interface PodSize {
  /** label in results: 5k, 20k, 100k */
  label: string;
  /** approximate JSON size of the defaulted pod, bytes */
  targetBytes: number;
  /** env vars on the main container */
  envVars: number;
  /** config/secret volumes (each mounted in the main container) */
  volumes: number;
  /** extra annotations (Vault agent templates, ~1 KB each) */
  templates: number;
  /** a log-shipper sidecar */
  sidecar: boolean;
}

export const POD_SIZES: PodSize[] = [
  { label: '5k', targetBytes: 5_000, envVars: 4, volumes: 0, templates: 0, sidecar: false },
  { label: '20k', targetBytes: 20_000, envVars: 45, volumes: 8, templates: 3, sidecar: true },
  { label: '100k', targetBytes: 100_000, envVars: 250, volumes: 50, templates: 30, sidecar: true },
];

/**
 * A Deployment's pod as the ReplicaSet controller POSTs it. `forValidate`: as it reaches the
 * validating webhook after wasmgate's mutation: runtimeClassName set (the API server's RuntimeClass
 * plugin then merges the class's nodeSelector and tolerations).
 */
export function makePod(size: PodSize, forValidate: boolean): Record<string, unknown> {
  const idx = 7;
  const app = `checkout-${idx}`;
  const hash = '7d9f8c6b5d';
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];
  for (let v = 0; v < size.volumes; v++) {
    const name = v % 2 === 0 ? `config-${v}` : `secret-${v}`;
    volumes.push(
      v % 2 === 0
        ? { name, configMap: { name: `${app}-${name}`, defaultMode: 420 } }
        : { name, secret: { secretName: `${app}-${name}`, defaultMode: 420 } },
    );
    mounts.push({ name, mountPath: `/etc/${app}/${name}`, readOnly: true });
  }
  volumes.push({
    name: 'kube-api-access-7x2kq',
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  });
  mounts.push({ name: 'kube-api-access-7x2kq', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
  const annotations: Record<string, string> = {
    [RUNTIME_ANNOTATION]: RUNTIME_CLASS,
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': '9090',
    'prometheus.io/path': '/metrics',
    'checksum/config': 'b5c1a3f0d1e4c2a8f97e6d5c4b3a29180f7e6d5c4b3a2918b5c1a3f0d1e4c2a8',
    'kubectl.kubernetes.io/restartedAt': '2026-11-20T09:14:07Z',
  };
  if (size.templates > 0) {
    annotations['vault.hashicorp.com/agent-inject'] = 'true';
    annotations['vault.hashicorp.com/role'] = app;
  }
  for (let t = 0; t < size.templates; t++) {
    const secret = `secret/data/${app}/credential-${t}`;
    annotations[`vault.hashicorp.com/agent-inject-secret-cred-${t}`] = secret;
    annotations[`vault.hashicorp.com/agent-inject-template-cred-${t}`] =
      `{{- with secret "${secret}" -}}\n` +
      Array.from({ length: 12 }, (_, k) => `export CRED_${t}_FIELD_${k}="{{ .Data.data.field_${k} }}"`).join('\n') +
      '\n{{- end }}';
  }
  const spec: Record<string, unknown> = {
    serviceAccountName: app,
    containers: [
      {
        name: 'app',
        image: `registry.example.com/shop/${app}@sha256:4c1d6f0f3e2b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180f7e6d5c4b3a29`,
        args: ['--config', `/etc/${app}/config-0/app.toml`, '--listen', ':8080'],
        ports: [
          { name: 'http', containerPort: 8080, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
        ],
        env: Array.from({ length: size.envVars }, (_, i) => env(i, idx)),
        resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
        readinessProbe: probe('/readyz', 8080),
        livenessProbe: probe('/healthz', 8080),
        volumeMounts: mounts,
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        },
      },
      ...(size.sidecar
        ? [
            {
              name: 'log-shipper',
              image: 'registry.example.com/platform/fluent-bit:3.2.4',
              args: ['-c', '/fluent-bit/etc/fluent-bit.conf'],
              resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '64Mi' } },
              volumeMounts: [{ name: 'kube-api-access-7x2kq', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
            },
          ]
        : []),
    ],
    volumes,
    securityContext: { seccompProfile: { type: 'RuntimeDefault' }, fsGroup: 2000 },
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { app } },
      },
    ],
    terminationGracePeriodSeconds: 45,
  };
  if (forValidate) spec['runtimeClassName'] = RUNTIME_CLASS;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${app}-${hash}-`,
      namespace: 'shop',
      labels: {
        app,
        'app.kubernetes.io/name': app,
        'app.kubernetes.io/part-of': 'shop',
        'pod-template-hash': hash,
        team: 'payments',
        version: 'v2.14.3',
      },
      annotations,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `${app}-${hash}`,
          uid: '5f0c7a9e-3b1d-4c2e-9f8a-7d6b5c4a3e21',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
}

/** The AdmissionReview kube-apiserver POSTs for a pod CREATE (admission.k8s.io/v1). */
export function admissionReview(pod: unknown, uid: string): Record<string, unknown> {
  const meta = (pod as { metadata?: { namespace?: string } }).metadata ?? {};
  return {
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name: '',
      namespace: meta.namespace ?? 'default',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: '0e6a9e4b-2a55-4d7e-8f7c-3d0b1c2a4e5f',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}
