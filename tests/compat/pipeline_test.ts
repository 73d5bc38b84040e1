/**
 * compat: the DVC-made fixture pipelines are up to date for cairn, and a
 * reproduction from scratch (outputs, lock and cache removed) gives a
 * byte-identical dvc.lock, cache tree and run-cache.
 */
import { assertEquals } from "../_rig/assert.ts";
import { join } from "node:path";
import { cairn, cairnOk, copyFixtureRepo, FIXTURES, removeDir } from "../_rig/rig.ts";
import { loadPipelineFile } from "../../lib/dvcfile/pipeline_file.ts";

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(join(d, e.name), r);
      else out.push(`${r} ${Deno.readTextFileSync(join(d, e.name)).length}`);
    }
  };
  walk(dir, "");
  return out.sort();
}

const expectedStatus: Record<string, string> = {
  pipeline_repo: "{}",
  lock_formats: '{"always": ["always changed"]}',
};

for (const fx of ["pipeline_repo", "lock_formats"]) {
  Deno.test(`compat ${fx}: up to date, status text as DVC's`, () => {
    const dir = copyFixtureRepo(`${fx}/repo`);
    try {
      assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(), expectedStatus[fx]);
      const text = Deno.readTextFileSync(join(FIXTURES, fx, "expected", "status.txt"));
      assertEquals(cairnOk(["status"], { cwd: dir }).stdout, text);
    } finally {
      removeDir(dir);
    }
  });

  Deno.test(`compat ${fx}: repro from scratch gives DVC's dvc.lock, cache and run-cache`, () => {
    const dir = copyFixtureRepo(`${fx}/repo`);
    const fixtureRepo = join(FIXTURES, fx, "repo");
    try {
      const pf = loadPipelineFile(dir, "dvc.yaml", { lock: false });
      for (const s of pf.stages) {
        for (const o of s.outs) {
          Deno.removeSync(join(dir, s.wdir, o.path), { recursive: true });
        }
      }
      Deno.removeSync(join(dir, "dvc.lock"));
      Deno.removeSync(join(dir, ".dvc", "cache"), { recursive: true });
      cairnOk(["repro"], { cwd: dir });
      assertEquals(
        Deno.readTextFileSync(join(dir, "dvc.lock")),
        Deno.readTextFileSync(join(fixtureRepo, "dvc.lock")),
      );
      assertEquals(tree(join(dir, ".dvc", "cache")), tree(join(fixtureRepo, ".dvc", "cache")));
      // the .dvc data sources were re-verified without changing their bytes
      for (const f of Deno.readDirSync(fixtureRepo)) {
        if (f.isFile && f.name.endsWith(".dvc")) {
          assertEquals(
            Deno.readTextFileSync(join(dir, f.name)),
            Deno.readTextFileSync(join(fixtureRepo, f.name)),
          );
        }
      }
      assertEquals(
        cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(),
        expectedStatus[fx],
      );
    } finally {
      removeDir(dir);
    }
  });
}

/** DVC's text with our wording for hints (`cairn push`), git-add lines dropped (set order). */
function normalize(text: string): string {
  return text.replaceAll("`dvc push`", "`cairn push`")
    .replaceAll("dvc config core.autostage", "cairn config core.autostage").split("\n")
    .filter((l) => !l.startsWith("\tgit add ")).join("\n");
}

