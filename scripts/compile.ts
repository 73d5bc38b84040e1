/**
 * `deno task compile`: build dist/cairn with the same permission set the
 * tests use (-P=cairn) and the built-in plugins embedded (--include), since
 * a compiled binary cannot load plugin files that were not embedded; the
 * vega packages are included because plots pages inline their builds.
 * Needs the `denort` runtime: downloaded by deno, or taken from DENORT_BIN.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = Deno.args.includes("--target")
  ? Deno.args[Deno.args.indexOf("--target") + 1]
  : undefined;

const args = [
  "compile",
  "-P=cairn",
  "--config",
  join(root, "deno.json"),
  "--include",
  join(root, "plugins"),
  // Worker entry points are not found by the module graph: embed them explicitly.
  "--include",
  join(root, "plugins", "worker_host.ts"),
  "--include",
  join(root, "lib", "hash", "_hash_worker.ts"),
  "--include",
  join(root, "lib", "cache", "_link_worker.ts"),
  "--include", // downloads verified off the main thread (lib/cache/verify_pool.ts)
  join(root, "lib", "cache", "_verify_worker.ts"),
  "--include", // YAML the fast reader declines, TOML params: parsed on a Worker thread
  join(root, "lib", "py", "_yaml_worker.ts"),
  "--include",
  join(root, "lib", "fs", "_walk_worker.ts"),
  // the Landlock launcher starts itself as a Worker (`cairn __landlock-launch`)
  "--include",
  join(root, "lib", "sandbox", "landlock_launcher.ts"),
  "--include", // the Landlock probe runs on a Worker thread
  join(root, "lib", "sandbox", "_landlock_probe_worker.ts"),
  // plots pages inline these packages' browser builds (read as files at run time)
  "--include",
  "npm:vega",
  "--include",
  "npm:vega-lite",
  "--include",
  "npm:vega-embed",
  "--output",
  join(root, "dist", "cairn"),
  ...(target ? ["--target", target] : []),
  join(root, "cli.ts"),
];
console.error(`deno ${args.join(" ")}`);
const { code } = await new Deno.Command(Deno.execPath(), {
  args,
  stdout: "inherit",
  stderr: "inherit",
})
  .output();
if (code !== 0) {
  console.error(
    "compile failed. Without internet access deno cannot download its runtime (denort): " +
      "point DENORT_BIN at a denort binary of the same version and run again.",
  );
}
Deno.exit(code);
