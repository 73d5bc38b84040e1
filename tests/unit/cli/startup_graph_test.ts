/**
 * What `cairn --version`, `status` and `repro` load before they do anything
 * (issue 16): the static imports of cli.ts, lib/cli/main.ts and the one
 * command module command_map.ts picks. A `node:` module (other than
 * node:sqlite, which the state index needs and which loads only itself) or
 * a CommonJS npm package there loads Deno's Node-compat layer, tens of ms on
 * every start; a no-op status/repro loads no npm package at all. Read from `deno info --json`, so an eager `import ... from
 * "npm:yaml@..."` or `"node:path"` added anywhere on that path fails here.
 */
import { assert, assertEquals } from "../../_rig/assert.ts";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = new URL("../../../", import.meta.url);

interface Dep {
  specifier: string;
  code?: { specifier: string };
  isDynamic?: boolean;
  npmPackage?: string;
}
interface Mod {
  specifier: string;
  kind?: string;
  dependencies?: Dep[];
  npmPackage?: string;
}
interface Info {
  modules: Mod[];
  redirects: Record<string, string>;
  npmPackages: Record<string, { name: string; localPath?: string }>;
}

async function graph(root = "cli.ts"): Promise<Info> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", fromFileUrl(new URL("deno.json", ROOT)), root],
    cwd: fromFileUrl(ROOT),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Modules reached from `roots` through static (non-dynamic, non-type) imports. */
function staticClosure(info: Info, roots: string[]): Set<string> {
  const bySpec = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = roots.map((r) => new URL(r, ROOT).href);
  while (todo.length) {
    let spec = todo.pop()!;
    spec = info.redirects[spec] ?? spec;
    if (seen.has(spec)) continue;
    seen.add(spec);
    for (const d of bySpec.get(spec)?.dependencies ?? []) {
      if (!d.code || d.isDynamic) continue;
      if (d.npmPackage) seen.add(`npm-package:${d.npmPackage}`);
      else todo.push(d.code.specifier);
    }
  }
  return seen;
}

/** "module" or "commonjs", from the package's package.json `type`. */
function packageType(info: Info, id: string): string {
  const dir = info.npmPackages[id]?.localPath;
  assert(dir, `no local path for npm package ${id}`);
  const pkg = JSON.parse(Deno.readTextFileSync(`${dir}/package.json`));
  return pkg.type === "module" ? "module" : "commonjs";
}

const info = await graph();
const COMMANDS: Record<string, string[]> = {
  "--version": [],
  status: ["lib/cli/commands/status.ts"],
  repro: ["lib/cli/commands/repro.ts"],
};

for (const [command, extra] of Object.entries(COMMANDS)) {
  Deno.test(`start-up of 'cairn ${command}' loads no Node-compat module`, () => {
    const loaded = staticClosure(info, ["cli.ts", "lib/cli/main.ts", ...extra]);
    const cairnModules = [...loaded].filter((s) => s.startsWith(ROOT.href));
    assert(cairnModules.length > 10, `suspiciously small graph: ${cairnModules.join(" ")}`);
    const nodeModules = [...loaded].filter((s) => s.startsWith("node:") && s !== "node:sqlite");
    assertEquals(nodeModules, [], `node: modules on the start-up path of ${command}`);
    const commonJs = [...loaded]
      .filter((s) => s.startsWith("npm-package:"))
      .map((s) => s.slice("npm-package:".length))
      .filter((id) => packageType(info, id) !== "module");
    assertEquals(commonJs, [], `CommonJS packages on the start-up path of ${command}`);
  });
}

// Any npm package, even an ES one, makes Deno set up its npm resolver (~25M
// instructions, more than the rest of a no-op start): the YAML files of a
// pipeline are read by lib/py/yaml_fast.ts, the `yaml` package and smol-toml
// load only for text that reader declines or for .toml params.
for (
  const [command, verb] of Object.entries({
    status: "lib/repo/status.ts",
    repro: "lib/repo/reproduce.ts",
  })
) {
  Deno.test(`a no-op 'cairn ${command}' loads no npm package`, () => {
    const loaded = staticClosure(info, ["cli.ts", "lib/cli/main.ts", ...COMMANDS[command], verb]);
    const npm = [...loaded].filter((s) => s.startsWith("npm-package:") || s.startsWith("npm:"));
    assertEquals(npm, [], `npm packages on the start-up path of ${command}`);
    // the reader of dvc.yaml/dvc.lock/.dvc/params is there, the library is not
    assert(loaded.has(new URL("lib/py/yaml_fast.ts", ROOT).href));
    assert(!loaded.has(new URL("lib/py/yaml_lib.ts", ROOT).href));
  });
}

