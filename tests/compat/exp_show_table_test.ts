/**
 * `cairn exp show` prints what DVC 3.64's `dvc exp show` prints, byte for
 * byte: tests/fixtures/exp_show/make_repo.sh builds a repository with fixed
 * dates (baselines, a tag, a side branch, experiments under refs/exps, a
 * metrics file that fails to parse), cases.txt lists the commands, and
 * expected/ holds what a real DVC printed for each (record.sh). Covers the
 * rich table at its natural width and shrunk to COLUMNS with `--no-pager`
 * (collapsed columns, wrapped cells, "…"), `--csv`, `--md`, `-a/-A/-T/-n/--rev`,
 * `--only-changed`, `--drop/--keep`, `--sort-by/--sort-order`, `--precision`,
 * `--param-deps`, `--sha` and the sort-column errors.
 */
import { join } from "node:path";
import { assertEquals } from "../_rig/assert.ts";
import { cairn, removeDir, ROOT, run } from "../_rig/rig.ts";

const DIR = join(ROOT, "tests", "fixtures", "exp_show");

/** Shell-like words: spaces split, '...' quotes. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2]);
  return out;
}

const cases = Deno.readTextFileSync(join(DIR, "cases.txt")).split("\n").filter(Boolean)
  .map((line, i) => {
    const m = /^COLUMNS=(\d+) (.*)$/.exec(line);
    return {
      id: String(i + 1).padStart(2, "0"),
      line,
      columns: m ? m[1] : "80",
      args: words(m ? m[2] : line),
    };
  });

Deno.test("exp show: table, csv, md and flags as DVC 3.64 prints them (recorded)", () => {
  const tmp = Deno.makeTempDirSync({ prefix: "cairn-expshow-" });
  try {
    const repo = join(tmp, "r");
    const made = run("bash", [join(DIR, "make_repo.sh"), repo], { cwd: tmp });
    assertEquals(made.code, 0, made.stderr);
    const failures: string[] = [];
    for (const c of cases) {
      const want = Deno.readTextFileSync(join(DIR, "expected", `${c.id}.out`));
      const wantRc = Number(Deno.readTextFileSync(join(DIR, "expected", `${c.id}.rc`)).trim());
      const r = cairn(c.args, { cwd: repo, env: { TZ: "UTC", COLUMNS: c.columns } });
      if (r.stdout !== want || r.code !== wantRc) {
        failures.push(
          `#${c.id} ${c.line}: exit ${r.code} (DVC ${wantRc})\n--- DVC\n${want}--- cairn\n${r.stdout}${r.stderr}`,
        );
        continue;
      }
      if (wantRc !== 0) {
        const err = Deno.readTextFileSync(join(DIR, "expected", `${c.id}.err`));
        if (r.stderr !== err) failures.push(`#${c.id} ${c.line}: stderr\n${err}---\n${r.stderr}`);
      }
    }
    assertEquals(failures, [], failures.join("\n"));
  } finally {
    removeDir(tmp);
  }
});

Deno.test("exp show: a repository without commits shows nothing (DVC 3.64: [], no table, CSV header)", () => {
  const tmp = Deno.makeTempDirSync({ prefix: "cairn-expshow-" });
  try {
    assertEquals(run("git", ["init", "-q"], { cwd: tmp }).code, 0);
    Deno.mkdirSync(join(tmp, ".dvc"));
    Deno.writeTextFileSync(join(tmp, ".dvc", "config"), "");
    Deno.writeTextFileSync(join(tmp, "params.yaml"), "a: 1\n");
    const env = { TZ: "UTC", COLUMNS: "80" };
    assertEquals(cairn(["exp", "show", "--json"], { cwd: tmp, env }).stdout, "[]\n");
    assertEquals(cairn(["exp", "show"], { cwd: tmp, env }).stdout, "");
    assertEquals(
      cairn(["exp", "show", "--csv"], { cwd: tmp, env }).stdout,
      "Experiment,rev,typ,Created,parent\r\n",
    );
  } finally {
    removeDir(tmp);
  }
});
