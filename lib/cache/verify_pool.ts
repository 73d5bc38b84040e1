/**
 * Downloads verified on other threads: Workers read each downloaded file and
 * hash it (sync OpenSSL through FFI, else TypeScript md5) while the main thread
 * lands the previous ones and the remote plugin copies the next; small
 * downloads that came back as bytes are hashed and landed by the Workers
 * themselves, in batches (creating a file is most of their cost: on the main
 * thread alone it was the limit of a 100k-object pull). Started on first use;
 * closed (and stopped on Ctrl-C) by its owner. An answer of undefined means
 * "not settled here": the caller does it the plain way, which reports errors
 * with the path.
 */
import { onInterrupt } from "../interrupt.ts";
import type { LandReply, LandRequest, VerifyReply, VerifyRequest } from "./_verify_worker.ts";

export class VerifyPool {
  #workers: Worker[] = [];
  #next = 0;
  #id = 0;
  #pending = new Map<number, (ok: boolean | undefined) => void>();
  #offInterrupt: (() => void) | undefined;
  #broken = false;
  /** land() calls gathered until the current task ends, then sent as one message. */
  #batch: LandRequest | undefined;

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
      w.postMessage({ kind: "verify", id, path, size, md5 } satisfies VerifyRequest);
    });
  }

  /**
   * Land the download `data` as the cache object `path` (its folder exists) if it
   * hashes to `md5`: true landed, false corrupt (nothing written), undefined not
   * settled here (nothing written; the caller lands it the plain way).
   */
  land(path: string, md5: string, data: Uint8Array): Promise<boolean | undefined> {
    if (this.#broken) return Promise.resolve(undefined);
    if (this.#workers.length === 0) this.#start();
    const id = this.#id++;
    if (!this.#batch) {
      this.#batch = { kind: "land", id: [], path: [], md5: [], data: [] };
      // a plugin's reply lands its whole batch synchronously: one message for all of it
      queueMicrotask(() => this.#flush());
    }
    const b = this.#batch;
    b.id.push(id);
    b.path.push(path);
    b.md5.push(md5);
    b.data.push(data);
    return new Promise((resolve) => this.#pending.set(id, resolve));
  }

  #flush(): void {
    const b = this.#batch;
    this.#batch = undefined;
    if (!b || this.#workers.length === 0) return; // closed meanwhile: answered already
    this.#workers[this.#next++ % this.#workers.length].postMessage(b);
  }

  #start(): void {
    this.#offInterrupt = onInterrupt(() => this.close());
    for (let k = 0; k < this.size; k++) {
      const w = new Worker(new URL("./_verify_worker.ts", import.meta.url), { type: "module" });
      w.onmessage = (ev: MessageEvent<VerifyReply | LandReply>) => {
        const r = ev.data;
        const ids = typeof r.id === "number" ? [r.id] : r.id;
        const oks = typeof r.id === "number" ? [r.ok as boolean | undefined] : (r as LandReply).ok;
        ids.forEach((id, i) => {
          const done = this.#pending.get(id);
          this.#pending.delete(id);
          done?.(oks[i]);
        });
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
    this.#batch = undefined;
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
