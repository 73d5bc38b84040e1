/**
 * The repos real DVC 3.64 left behind (tests/fixtures/dvc3): cairn sees
 * them exactly as DVC did — up to date where DVC said so, and the same
 * change reasons, diffs and listings where the fixture was changed.
 */
import { join } from "node:path";
import { assertEquals } from "../_rig/assert.ts";
import { cairnOk, copyFixtureRepo, FIXTURES, git, readText, removeDir, run } from "../_rig/rig.ts";

const expected = (rel: string) => Deno.readTextFileSync(join(FIXTURES, rel));

/** Sort every list inside a JSON value (the fixture README: compare these as sets). */
function sortLists(v: unknown): unknown {
  if (Array.isArray(v)) {
    return v.map(sortLists).sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
  }
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, sortLists(x)]),
    );
  }
  return v;
}

/** pipeline_repo committed, then the files of `variant` copied over it (as the generator did). */
function changedRepo(variant: "changed_repo/repo" | "changed_repo/variant_b/repo"): string {
  const dir = copyFixtureRepo("pipeline_repo/repo");
  const src = join(FIXTURES, variant);
  // overlay: remove what the variant removed, copy what it has
  for (const rel of ["model.json"]) {
    try {
      Deno.statSync(join(src, rel));
    } catch {
      run("rm", ["-f", join(dir, rel)], { cwd: dir });
    }
  }
  for (
    const rel of ["params.yaml", "data/raw.csv", "dvc.yaml", "eval/metrics.json", "extra.unused"]
  ) {
    try {
      Deno.copyFileSync(join(src, rel), join(dir, rel));
    } catch { /* not in this variant */ }
  }
  run("chmod", ["-R", "u+w", dir], { cwd: dir });
  return dir;
}

Deno.test("add_repo: up to date, data status and ls as DVC printed them", () => {
  const dir = copyFixtureRepo("add_repo/repo");
  try {
    assertEquals(
      cairnOk(["status"], { cwd: dir }).stdout,
      expected("add_repo/expected/status.txt"),
    );
    assertEquals(
      cairnOk(["status", "--json"], { cwd: dir }).stdout,
      expected("add_repo/expected/status.json"),
    );
    const ds =
      cairnOk(["data", "status", "--granular", "--unchanged", "--json"], { cwd: dir }).stdout;
    assertEquals(
      sortLists(JSON.parse(ds)),
      sortLists(JSON.parse(expected("add_repo/expected/data_status.json"))),
    );
    const ls = cairnOk(["ls", ".", "--recursive", "--dvc-only", "--json"], { cwd: dir }).stdout;
    assertEquals(ls, expected("add_repo/expected/ls_recursive.json"));
  } finally {
    removeDir(dir);
  }
});

Deno.test("pipeline_repo: up to date for cairn", () => {
  const dir = copyFixtureRepo("pipeline_repo/repo");
  try {
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(), "{}");
    assertEquals(cairnOk(["status"], { cwd: dir }).stdout, "Data and pipelines are up to date.\n");
    const ds = JSON.parse(cairnOk(["data", "status", "--json"], { cwd: dir }).stdout);
    assertEquals(ds, {}, "nothing uncommitted or missing");
  } finally {
    removeDir(dir);
  }
});

Deno.test("lock_formats: only the always-changed stage is reported, as by DVC", () => {
  const dir = copyFixtureRepo("lock_formats/repo");
  try {
    const e = "lock_formats/expected";
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout, expected(`${e}/status.json`));
    assertEquals(cairnOk(["status"], { cwd: dir }).stdout, expected(`${e}/status.txt`));
  } finally {
    removeDir(dir);
  }
});

Deno.test("changed_repo: same change reasons, diff and data status as DVC", () => {
  const dir = changedRepo("changed_repo/repo");
  try {
    const e = "changed_repo/expected";
    assertEquals(cairnOk(["status"], { cwd: dir }).stdout, expected(`${e}/status.txt`));
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout, expected(`${e}/status.json`));
    assertEquals(
      cairnOk(["status", "train", "--json"], { cwd: dir }).stdout,
      expected(`${e}/status_train.json`),
    );
    assertEquals(cairnOk(["diff", "--json"], { cwd: dir }).stdout, expected(`${e}/diff.json`));
    const ds = cairnOk(["data", "status", "--granular", "--json"], { cwd: dir }).stdout;
    assertEquals(
      sortLists(JSON.parse(ds)),
      sortLists(JSON.parse(expected(`${e}/data_status.json`))),
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("changed_repo variant_b: deleted out and param, no-cache metric, changed commands", () => {
  const dir = changedRepo("changed_repo/variant_b/repo");
  try {
    const e = "changed_repo/variant_b/expected";
    assertEquals(cairnOk(["status"], { cwd: dir }).stdout, expected(`${e}/status.txt`));
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout, expected(`${e}/status.json`));
  } finally {
    removeDir(dir);
  }
});

Deno.test("a repo cairn wrote is one DVC reads: same files as DVC's for the same commands", () => {
  // The add_repo fixture was made by `dvc init; dvc add data.csv; dvc add images/`.
  const dir = copyFixtureRepo("add_repo/repo", { git: false });
  try {
    for (const f of ["data.csv.dvc", "images.dvc", ".gitignore"]) Deno.removeSync(join(dir, f));
    Deno.removeSync(join(dir, ".dvc"), { recursive: true });
    Deno.removeSync(join(dir, ".dvcignore"));
    git(["init", "-q", "-b", "main"], dir);
    cairnOk(["init"], { cwd: dir });
    cairnOk(["add", "data.csv"], { cwd: dir });
    cairnOk(["add", "images/"], { cwd: dir });
    for (const f of ["data.csv.dvc", "images.dvc", ".dvcignore", ".dvc/config"]) {
      assertEquals(readText(dir, f), expected(`add_repo/repo/${f}`), f);
    }
    assertEquals(readText(dir, ".gitignore"), expected("add_repo/repo/_gitignore"));
    assertEquals(readText(dir, ".dvc/.gitignore"), expected("add_repo/repo/.dvc/_gitignore"));
  } finally {
    removeDir(dir);
  }
});
