/**
 * The library's documentation holds: `deno doc --lint mod.ts` is clean (every
 * public export documented, no private types leaking) and the examples in the
 * JSDoc of mod.ts and the modules it exports from run (`deno test --doc`).
 */
import { assertEquals } from "../../_rig/assert.ts";
import { removeDir, ROOT, run } from "../../_rig/rig.ts";

/** The files whose JSDoc examples are the public API's (mod.ts re-exports them). */
export const DOC_FILES = [
  "mod.ts",
  "lib/api/",
  "lib/live/live.ts",
  "lib/notebook/run.ts",
  "lib/notebook/migrate.ts",
  "lib/errors.ts",
];

Deno.test("deno doc --lint mod.ts is clean", () => {
  const r = run(Deno.execPath(), ["doc", "--lint", "mod.ts"], {
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  });
  assertEquals(r.code, 0, r.stdout + r.stderr);
});

Deno.test("deno test --doc: the API examples type-check and run", () => {
  // the examples make temp repos: under a TMPDIR of ours, removed afterwards
  const tmp = Deno.makeTempDirSync({ prefix: "cairn-doctest-" });
  try {
    const r = run(
      Deno.execPath(),
      ["test", "--doc", "-A", "--unstable-worker-options", ...DOC_FILES],
      { cwd: ROOT, env: { NO_COLOR: "1", TMPDIR: tmp } },
    );
    assertEquals(r.code, 0, r.stdout + r.stderr);
  } finally {
    removeDir(tmp);
  }
});
