/** Option parsers shared by the commands. */
import { InvalidArgumentError } from 'commander';

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

/** For repeatable options: each occurrence appends. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A Kubernetes label key: an optional DNS-subdomain prefix and '/', then a name of 1-63 characters. */
export function labelKey(value: string): string {
  const slash = value.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : value.slice(0, slash);
  const name = slash < 0 ? value : value.slice(slash + 1);
  const nameOk = name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
  const prefixOk =
    prefix === undefined || (prefix.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix));
  if (!nameOk || !prefixOk) {
    throw new InvalidArgumentError(
      'must be a label key: an optional DNS subdomain and "/", then a name of 1-63 letters, digits, "-", "_" or ".", ' +
        'starting and ending with a letter or digit (for example wasmgate.dev/ignore)',
    );
  }
  return value;
}

export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number of seconds (0 or more)');
  return n;
}
