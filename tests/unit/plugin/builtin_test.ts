import { assert, assertEquals } from "../../_rig/assert.ts";
import { BUILTIN_PLUGINS } from "../../../plugins/builtin.ts";
import { builtinLoader, builtinSpecs, workerEntry } from "../../../lib/plugin/builtins.ts";

Deno.test("built-in plugins: one table, registered with lib/plugin", () => {
  assertEquals(
    builtinSpecs().map((s) => s.manifest.name),
    BUILTIN_PLUGINS.map((p) => p.manifest.name),
  );
  assert(workerEntry().href.endsWith("/plugins/worker_host.ts"));
});

// Imported by a computed URL: a literal import would put ssh2's types (and the older
// @types/node they pull in) into the type check of the whole test tree.
const workerModules = new URL("../../../plugins/worker_modules.ts", import.meta.url).href;

Deno.test("built-in plugins: runners load in-process, remotes in the Worker", async () => {
  const { WORKER_MODULES } = await import(workerModules) as {
    WORKER_MODULES: Record<string, () => Promise<Record<string, unknown>>>;
  };
  for (const p of BUILTIN_PLUGINS) {
    if (p.manifest.kind === "runner") {
      const load = builtinLoader(p.module);
      assert(load, `${p.manifest.name}: no in-process loader`);
      assertEquals(typeof (await load()).create, "function");
    } else {
      assertEquals(builtinLoader(p.module), undefined);
      const load = WORKER_MODULES[p.manifest.name];
      assert(load, `${p.manifest.name}: not in plugins/worker_modules.ts`);
      assertEquals(typeof (await load()).create, "function");
    }
  }
  assertEquals(
    Object.keys(WORKER_MODULES).sort(),
    BUILTIN_PLUGINS.filter((p) => p.manifest.kind === "remote").map((p) => p.manifest.name).sort(),
  );
});

Deno.test("built-in remotes: each has its own Worker entry that imports it statically", () => {
  // With Deno's lazy dynamic imports (deno.json), a Worker that import()s a module needs
  // read access to it; the remote Workers have none on cairn's source.
  for (const p of BUILTIN_PLUGINS.filter((p) => p.manifest.kind === "remote")) {
    const entry = workerEntry(p.module);
    assert(entry.href.endsWith(`/plugins/${p.manifest.name}/worker.ts`), entry.href);
    const text = Deno.readTextFileSync(entry);
    assert(/^import \* as mod from "\.\/mod\.ts";$/m.test(text), `${entry.href}: no static import`);
  }
});
