/**
 * Downloads verified on other threads: Workers read each downloaded file and
 * hash it (sync OpenSSL through FFI, else TypeScript md5) while the main thread
 * lands the previous ones and the remote plugin copies the next. Started on
 * first use; closed (and stopped on Ctrl-C) by its owner. An answer of
 * undefined means "not settled here": the caller verifies the plain way, which
 * reports errors with the path.
 */
import { onInterrupt } from "../interrupt.ts";
import type { VerifyReply, VerifyRequest } from "./_verify_worker.ts";

export class VerifyPool {
  #workers: Worker[] = [];
  #next = 0;
  #id = 0;
  #pending = new Map<number, (ok: boolean | undefined) => void>();
  #offInterrupt: (() => void) | undefined;
  #broken = false;

  /**
   * `size` Workers (default: one per core, up to 4; on 2 cores two verify a pull of
   * 20k x 100 KiB in ~15-25% less time than one, the main thread being mostly idle).
   */
  constructor(readonly size = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1))) {}

  /** Whether the file `path` of `size` bytes hashes to `md5` (undefined: not settled here). */
  verify(path: string, size: number, md5: string): Promise<boolean | undefined> {
    if (this.#broken) return Promise.resolve(undefined);
    if (this.#workers.length === 0) this.#start();
    const id = this.#id++;
    const w = this.#workers[this.#next++ % this.#workers.length];
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      w.postMessage({ id, path, size, md5 } satisfies VerifyRequest);
    });
  }

  #start(): void {
    this.#offInterrupt = onInterrupt(() => this.close());
    for (let k = 0; k < this.size; k++) {
      const w = new Worker(new URL("./_verify_worker.ts", import.meta.url), { type: "module" });
      w.onmessage = (ev: MessageEvent<VerifyReply>) => {
        const done = this.#pending.get(ev.data.id);
        this.#pending.delete(ev.data.id);
        done?.(ev.data.ok);
      };
      w.onerror = (ev) => {
        // a Worker that cannot run here: every open question goes the plain way
        ev.preventDefault();
        this.#broken = true;
        this.#settleAll();
      };
      this.#workers.push(w);
    }
  }

  #settleAll(): void {
    for (const done of this.#pending.values()) done(undefined);
    this.#pending.clear();
  }

  /** Stop the Workers; questions still open are answered undefined. */
  close(): void {
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
    this.#offInterrupt?.();
    this.#offInterrupt = undefined;
    this.#settleAll();
  }
}
