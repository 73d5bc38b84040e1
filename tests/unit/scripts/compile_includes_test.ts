/**
 * `deno compile` embeds only what the module graph reaches; a Worker entry
 * (`new Worker(new URL("./x.ts", import.meta.url))`) is not in that graph and
 * must be passed to `--include` by scripts/compile.ts, or the compiled binary
 * fails the first time it starts that Worker. compile cannot run here (no
 * denort), so this checks the list against the source.
 */
import { assert } from "../../_rig/assert.ts";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

function sources(dir: string, out: string[] = []): string[] {
  for (const e of Deno.readDirSync(join(ROOT, dir))) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) sources(p, out);
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

Deno.test("compile: every Worker entry in lib/ and plugins/ is embedded by scripts/compile.ts", () => {
  const compile = Deno.readTextFileSync(join(ROOT, "scripts/compile.ts"));
  // join(root, "a", "b.ts") after an "--include" -> "a/b.ts"
  const included = [...compile.matchAll(/"--include",(?:\s*\/\/[^\n]*)?\s*join\(root, ([^)]*)\)/g)]
    .map((m) => [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]).join("/"));
  assert(included.includes("plugins"), `includes read: ${included}`);
  const covered = (p: string) => included.some((i) => p === i || p.startsWith(`${i}/`));
  const entries: string[] = [];
  for (const file of [...sources("lib"), ...sources("plugins")]) {
    const text = Deno.readTextFileSync(join(ROOT, file));
    for (const m of text.matchAll(/new Worker\(\s*new URL\(\s*"([^"]+)",\s*import\.meta\.url/g)) {
      entries.push(relative(ROOT, join(ROOT, dirname(file), m[1])));
    }
  }
  assert(entries.length >= 5, `Worker entries found: ${entries}`);
  const missing = entries.filter((e) => !covered(e));
  assert(missing.length === 0, `not in scripts/compile.ts --include: ${missing.join(", ")}`);
});
