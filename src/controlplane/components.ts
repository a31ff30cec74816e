/**
 * One function per component (envtest's one file per component, kept small): the flags each is
 * started with, and the probe that says it is ready. All paths are inside the plane's temp dir.
 */
import { join } from 'node:path';
import { httpCall } from './net.js';
import type { ProbeResult } from './process.js';
import type { ControlPlanePorts } from './types.js';

const SERVICE_CIDR = '10.0.0.0/24';
/** The controller that would mark our kubelet-less Nodes unreachable; excluded from kube-controller-manager. */
export const NODE_LIFECYCLE_CONTROLLER = 'node-lifecycle-controller';

export interface PlaneLayout {
  dir: string;
  ports: ControlPlanePorts;
  etcdUrl: string;
}

export function etcdArgs({ dir, ports, etcdUrl }: PlaneLayout): string[] {
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=wasmgate',
    `--data-dir=${join(dir, 'etcd-data')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=wasmgate=${peer}`,
    '--initial-cluster-state=new',
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export async function etcdHealthy(etcdUrl: string): Promise<ProbeResult> {
  const r = await get(`${etcdUrl}/health`);
  return { ok: r.status === 200 && /"health"\s*:\s*"true"/.test(r.text), detail: `${r.status} ${r.text}` };
}

export function apiServerArgs({ dir, ports, etcdUrl }: PlaneLayout, extra: string[]): string[] {
  const pki = join(dir, 'pki');
  return [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiServer}`,
    `--cert-dir=${pki}`,
    `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
    `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
    `--client-ca-file=${join(pki, 'ca.crt')}`,
    '--authorization-mode=Node,RBAC',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${join(pki, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
    // No token controller necessarily running: don't require/mount ServiceAccount tokens.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    // The lease reconciler would publish 127.0.0.1 as the `kubernetes` Service endpoint, which
    // validation rejects (loopback) — an error every 10 s. The Service itself is still created.
    '--endpoint-reconciler-type=none',
    // Without it, SIGTERM waits for open watches (the scheduler's) until SIGKILL: restarts took
    // 10 s+. With it, watches are ended and the apiserver exits within ~1 s.
    '--shutdown-watch-termination-grace-period=2s',
    '--profiling=false',
    ...extra,
  ];
}

export async function apiServerReady(server: string, ca: string, client: { cert: string; key: string }): Promise<ProbeResult> {
  const r = await get(`${server}/readyz`, { ca, cert: client.cert, key: client.key });
  return { ok: r.status === 200, detail: `${r.status} ${r.text}` };
}

export function schedulerArgs({ dir, ports }: PlaneLayout, extra: string[]): string[] {
  return [
    // No --authentication/authorization-kubeconfig: delegated authn would look up a requestheader
    // CA we don't configure (error spam); /healthz is always allowed anyway.
    `--kubeconfig=${join(dir, 'kube-scheduler.kubeconfig')}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.scheduler ?? 0}`,
    ...extra,
  ];
}

export function controllerManagerArgs({ dir, ports }: PlaneLayout, extra: string[]): string[] {
  const pki = join(dir, 'pki');
  return [
    // No --authentication/authorization-kubeconfig: delegated authn would look up a requestheader
    // CA we don't configure (error spam); /healthz is always allowed anyway.
    `--kubeconfig=${join(dir, 'kube-controller-manager.kubeconfig')}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.controllerManager ?? 0}`,
    `--cert-dir=${join(dir, 'kube-controller-manager-certs')}`,
    `--service-account-private-key-file=${join(pki, 'sa.key')}`,
    `--root-ca-file=${join(pki, 'ca.crt')}`,
    '--use-service-account-credentials=false',
    `--controllers=*,-${NODE_LIFECYCLE_CONTROLLER}`,
    ...extra,
  ];
}

/** kube-scheduler's and kube-controller-manager's /healthz (self-signed serving certificates). */
export async function healthz(port: number): Promise<ProbeResult> {
  const r = await get(`https://127.0.0.1:${port}/healthz`, { insecure: true });
  return { ok: r.status === 200, detail: `${r.status} ${r.text}` };
}

/** A probe GET: short timeout, body kept short for the error message. */
function get(url: string, opts: { ca?: string; cert?: string; key?: string; insecure?: boolean } = {}) {
  return httpCall(url, { ...opts, timeoutMs: 2_000, maxBodyChars: 8192 });
}
