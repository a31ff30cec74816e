/**
 * Audit progress on stderr, for a person watching a large cluster being listed: objects listed per
 * kind and findings so far, on one line rewritten in place at most every `intervalMs`. Silent when
 * the stream is not a TTY (CI logs, pipes), so scripted output never changes.
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

export interface Progress {
  listed(kind: string, count: number): void;
  findings(count: number): void;
  /** clear the line (call before printing the result) */
  done(): void;
}

const SILENT: Progress = { listed() {}, findings() {}, done() {} };

export function createProgress(stream: ProgressStream, opts: { intervalMs?: number; clock?: () => number } = {}): Progress {
  if (stream.isTTY !== true) return SILENT;
  const interval = opts.intervalMs ?? 100;
  const clock = opts.clock ?? Date.now;
  const counts = new Map<string, number>();
  let found = 0;
  let last = -Infinity;
  let shown = false;
  const line = (): string => {
    const parts = [...counts].map(([k, n]) => `${k} ${n}`);
    const text = `auditing: ${parts.join(', ') || 'listing'}; ${found} finding${found === 1 ? '' : 's'}`;
    // a pseudo-terminal without a size (script(1), some CI runners) reports 0 columns: take 80
    const width = (stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80) - 1;
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  };
  const draw = (force = false): void => {
    const now = clock();
    if (!force && now - last < interval) return;
    last = now;
    stream.write(`\r\x1b[2K${line()}`);
    shown = true;
  };
  return {
    listed(kind, count) {
      counts.set(kind, (counts.get(kind) ?? 0) + count);
      draw();
    },
    findings(count) {
      found = count;
      draw();
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
