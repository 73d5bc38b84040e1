/**
 * A small typed RPC over postMessage between the host and a plugin Worker.
 * Calls carry an id; replies resolve the matching promise. ArrayBuffers found
 * in arguments or results (top level, arrays, one object level) are
 * transferred, not copied. The worker side is lib/plugin/worker_serve.ts.
 */
import type { WireError } from "./remote_api.ts";

/** Host -> worker. */
export type HostMessage =
  | { t: "init"; module: string; config: Record<string, string>; ctx: Record<string, unknown> }
  | { t: "manifest"; module: string }
  | { t: "call"; id: number; m: string; a: unknown[] };

/** Worker -> host. */
export type WorkerMessage =
  | { t: "ready"; v: unknown }
  | { t: "res"; id: number; v: unknown }
  | { t: "err"; id: number; e: WireError }
  | { t: "ev"; n: string; d: unknown };

/** Buffers inside `value` that can be moved rather than copied. */
export function transferables(value: unknown, depth = 2): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const walk = (v: unknown, d: number) => {
    if (v instanceof ArrayBuffer) out.add(v);
    else if (ArrayBuffer.isView(v)) {
      // Only whole buffers: transferring a shared backing store would detach other views.
      if (
        v.buffer instanceof ArrayBuffer && v.byteOffset === 0 &&
        v.byteLength === v.buffer.byteLength
      ) {
        out.add(v.buffer);
      }
    } else if (d > 0 && Array.isArray(v)) { for (const x of v) walk(x, d - 1); }
    else if (d > 0 && v && typeof v === "object") {
      for (const x of Object.values(v)) {
        walk(x, d - 1);
      }
    }
  };
  walk(value, depth);
  return [...out];
}

/** Thrown for an error that came back from the worker. */
export class RpcRemoteError extends Error {
  wire: WireError;
  constructor(wire: WireError) {
    super(wire.message);
    this.name = wire.name;
    this.wire = wire;
  }
}

/** The worker stopped (crash, terminate) while calls were pending. */
export class RpcClosedError extends Error {
  constructor(why: string) {
    super(why);
    this.name = "RpcClosedError";
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** Host side of the channel. */
export class RpcClient {
  #worker: Worker;
  #next = 1;
  #pending = new Map<number, Pending>();
  #closed: Error | undefined;
  #ready: Promise<unknown>;
  #onEvent: (name: string, data: unknown) => void;

  constructor(worker: Worker, onEvent: (name: string, data: unknown) => void = () => {}) {
    this.#worker = worker;
    this.#onEvent = onEvent;
    let readyResolve!: (v: unknown) => void;
    let readyReject!: (e: unknown) => void;
    this.#ready = new Promise((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    // Avoid an unhandled rejection if nobody awaits ready() before a crash.
    this.#ready.catch(() => {});
    this.#pending.set(0, { resolve: readyResolve, reject: readyReject });
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => this.#receive(e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#fail(new RpcClosedError(e.message || "plugin worker crashed"));
    };
    worker.onmessageerror = () => this.#fail(new RpcClosedError("undecodable message from plugin"));
  }

  #receive(msg: WorkerMessage): void {
    switch (msg.t) {
      case "ready": {
        const p = this.#pending.get(0);
        this.#pending.delete(0);
        p?.resolve(msg.v);
        break;
      }
      case "res": {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        p?.resolve(msg.v);
        break;
      }
      case "err": {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        p?.reject(new RpcRemoteError(msg.e));
        break;
      }
      case "ev":
        this.#onEvent(msg.n, msg.d);
        break;
    }
  }

  #fail(err: Error): void {
    if (this.#closed) return;
    this.#closed = err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  /** Send the first message (init/manifest); resolves with the worker's "ready" value. */
  start(msg: HostMessage): Promise<unknown> {
    this.#worker.postMessage(msg);
    return this.#ready;
  }

  call<R>(method: string, args: unknown[]): Promise<R> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#next++;
    return new Promise<R>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const msg: HostMessage = { t: "call", id, m: method, a: args };
      try {
        this.#worker.postMessage(msg, transferables(args));
      } catch (err) {
        this.#pending.delete(id);
        reject(err);
      }
    });
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  terminate(): void {
    this.#worker.terminate();
    this.#fail(new RpcClosedError("plugin stopped"));
  }
}
