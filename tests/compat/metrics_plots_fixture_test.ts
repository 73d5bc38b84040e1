/**
 * Output of `metrics show`, `params diff` and `plots show --json` on the
 * fixture repos against what DVC 3.64 printed there (set-order files
 * compared as sets, the rest byte for byte).
 */
import { join } from "node:path";
import { assertEquals } from "../_rig/assert.ts";
import { cairnOk, copyFixtureRepo, FIXTURES, removeDir } from "../_rig/rig.ts";

const expected = (repo: string, f: string) =>
  Deno.readTextFileSync(join(FIXTURES, repo, "expected", f));

/** JSON with every object's keys sorted (to compare set-ordered output). */
function sortedJson(text: string): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(JSON.parse(text)));
}

Deno.test("pipeline_repo: metrics show (plain, --json, --md) byte for byte", () => {
  const dir = copyFixtureRepo("pipeline_repo/repo");
  try {
    for (
      const [args, file] of [
        [["metrics", "show"], "metrics_show.txt"],
        [["metrics", "show", "--json"], "metrics_show.json"],
        [["metrics", "show", "--md"], "metrics_show.md"],
      ] as const
    ) {
      assertEquals(cairnOk([...args], { cwd: dir }).stdout, expected("pipeline_repo", file), file);
    }
  } finally {
    removeDir(dir);
  }
});

Deno.test("pipeline_repo: params diff --all (plain exact, --json as sets)", () => {
  const dir = copyFixtureRepo("pipeline_repo/repo");
  try {
    assertEquals(
      cairnOk(["params", "diff", "--all"], { cwd: dir }).stdout,
      expected("pipeline_repo", "params_diff_all.txt"),
    );
    const json = cairnOk(["params", "diff", "--all", "--json"], { cwd: dir }).stdout;
    assertEquals(sortedJson(json), sortedJson(expected("pipeline_repo", "params_diff_all.json")));
    // Python float text survives (0.0 vs 0), not just the value
    const want = expected("pipeline_repo", "params_diff_all.json").trim();
    for (const frag of ['"diff": 0.0', '"diff": 0}', '"old": true']) {
      assertEquals(json.includes(frag), want.includes(frag), frag);
    }
  } finally {
    removeDir(dir);
  }
});

Deno.test("pipeline_repo: plots show --json byte for byte", () => {
  const dir = copyFixtureRepo("pipeline_repo/repo");
  try {
    assertEquals(
      cairnOk(["plots", "show", "--json"], { cwd: dir }).stdout,
      expected("pipeline_repo", "plots_show.json"),
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("changed_repo: params diff HEAD vs workspace (plain and --json)", () => {
  const dir = copyFixtureRepo("pipeline_repo/repo");
  try {
    // changed_repo = pipeline_repo's commit with an edited workspace (params.yaml, data/raw.csv)
    for (const f of ["params.yaml", "data/raw.csv"]) {
      Deno.chmodSync(join(dir, f), 0o644);
      Deno.copyFileSync(join(FIXTURES, "changed_repo", "repo", f), join(dir, f));
    }
    assertEquals(
      cairnOk(["params", "diff"], { cwd: dir }).stdout,
      expected("changed_repo", "params_diff.txt"),
    );
    assertEquals(
      cairnOk(["params", "diff", "--json"], { cwd: dir }).stdout,
      expected("changed_repo", "params_diff.json"),
    );
  } finally {
    removeDir(dir);
  }
});
