/**
 * Downloads verified on other threads: Workers read each downloaded file and
 * hash it (sync OpenSSL through FFI, else TypeScript md5) while the main thread
 * lands the previous ones and the remote plugin copies the next; downloads
 * that came back as bytes are hashed and landed by the Workers themselves, in
 * batches, their buffers moved rather than copied (creating a file is most of
 * a small object's cost: on the main thread alone it was the limit of a
 * 100k-object pull). Started on first use; closed (and stopped on Ctrl-C) by
 * its owner. An answer of undefined means "not settled here": the caller does
 * it the plain way, which reports errors with the path.
 */
import { onInterrupt } from "../interrupt.ts";
import { transferables } from "../plugin/rpc.ts";
import type { LandReply, LandRequest, VerifyReply, VerifyRequest } from "./_verify_worker.ts";

/**
 * What became of a land(): "landed"; "corrupt" (nothing written); the bytes
 * given back (nothing written: the caller lands them the plain way); or
 * undefined: the bytes were lost with a stopped Worker (download again).
 */
export type LandOutcome = "landed" | "corrupt" | Uint8Array | undefined;

type Answer = boolean | undefined | LandOutcome;

export class VerifyPool {
  #workers: Worker[] = [];
  #next = 0;
  #id = 0;
  #pending = new Map<number, (a: Answer) => void>();
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
      this.#pending.set(id, resolve as (a: Answer) => void);
      w.postMessage({ kind: "verify", id, path, size, md5 } satisfies VerifyRequest);
    });
  }

  /**
   * Land the download `data` as the cache object `path` (its folder exists) if
   * it hashes to `md5` (see LandOutcome). `data` is moved to the Worker when it
   * is a whole buffer: use only what comes back.
   */
  land(path: string, md5: string, data: Uint8Array): Promise<LandOutcome> {
    if (this.#broken) return Promise.resolve(data);
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
    return new Promise((resolve) => this.#pending.set(id, resolve as (a: Answer) => void));
  }

  #flush(): void {
    const b = this.#batch;
    this.#batch = undefined;
    if (!b || this.#workers.length === 0) return; // closed meanwhile: answered already
    // whole buffers are moved, not copied (a view into a shared one is copied)
    this.#workers[this.#next++ % this.#workers.length].postMessage(b, transferables(b.data, 1));
  }

  #start(): void {
    this.#offInterrupt = onInterrupt(() => this.close());
    for (let k = 0; k < this.size; k++) {
      const w = new Worker(new URL("./_verify_worker.ts", import.meta.url), { type: "module" });
      w.onmessage = (ev: MessageEvent<VerifyReply | LandReply>) => {
        const r = ev.data;
        if (r.kind === "verify") return this.#answer(r.id, r.ok);
        r.id.forEach((id, i) => this.#answer(id, r.ok[i] ? "landed" : r.back[i] ?? "corrupt"));
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

  #answer(id: number, a: Answer): void {
    const done = this.#pending.get(id);
    this.#pending.delete(id);
    done?.(a);
  }

  #settleAll(): void {
    // land()s not sent yet still have their bytes: given back
    const unsent = this.#batch;
    this.#batch = undefined;
    unsent?.id.forEach((id, i) => this.#answer(id, unsent.data[i]));
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
