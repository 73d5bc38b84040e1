/**
 * Entry of every plugin Worker. It runs with exactly the permissions the
 * loader gave the Worker; it imports the plugin module named by the first
 * message and serves RPC calls on the object the module's `create()` returns.
 * A `manifest` first message only imports the module and returns its
 * `manifest` export (the loader does this with no permissions at all, so a
 * third-party manifest.ts cannot do anything while being read).
 */
import type { HostMessage, WorkerMessage } from "./rpc.ts";
import { transferables } from "./rpc.ts";
import { toWireError } from "./remote_api.ts";

// deno-lint-ignore no-explicit-any
type Impl = Record<string, (...a: any[]) => unknown>;

const scope = self as unknown as {
  postMessage(msg: WorkerMessage, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<HostMessage>) => void) | null;
  close(): void;
};

let impl: Impl | undefined;

/**
 * Built-in plugins by module URL, imported with literal specifiers: those are
 * part of the module graph (so `deno compile` embeds them, and loading them
 * needs no read permission). Other plugins are imported by URL, which needs
 * read access to their folder (the loader grants it).
 */
const BUILTIN: Record<string, () => Promise<Record<string, unknown>>> = {
  [new URL("../../plugins/remote_local/mod.ts", import.meta.url).href]: () =>
    import("../../plugins/remote_local/mod.ts"),
  [new URL("../../plugins/remote_s3/mod.ts", import.meta.url).href]: () =>
    import("../../plugins/remote_s3/mod.ts"),
  [new URL("../../plugins/remote_ssh/mod.ts", import.meta.url).href]: () =>
    import("../../plugins/remote_ssh/mod.ts"),
  [new URL("../../plugins/remote_http/mod.ts", import.meta.url).href]: () =>
    import("../../plugins/remote_http/mod.ts"),
};

function load(url: string): Promise<Record<string, unknown>> {
  const builtin = BUILTIN[url];
  return builtin ? builtin() : import(url);
}

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
        post({ t: "res", id: msg.id, v }, transferables(v));
      } catch (err) {
        post({ t: "err", id: msg.id, e: toWireError(err) });
      }
      return;
    }
  }
}

scope.onmessage = (e) => {
  void handle(e.data);
};