Deno.test("compat pipeline_repo: repro prints DVC's lines in DVC's order", () => {
  const dir = copyFixtureRepo("pipeline_repo/repo");
  try {
    const pf = loadPipelineFile(dir, "dvc.yaml", { lock: false });
    for (const s of pf.stages) {
      for (const o of s.outs) Deno.removeSync(join(dir, s.wdir, o.path), { recursive: true });
    }
    Deno.removeSync(join(dir, "dvc.lock"));
    Deno.removeSync(join(dir, ".dvc", "cache", "runs"), { recursive: true });
    const out = cairnOk(["repro"], { cwd: dir, subprocess: true }).stdout;
    const want = Deno.readTextFileSync(join(FIXTURES, "pipeline_repo", "expected", "repro.txt"));
    assertEquals(normalize(out), normalize(want));
    const again = cairnOk(["repro"], { cwd: dir, subprocess: true }).stdout;
    assertEquals(
      again,
      Deno.readTextFileSync(join(FIXTURES, "pipeline_repo", "expected", "repro_again.txt")),
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("compat changed_repo: status and repro --dry as DVC's", () => {
  for (const v of ["changed_repo", "changed_repo/variant_b"]) {
    const dir = copyFixtureRepo(`${v}/repo`);
    try {
      const exp = join(FIXTURES, v, "expected");
      assertEquals(
        cairnOk(["status"], { cwd: dir }).stdout,
        Deno.readTextFileSync(join(exp, "status.txt")),
      );
      assertEquals(
        cairnOk(["status", "--json"], { cwd: dir }).stdout,
        Deno.readTextFileSync(join(exp, "status.json")),
      );
      const dry = cairn(["repro", "--dry"], { cwd: dir });
      assertEquals(
        normalize(dry.stdout),
        normalize(Deno.readTextFileSync(join(exp, "repro_dry.txt"))),
      );
      if (v.endsWith("variant_b")) {
        assertEquals(dry.code, 255);
        assertEquals(dry.stderr, Deno.readTextFileSync(join(exp, "repro_dry.txt.stderr")));
      } else assertEquals(dry.code, 0);
      // --dry changed nothing
      assertEquals(
        cairnOk(["status", "--json"], { cwd: dir }).stdout,
        Deno.readTextFileSync(join(exp, "status.json")),
      );
    } finally {
      removeDir(dir);
    }
  }
});

Deno.test("compat pipeline_repo: stage list and dag texts as DVC's", () => {
  const dir = copyFixtureRepo("pipeline_repo/repo");
  const exp = join(FIXTURES, "pipeline_repo", "expected");
  const want = (f: string) => Deno.readTextFileSync(join(exp, f));
  const lines = (s: string) => s.split("\n").filter(Boolean).sort();
  try {
    assertEquals(cairnOk(["stage", "list"], { cwd: dir }).stdout, want("stage_list.txt"));
    assertEquals(
      cairnOk(["stage", "list", "--all"], { cwd: dir }).stdout,
      want("stage_list_all.txt"),
    );
    assertEquals(cairnOk(["dag", "--mermaid"], { cwd: dir }).stdout, want("dag.mermaid"));
    assertEquals(cairnOk(["dag", "--md"], { cwd: dir }).stdout, want("dag.md"));
    // node and edge order of the dot files is Python set order: compare as sets
    assertEquals(lines(cairnOk(["dag", "--dot"], { cwd: dir }).stdout), lines(want("dag.dot")));
    assertEquals(
      lines(cairnOk(["dag", "--outs", "--dot"], { cwd: dir }).stdout),
      lines(want("dag_outs.dot")),
    );
    const ascii = cairnOk(["dag", "train"], { cwd: dir }).stdout;
    for (const n of ["data/raw.csv.dvc", "prepare", "train"]) {
      assertEquals(ascii.includes(`| ${n} |`), true);
    }
    assertEquals(ascii.includes("evaluate"), false);
  } finally {
    removeDir(dir);
  }
});

Deno.test("compat lock_formats: freeze/unfreeze edit dvc.yaml as DVC does", () => {
  const dir = copyFixtureRepo("lock_formats/repo");
  const exp = join(FIXTURES, "lock_formats", "expected");
  const want = (f: string) => Deno.readTextFileSync(join(exp, f));
  try {
    assertEquals(cairnOk(["freeze", "long_cmd"], { cwd: dir }).stdout, want("freeze.txt"));
    assertEquals(Deno.readTextFileSync(join(dir, "dvc.yaml")), want("dvc.yaml.after_freeze"));
    assertEquals(cairnOk(["unfreeze", "long_cmd"], { cwd: dir }).stdout, want("unfreeze.txt"));
    assertEquals(Deno.readTextFileSync(join(dir, "dvc.yaml")), want("dvc.yaml.after_unfreeze"));
  } finally {
    removeDir(dir);
  }
});
