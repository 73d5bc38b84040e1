/**
 * A progress bar on stderr when it is a TTY (files, bytes, rate, ETA); in a
 * pipe it draws nothing. Redraws are throttled so progress never costs time.
 */
const enc = new TextEncoder();

export interface ProgressState {
  doneFiles: number;
  totalFiles?: number;
  doneBytes: number;
  totalBytes?: number;
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

function formatSeconds(s: number): string {
  if (!isFinite(s) || s < 0) return "--:--";
  const m = Math.floor(s / 60);
  const sec = Math.floor(s % 60);
  return `${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
}

export class Progress {
  #label: string;
  #enabled: boolean;
  #start = performance.now();
  #last = 0;
  #drawn = false;
  state: ProgressState = { doneFiles: 0, doneBytes: 0 };

  constructor(label: string, opts: { enabled?: boolean } = {}) {
    this.#label = label;
    this.#enabled = opts.enabled ?? (Deno.stderr.isTerminal() && !Deno.env.get("CI"));
  }

  /** Callback shape used by lib/ operations: (doneFiles, totalFiles, doneBytes, totalBytes). */
  readonly update = (
    doneFiles: number,
    totalFiles?: number,
    doneBytes = 0,
    totalBytes?: number,
  ): void => {
    this.state = { doneFiles, totalFiles, doneBytes, totalBytes };
    const now = performance.now();
    if (!this.#enabled || now - this.#last < 100) return;
    this.#last = now;
    this.#draw(now);
  };

  #draw(now: number) {
    const { doneFiles, totalFiles, doneBytes, totalBytes } = this.state;
    const elapsed = (now - this.#start) / 1000;
    const rate = elapsed > 0 ? doneBytes / elapsed : 0;
    const frac = totalBytes ? doneBytes / totalBytes : totalFiles ? doneFiles / totalFiles : 0;
    const width = 24;
    const filled = Math.min(width, Math.round(frac * width));
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const eta = frac > 0 ? elapsed / frac - elapsed : NaN;
    const files = totalFiles !== undefined
      ? `${doneFiles}/${totalFiles} files`
      : `${doneFiles} files`;
    const bytes = totalBytes !== undefined
      ? `${formatBytes(doneBytes)}/${formatBytes(totalBytes)}`
      : formatBytes(doneBytes);
    const line =
      `${this.#label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${files} ${bytes} ` +
      `${formatBytes(rate)}/s ETA ${formatSeconds(eta)}`;
    Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${line}`));
    this.#drawn = true;
  }

  /** Erase the bar (call before printing results). */
  done(): void {
    if (this.#drawn) Deno.stderr.writeSync(enc.encode("\r\x1b[2K"));
    this.#drawn = false;
  }
}
