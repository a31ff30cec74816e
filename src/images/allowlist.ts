/**
 * The SSRF guard: an admission webhook that fetched any URL a pod names would let anyone who can
 * create a pod make wasmgate send requests into its own network. So every URL — the registry of
 * an image, a token realm it announces, a redirect it sends — must be HTTPS to a host on
 * imageDetection.registries, checked BEFORE any connection (no DNS lookup either).
 *
 * Entries: `host` (port 443 only), `host:port` (exactly), `*.domain` (any subdomain, port 443).
 * `docker.io` also admits its API host registry-1.docker.io (the resolver adds it), nothing more.
 * A token realm or a blob redirect to another host is refused unless that host is listed too:
 * an allowlisted registry must not be able to point wasmgate elsewhere. Not covered: a listed
 * name whose DNS answer is an internal address (list only names you trust).
 */

export type Allowlist = (host: string) => boolean;

/** host[:port] of a URL or a reference's registry, lowercased, with :443 dropped. */
export function normaliseHost(hostport: string): string {
  const h = hostport.toLowerCase();
  return h.endsWith(':443') ? h.slice(0, -4) : h;
}

export function allowlist(entries: readonly string[]): Allowlist {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const e of entries) {
    const n = normaliseHost(e);
    if (n.startsWith('*.')) suffixes.push(n.slice(1));
    else exact.add(n);
  }
  return (hostport: string) => {
    const h = normaliseHost(hostport);
    if (exact.has(h)) return true;
    if (h.includes(':') && !h.startsWith('[')) return false; // a wildcard covers port 443 only
    return suffixes.some((s) => h.endsWith(s) && h.length > s.length);
  };
}

/** The URL's host as the allowlist sees it; only https URLs are ever allowed. */
export function urlAllowed(url: URL, allowed: Allowlist): boolean {
  return url.protocol === 'https:' && url.username === '' && url.password === '' && allowed(url.host);
}
