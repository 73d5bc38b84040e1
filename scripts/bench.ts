/**
 * `deno task bench`: runs every benchmark module in scripts/bench/ and prints
 * one table. Each module exports `run(opts)` returning rows; a row compares
 * cairn against a reference measured in the same run (md5sum, cp, find...),
 * so the ratio means something on a noisy machine.
 *   deno task bench [--quick] [name...]
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** what the reference is, e.g. "md5sum". */
  reference?: string;
  referenceValue?: number;
  /** cairn / reference (for times) or reference / cairn (for throughputs); see `better`. */
  ratio?: number;
  target?: string;
}

export interface BenchOptions {
  quick: boolean;
  workDir: string;
}

const here = join(dirname(fileURLToPath(import.meta.url)), "bench");
const quick = Deno.args.includes("--quick");
const only = Deno.args.filter((a) => !a.startsWith("--"));
const workDir = Deno.makeTempDirSync({ prefix: "cairn-bench-" });

const files = [...Deno.readDirSync(here)]
  .filter((e) => e.isFile && e.name.endsWith(".ts") && !e.name.startsWith("_"))
  .map((e) => e.name)
  .sort()
  .filter((n) => only.length === 0 || only.some((o) => n.includes(o)));

const rows: BenchRow[] = [];
for (const f of files) {
  const mod = await import(join(here, f));
  if (typeof mod.run !== "function") continue;
  console.error(`running ${f} ...`);
  try {
    rows.push(...await mod.run({ quick, workDir: join(workDir, f) }));
  } catch (err) {
    console.error(`  ${f} failed: ${err instanceof Error ? err.message : err}`);
  }
}
Deno.removeSync(workDir, { recursive: true });

const fmt = (n: number | undefined) =>
  n === undefined ? "" : Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3);
const table = [
  ["benchmark", "cairn", "unit", "reference", "ref value", "ratio", "target"],
  ...rows.map((r) => [
    r.name,
    fmt(r.value),
    r.unit,
    r.reference ?? "",
    fmt(r.referenceValue),
    r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}x`,
    r.target ?? "",
  ]),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
