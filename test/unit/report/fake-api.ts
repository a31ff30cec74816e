/**
 * An in-memory stand-in for the API server's REST semantics that the report writer, the Lease
 * elector and the event recorder rely on: create (409 AlreadyExists, 404 for a missing namespace),
 * update guarded by resourceVersion (409 Conflict), delete with preconditions, list with an
 * equality label selector, discovery. Unit tests only: the e2e tests use a real kube-apiserver.
 */
import type { ApiResponse, KubeClient } from '../../../src/report/http.js';

type Obj = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
};

const status = (code: number, reason: string, message: string): ApiResponse => ({
  status: code,
  body: { kind: 'Status', code, reason, message },
});

export class FakeApi implements KubeClient {
  /** path of the collection (no namespace for cluster-scoped) + '/' + name → object */
  readonly objects = new Map<string, Obj>();
  readonly namespaces = new Set(['default']);
  readonly calls: string[] = [];
  groupVersions = ['wgpolicyk8s.io/v1alpha2', 'openreports.io/v1alpha1', 'coordination.k8s.io/v1', 'events.k8s.io/v1'];
  /** make the next requests fail with this status (e.g. 500), counted down */
  failNext: { status: number; times: number } | undefined;
  private rv = 100;

  private split(path: string): { collection: string; ns?: string; name?: string; plural: string; query: URLSearchParams } {
    const [p, q] = path.split('?', 2) as [string, string | undefined];
    const parts = p.split('/').filter(Boolean);
    const nsAt = parts.indexOf('namespaces');
    const head = parts[0] === 'api' ? parts.slice(0, 2) : parts.slice(0, 3);
    let ns: string | undefined;
    let rest = parts.slice(head.length);
    if (nsAt === head.length) {
      ns = decodeURIComponent(parts[nsAt + 1]!);
      rest = parts.slice(nsAt + 2);
    }
    const plural = rest[0]!;
    return {
      collection: `/${head.join('/')}/${plural}`,
      ...(ns === undefined ? {} : { ns }),
      ...(rest[1] === undefined ? {} : { name: decodeURIComponent(rest[1]) }),
      plural,
      query: new URLSearchParams(q ?? ''),
    };
  }

  private key(collection: string, ns: string | undefined, name: string): string {
    return `${collection}|${ns ?? ''}|${name}`;
  }

  put(collection: string, obj: Obj): Obj {
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    stored.metadata['uid'] ??= `uid-${this.rv}`;
    this.objects.set(this.key(collection, stored.metadata.namespace, stored.metadata.name), stored);
    return stored;
  }

  get(collection: string, ns: string | undefined, name: string): Obj | undefined {
    return this.objects.get(this.key(collection, ns, name));
  }

  list(collection: string): Obj[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${collection}|`)).map(([, v]) => v);
  }

  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', path: string, body?: unknown): Promise<ApiResponse> {
    this.calls.push(`${method} ${path.split('?')[0]}`);
    if (this.failNext !== undefined && this.failNext.times > 0) {
      this.failNext.times--;
      return status(this.failNext.status, 'InternalError', 'injected failure');
    }
    if (path === '/apis')
      return {
        status: 200,
        body: {
          kind: 'APIGroupList',
          groups: this.groupVersions.map((gv) => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: gv.split('/')[1] }] })),
        },
      };
    const { collection, ns, name, query } = this.split(path);
    const k = name === undefined ? '' : this.key(collection, ns, name);
    switch (method) {
      case 'GET': {
        if (name !== undefined) {
          const o = this.objects.get(k);
          return o === undefined ? status(404, 'NotFound', `${name} not found`) : { status: 200, body: structuredClone(o) };
        }
        const [lk, lv] = (query.get('labelSelector') ?? '').split('=');
        const items = this.list(collection).filter(
          (o) => (ns === undefined || o.metadata.namespace === ns) && (lk === undefined || lk === '' || o.metadata.labels?.[lk] === lv),
        );
        return { status: 200, body: { kind: 'List', metadata: { resourceVersion: String(this.rv) }, items: structuredClone(items) } };
      }
      case 'POST': {
        const o = structuredClone(body) as Obj;
        if (ns !== undefined && !this.namespaces.has(ns)) return status(404, 'NotFound', `namespaces "${ns}" not found`);
        if (ns !== undefined) o.metadata.namespace = ns;
        const ck = this.key(collection, ns, o.metadata.name);
        if (this.objects.has(ck)) return status(409, 'AlreadyExists', `"${o.metadata.name}" already exists`);
        return { status: 201, body: this.put(collection, o) };
      }
      case 'PUT': {
        const o = structuredClone(body) as Obj;
        const cur = this.objects.get(k);
        if (cur === undefined) return status(404, 'NotFound', `${name} not found`);
        if (o.metadata.resourceVersion !== cur.metadata.resourceVersion)
          return status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
        o.metadata['uid'] = cur.metadata['uid'];
        return { status: 200, body: this.put(collection, o) };
      }
      case 'DELETE': {
        const cur = this.objects.get(k);
        if (cur === undefined) return status(404, 'NotFound', `${name} not found`);
        const pre = (body as { preconditions?: { resourceVersion?: string } } | undefined)?.preconditions?.resourceVersion;
        if (pre !== undefined && pre !== cur.metadata.resourceVersion) return status(409, 'Conflict', 'precondition failed');
        this.objects.delete(k);
        return { status: 200, body: { kind: 'Status', status: 'Success' } };
      }
      default:
        return status(405, 'MethodNotAllowed', method);
    }
  }
}
