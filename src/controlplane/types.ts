/**
 * The public shapes of the local control plane (see plane.ts): options, the ControlPlane handle,
 * kubectl results.
 */
import type { CertPair } from '../certs/generate.js';

export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-scheduler' | 'kube-controller-manager';

export interface ControlPlaneOptions {
  /** Run kube-scheduler (default true). */
  scheduler?: boolean;
  /** Run kube-controller-manager, without the node lifecycle controller (default false). */
  controllerManager?: boolean;
  /** Progress/diagnostic lines; default: `[controlplane] ...` on stderr. */
  log?: (line: string) => void;
  /** Directory holding the binaries; default: resolveBinDir() (WASMGATE_BIN_DIR or hack/controlplane/build.sh). */
  binDir?: string;
  /** Per-component readiness timeout (default 90 s). */
  readyTimeoutMs?: number;
  /** Extra kube-apiserver flags, appended last (so they override ours). */
  apiServerArgs?: string[];
  /** Extra kube-scheduler flags, appended last. */
  schedulerArgs?: string[];
  /** Extra kube-controller-manager flags, appended last. */
  controllerManagerArgs?: string[];
  /** Parent directory of the temp dir (default os.tmpdir()). */
  tmpRoot?: string;
  /**
   * Install SIGINT/SIGTERM handlers that stop every running control plane and then exit the
   * process with 130/143 (default true). Set false when the caller handles signals itself and
   * calls stop(). A process 'exit' hook that SIGKILLs the components is always installed.
   */
  handleSignals?: boolean;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (e.g. for `apply -f -`). */
  input?: string;
  /** Kill kubectl and reject after this long (default 60 s). */
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ComponentProcess {
  name: ComponentName;
  pid: number;
  logFile: string;
  running: boolean;
}

export interface ControlPlanePorts {
  etcd: number;
  etcdPeer: number;
  apiServer: number;
  scheduler?: number;
  controllerManager?: number;
}

export interface ControlPlane {
  /** Temp dir holding certificates, kubeconfig, etcd data and logs (removed on stop). */
  readonly dir: string;
  /** Path of the admin kubeconfig (client certificate CN=admin, O=system:masters). */
  readonly kubeconfig: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly binDir: string;
  /** PEM of the CA that signed the apiserver serving certificate and the client certificates. */
  readonly caCert: string;
  /** Admin client certificate and key (PEM) used in the kubeconfig. */
  readonly adminCert: CertPair;
  /** http://127.0.0.1:<port> */
  readonly etcdUrl: string;
  readonly ports: ControlPlanePorts;
  /** The component processes currently known (pids change after restartApiServer). */
  processes(): ComponentProcess[];
  /** Path of a component's log file. */
  logFile(name: ComponentName): string;
  /** Runs the control plane's kubectl with `--kubeconfig <admin kubeconfig>`. */
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Stops kube-apiserver and starts it again on the same port (etcd keeps the data); resolves when ready. */
  restartApiServer(): Promise<void>;
  /** Terminates every component (SIGTERM, SIGKILL after 10 s) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}
