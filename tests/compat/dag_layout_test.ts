/**
 * `cairn dag` draws what DVC 3.64's `dvc dag` draws, byte for byte: the
 * corpus in tests/fixtures/dag/ (pipelines and DVC's outputs, recorded by
 * scripts/record_dag_fixtures.ts with a real DVC; see cases.tsv). Where DVC
 * itself printed different drawings across runs (its set orders), any of
 * the recorded drawings is accepted, and cairn must print one of them.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../_rig/assert.ts";
import { cairnOk, removeDir, ROOT, run, writeFiles } from "../_rig/rig.ts";

const DAG = join(ROOT, "tests", "fixtures", "dag");

interface Row {
  name: string;
  out: string;
  cwd: string;
  args: string[];
  variants: number;
  note: string;
}

const rows: Row[] = Deno.readTextFileSync(join(DAG, "cases.tsv")).split("\n")
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => {
    const [name, out, cwd, args, variants, note] = l.split("\t");
    return { name, out, cwd, args: args.split(" "), variants: Number(variants), note };
  });

function checkout(name: string): string {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-dag-" });
  const r = run("cp", ["-a", join(DAG, name, "repo") + "/.", dir], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
  writeFiles(dir, { ".dvc/config": "[core]\n    no_scm = True\n" });
  return dir;
}

/**
 * DVC printed through rich on an 80-column console (no terminal): lines
 * wider than that lost their trailing spaces beyond column 80. cairn does
 * the same at its console's width, so a wide drawing runs with COLUMNS=80
 * (a process of its own), as does everything when the tests have a terminal.
 */
function console80(name: string, r: Row): { env?: Record<string, string> } {
  const tty = [Deno.stdin, Deno.stdout, Deno.stderr].some((f) => f.isTerminal());
  const file = r.variants === 1 ? `${r.out}.txt` : `${r.out}.1.txt`;
  const wide = Deno.readTextFileSync(join(DAG, name, file)).split("\n").some((l) => l.length > 80);
  return tty || wide ? { env: { COLUMNS: "80" } } : {};
}

Deno.test("dag corpus: at least 30 recorded graphs, the issue's diamond and example-get-started", () => {
  assert(rows.length >= 30, `${rows.length} recorded drawings`);
  assert(rows.some((r) => r.name === "diamond" && r.out === "dag"));
  assert(rows.some((r) => r.name === "example_get_started" && r.out === "dag"));
  assert(rows.some((r) => r.name === "example_get_started" && r.out === "outs_dot"));
  // every fixture drawing is a DVC drawing: boxes present, nothing empty
  const drawings = rows.filter((r) =>
    r.name !== "no_stages" && !r.args.includes("-q") && !r.args.includes("--dot")
  );
  for (const r of drawings) {
    const file = r.variants === 1 ? `${r.out}.txt` : `${r.out}.1.txt`;
    assert(Deno.readTextFileSync(join(DAG, r.name, file)).includes("+-"), file);
  }
});

for (const name of [...new Set(rows.map((r) => r.name))]) {
  Deno.test(`dag as DVC draws it: ${name}`, async (t) => {
    const dir = checkout(name);
    try {
      for (const r of rows.filter((x) => x.name === name)) {
        await t.step(`${r.args.join(" ")} (in ${r.cwd})`, () => {
          const got = cairnOk(r.args, { cwd: join(dir, r.cwd), ...console80(name, r) }).stdout;
          if (r.variants === 1) {
            assertEquals(got, Deno.readTextFileSync(join(DAG, name, `${r.out}.txt`)));
            return;
          }
          const seen = Array.from(
            { length: r.variants },
            (_, i) => Deno.readTextFileSync(join(DAG, name, `${r.out}.${i + 1}.txt`)),
          );
          assert(
            seen.includes(got),
            `${r.note}; cairn printed none of them:\n${got}\nfirst recorded:\n${seen[0]}`,
          );
        });
      }
    } finally {
      removeDir(dir);
    }
  });
}
