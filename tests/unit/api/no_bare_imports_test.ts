/**
 * lib/, plugins/, mod.ts and cli.ts name npm packages in full (`npm:yaml@^2.9.1`): a bare
 * specifier resolves only through cairn's own deno.json, so the library would fail for
 * every user importing mod.ts by URL (tests/e2e/library_url_test.ts runs that for real).
 */
import { join, relative } from "node:path";
import { assertEquals } from "../../_rig/assert.ts";
import { ROOT } from "../../_rig/rig.ts";

/** Module specifiers of import/export statements and literal dynamic imports on a line. */
const SPECS = [
  /^\s*(?:import|export)\b[^"'`]*?\bfrom\s*["']([^"']+)["']/g,
  /^\s*}\s*from\s*["']([^"']+)["']/g,
  /^\s*import\s*["']([^"']+)["']/g,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
];
const ALLOWED = /^(\.{1,2}\/|\/|npm:|node:|jsr:|https?:|file:|data:)/;

function* sources(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* sources(p);
    else if (/\.(ts|js|mjs)$/.test(e.name)) yield p;
  }
}

Deno.test("no bare import specifiers in the library's modules", () => {
  const bad: string[] = [];
  const files = [
    ...sources(join(ROOT, "lib")),
    ...sources(join(ROOT, "plugins")),
    join(ROOT, "mod.ts"),
    join(ROOT, "cli.ts"),
  ];
  for (const f of files) {
    Deno.readTextFileSync(f).split("\n").forEach((line, i) => {
      const t = line.trimStart();
      if (t.startsWith("*") || t.startsWith("//") || t.startsWith("/*")) return; // docs, examples
      for (const re of SPECS) {
        for (const m of line.matchAll(re)) {
          if (!ALLOWED.test(m[1])) bad.push(`${relative(ROOT, f)}:${i + 1}: ${m[1]}`);
        }
      }
    });
  }
  assertEquals(bad, []);
});
