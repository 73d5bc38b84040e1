/**
 * The inside of every plugin Worker (its entry, plugins/worker_host.ts, calls
 * `servePlugin`). It runs with exactly the permissions the loader gave the
 * Worker; it imports the plugin module named by the first message and serves
 * RPC calls on the object the module's `create()` returns.
 * A `manifest` first message only imports the module and returns its
 * `manifest` export (the loader does this with no permissions at all, so a
 * third-party manifest.ts cannot do anything while being read).
 */
import type { HostMessage, WorkerMessage } from "./rpc.ts";
import { transferables } from "./rpc.ts";
import { toWireError } from "./remote_api.ts";
import { type FsGuardRoots, installFsGuard } from "./fs_guard.ts";

// deno-lint-ignore no-explicit-any
type Impl = Record<string, (...a: any[]) => unknown>;

const scope = self as unknown as {
  postMessage(msg: WorkerMessage, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<HostMessage>) => void) | null;
  close(): void;
};

let impl: Impl | undefined;

/** Imports a plugin module by URL (built-ins through their literal import). */
export type ModuleLoader = (url: string) => Promise<Record<string, unknown>>;

let load: ModuleLoader = (url) => import(url);

function post(msg: WorkerMessage, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

async function handle(msg: HostMessage): Promise<void> {
  switch (msg.t) {
    case "manifest": {
      try {
        const mod = await load(msg.module);
        post({ t: "ready", v: { ok: true, manifest: structuredClone(mod.manifest ?? null) } });
      } catch (err) {
        post({ t: "ready", v: { ok: false, error: toWireError(err) } });
      }
      return;
    }
    case "init": {
      try {
        // Project plugins: no path through a symlink leading out of the grants.
        const guard = msg.ctx.fsGuard as FsGuardRoots | undefined;
        if (guard) installFsGuard(guard);
        const mod = await load(msg.module);
        if (typeof mod.create !== "function") {
          throw new Error(`plugin module ${msg.module} has no create() export`);
        }
        const ctx = {
          ...msg.ctx,
          progress(key: string, bytes: number) {
            post({ t: "ev", n: "progress", d: { key, bytes } });
          },
        };
        const create = mod.create as (c: unknown, x: unknown) => Promise<Impl> | Impl;
        impl = await create(msg.config, ctx);
        const info = typeof impl.info === "function" ? await impl.info() : null;
        post({ t: "ready", v: { ok: true, info } });
      } catch (err) {
        post({ t: "ready", v: { ok: false, error: toWireError(err) } });
      }
      return;
    }
    case "call": {
      try {
        if (!impl) throw new Error("plugin not initialised");
        const fn = impl[msg.m];
        if (typeof fn !== "function") {
          throw Object.assign(new Error(`plugin does not support '${msg.m}'`), {
            code: "EUNSUPPORTED",
          });
        }
        const v = await fn.apply(impl, msg.a);
        // depth 3: get() results may carry `data` (array -> item -> bytes)
        post({ t: "res", id: msg.id, v }, transferables(v, 3));
      } catch (err) {
        post({ t: "err", id: msg.id, e: toWireError(err) });
      }
      return;
    }
  }
}

/** Serve the plugin this Worker is started for, importing modules with `loader`. */
export function servePlugin(loader: ModuleLoader): void {
  load = loader;
  scope.onmessage = (e) => {
    void handle(e.data);
  };
}