// The backends (bwrap, Landlock, availability probes, violation analysis)
// load only when a stage runs sandboxed: `repro` sets its per-run choices
// through lib/sandbox/backend_choice.ts and formats reports with
// violation_text.ts, both small. The verb each command imports dynamically
// counts too: a no-op run loads it.
const SANDBOX_ALLOWED = new Set(["backend_choice.ts", "violation_text.ts"]);
const VERBS: Record<string, string> = {
  status: "lib/repo/status.ts",
  repro: "lib/repo/reproduce.ts",
};
for (const [command, verb] of Object.entries(VERBS)) {
  Deno.test(`a no-op 'cairn ${command}' loads no sandbox backend module`, () => {
    const loaded = staticClosure(info, ["cli.ts", "lib/cli/main.ts", ...COMMANDS[command], verb]);
    const sandbox = [...loaded]
      .filter((s) => s.startsWith(new URL("lib/sandbox/", ROOT).href))
      .map((s) => s.slice(new URL("lib/sandbox/", ROOT).href.length))
      .filter((name) => !SANDBOX_ALLOWED.has(name));
    assertEquals(sandbox, [], `sandbox modules on the start-up path of ${command}`);
  });
}

Deno.test("the sandbox check sees a backend module (it can fail)", () => {
  const loaded = staticClosure(info, ["lib/sandbox/run_sandboxed.ts"]);
  assert(loaded.has(new URL("lib/sandbox/availability.ts", ROOT).href));
});

Deno.test("the graph check sees an eager node: import and a CommonJS package (it can fail)", async () => {
  // some module of the program imports a node: module eagerly (none on the start-up path)
  const eager = info.modules.filter((m) =>
    m.specifier.startsWith(ROOT.href) &&
    (m.dependencies ?? []).some((d) =>
      !d.isDynamic && d.code?.specifier.startsWith("node:") && d.code.specifier !== "node:sqlite"
    )
  );
  assert(eager.length > 0, "no eager node: import seen anywhere");
  assert(staticClosure(info, [eager[0].specifier]).size > 1);
  assert([...staticClosure(info, [eager[0].specifier])].some((s) => s.startsWith("node:")));
  // the yaml package is CommonJS by its package.json: loading it eagerly would be caught
  const yaml = Object.keys(info.npmPackages).find((id) => id.startsWith("yaml@"));
  assert(yaml, "yaml is in the graph (lib/py/yaml_lib.ts imports it dynamically)");
  assertEquals(packageType(info, yaml), "commonjs");
  assert(!staticClosure(info, ["lib/py/yaml_lib.ts"]).has(`npm-package:${yaml}`));
  // an eager npm import is seen (smol-toml, loaded only for .toml params)
  const toml = await graph("lib/py/toml_parse.ts");
  const tomlDeps = [...staticClosure(toml, ["lib/py/toml_parse.ts"])];
  assert(tomlDeps.some((s) => s.startsWith("npm-package:")));
});

// A no-op repro decides that every stage is unchanged and stops: checkout,
// links, the run-cache, stage recording and process spawning load with
// lib/repo/_repro_stage.ts only when a stage needs them (about 100 KB of
// modules), the scheduler's resource gate only when a stage declares
// meta.resources.
Deno.test("a no-op 'cairn repro' loads no checkout, run-cache or process module", () => {
  const loaded = staticClosure(info, [
    "cli.ts",
    "lib/cli/main.ts",
    ...COMMANDS.repro,
    "lib/repo/reproduce.ts",
  ]);
  const eager = [
    "lib/repo/_repro_stage.ts",
    "lib/cache/checkout.ts",
    "lib/cache/link.ts",
    "lib/cache/run_cache.ts",
    "lib/repo/record_stage.ts",
    "lib/proc/spawn.ts",
    "lib/pipeline/run_command.ts",
    "lib/pipeline/resources.ts",
  ].filter((f) => loaded.has(new URL(f, ROOT).href));
  assertEquals(eager, [], "modules a no-op repro does not need");
  // the check can fail: a changed stage's part reaches them
  const stagePart = staticClosure(info, ["lib/repo/_repro_stage.ts"]);
  assert(stagePart.has(new URL("lib/cache/checkout.ts", ROOT).href));
  assert(stagePart.has(new URL("lib/cache/run_cache.ts", ROOT).href));
});

// A repro that runs plain shell stages loads the stage part, the runner layer
// and the shell runner: no Node-compat there either (node:path/node:url cost
// ~15 ms of CPU on every such run), and no sandbox backend (bwrap, Landlock,
// availability probes: ~140 KB of modules) unless a stage runs sandboxed.
Deno.test("running a plain shell stage loads no Node-compat or sandbox backend module", () => {
  const loaded = staticClosure(info, [
    "lib/repo/_repro_stage.ts",
    "lib/pipeline/run_stage.ts",
    "plugins/runner_shell/mod.ts",
  ]);
  const nodeModules = [...loaded].filter((s) => s.startsWith("node:") && s !== "node:sqlite");
  assertEquals(nodeModules, [], "node: modules on a shell stage's path");
  const backends = [
    "availability.ts",
    "landlock.ts",
    "landlock_launcher.ts",
    "bwrap.ts",
    "run_sandboxed.ts",
    "strace.ts",
  ].filter((f) => loaded.has(new URL(`lib/sandbox/${f}`, ROOT).href));
  assertEquals(backends, [], "sandbox backends on a plain stage's path");
  // (it can fail: the sandboxed path reaches them)
  assert(
    staticClosure(info, ["lib/sandbox/run_sandboxed.ts"]).has(
      new URL("lib/sandbox/landlock.ts", ROOT).href,
    ),
  );
});
