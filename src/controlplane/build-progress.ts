/**
 * Visible progress while hack/controlplane/build.sh runs: its own lines (each carries `+Ns`, the
 * time since the script started) are passed on whole, and while it is silent — the Kubernetes
 * `go build` prints nothing for many minutes on a cold cache — a line every `everyMs` says how
 * long it has been running and how that compares with a measured cold build.
 */

/**
 * A cold build (empty Go module and build caches) measured on 2 cores, in seconds: one `go build`
 * for the four Kubernetes binaries, on a busy machine (the README gives the circumstances). An
 * estimate that errs long is kinder than one that runs out.
 */
export const COLD_BUILD_SECONDS = 1574;
export const COLD_BUILD_CORES = 2;

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** "4m30s elapsed; a cold build took about 15 min on 2 cores: about 10 min to go" */
export function buildEstimate(elapsedMs: number): string {
  const total = COLD_BUILD_SECONDS * 1000;
  const about = `a cold build took about ${Math.round(COLD_BUILD_SECONDS / 60)} min on ${COLD_BUILD_CORES} cores`;
  const left = total - elapsedMs;
  const rest =
    left > 60_000 ? `about ${Math.round(left / 60_000)} min to go at that pace` : 'should be nearly done (longer on a busy machine)';
  return `${duration(elapsedMs)} elapsed; ${about}: ${rest}`;
}

export interface BuildProgress {
  /** Feed it build.sh's stderr, in chunks as they come. */
  write(chunk: string): void;
  /** Stops the periodic line and flushes a partial last line. */
  stop(): void;
}

export interface BuildProgressOptions {
  /** Silence after which a progress line is printed (default 30 s). */
  everyMs?: number;
  /** Prefix of the periodic lines (default "[controlplane build]"). */
  label?: string;
}

/** Passes build.sh's lines to `out` and fills its silences with elapsed time and an estimate. */
export function buildProgress(out: (line: string) => void, opts: BuildProgressOptions = {}): BuildProgress {
  const everyMs = opts.everyMs ?? 30_000;
  const label = opts.label ?? '[controlplane build]';
  const started = Date.now();
  let lastLine = started;
  let partial = '';
  const timer = setInterval(
    () => {
      if (Date.now() - lastLine < everyMs - 1_000) return;
      lastLine = Date.now();
      out(`${label} still building: ${buildEstimate(Date.now() - started)}`);
    },
    Math.min(everyMs, 5_000),
  );
  timer.unref();
  return {
    write(chunk) {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        lastLine = Date.now();
        out(line);
      }
    },
    stop() {
      clearInterval(timer);
      if (partial.trim() !== '') out(partial);
      partial = '';
    },
  };
}
