/**
 * Sandbox overhead as users see it, through `cairn repro -f`: a 50-stage
 * chain of trivial stages (quick: 10) and one stage reading 10,000 small
 * files (quick: 2,000), under `--sandbox=off` (DVC's way, the reference
 * measured in the same run), `on` and `hermetic` (traced with strace when it
 * is installed, as by default), and `on` under the Landlock backend for the
 * 10,000-file stage (issue 11's target: <= 1.1x policy off). Each figure is
 * the best of 3 runs (quick: 1), the policies taking turns.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchOptions, BenchRow } from "../bench.ts";
import { sandboxAvailable } from "../../lib/sandbox/availability.ts";

const CAIRN = join(dirname(fileURLToPath(import.meta.url)), "..", "cairn");
const ENV = {
  GIT_AUTHOR_NAME: "Bench",
  GIT_AUTHOR_EMAIL: "bench@example.invalid",
  GIT_COMMITTER_NAME: "Bench",
  GIT_COMMITTER_EMAIL: "bench@example.invalid",
};

async function sh(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    env: ENV,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function project(dir: string, files: Record<string, string>): Promise<void> {
  Deno.mkdirSync(dir, { recursive: true });
  await sh("git", ["init", "-q", "-b", "main"], dir);
  await sh(CAIRN, ["init", "-q"], dir);
  for (const [rel, text] of Object.entries(files)) {
    Deno.mkdirSync(dirname(join(dir, rel)), { recursive: true });
    Deno.writeTextFileSync(join(dir, rel), text);
  }
  await sh("git", ["add", "-A"], dir);
  await sh("git", ["commit", "-qm", "bench"], dir);
  await sh(CAIRN, ["repro", "-q"], dir); // lock, cache and state index warm
}

/**
 * Best wall time (s) of `cairn repro -f` under each policy (`on@landlock`:
 * policy on, backend Landlock). The policies take turns within each
 * repetition, so a change in machine load hits all of them alike.
 */
async function reproSeconds(
  dir: string,
  policies: string[],
  reps: number,
): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (let i = 0; i < reps; i++) {
    for (const policy of policies) {
      const t0 = performance.now();
      const [pol, backend] = policy.split("@");
      const flags = [`--sandbox=${pol}`, ...(backend ? [`--sandbox-backend=${backend}`] : [])];
      await sh(CAIRN, ["repro", "-f", "-q", ...flags], dir);
      best[policy] = Math.min(best[policy] ?? Infinity, (performance.now() - t0) / 1000);
    }
  }
  return best;
}

/**
 * Stage i copies stage i-1's output and appends a line. `flat`: every output
 * in the project root (the sandbox then re-mounts each of the root's entries
 * read-only: the cost grows with the folder's size); otherwise each output
 * in its own folder.
 */
function chain(n: number, flat: boolean): string {
  const out = (i: number) => (i < 0 ? "seed.txt" : flat ? `o${i}.txt` : `out/s${i}/o.txt`);
  const lines = ["stages:"];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  s${i}:`,
      `    cmd: cat ${out(i - 1)} > ${out(i)} && echo ${i} >> ${out(i)}`,
      `    deps: [${out(i - 1)}]`,
      `    outs: [${out(i)}]`,
    );
  }
  return lines.join("\n") + "\n";
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const avail = await sandboxAvailable();
  if (!avail.available) throw new Error(`sandbox unavailable: ${avail.problems.join("; ")}`);
  const stages = opts.quick ? 10 : 50;
  const nfiles = opts.quick ? 2000 : 10000;
  const reps = opts.quick ? 1 : 3;
  const rows: BenchRow[] = [];

  for (const flat of [true, false]) {
    const layout = flat ? "outputs in the project root" : "each output in its own folder";
    const pipe = join(opts.workDir, flat ? "chain_flat" : "chain_dirs");
    const files: Record<string, string> = { "seed.txt": "seed\n", "dvc.yaml": chain(stages, flat) };
    // DVC does not create output folders: the project keeps them.
    if (!flat) { for (let i = 0; i < stages; i++) files[`out/s${i}/.keep`] = ""; }
    await project(pipe, files);
    const times = await reproSeconds(pipe, ["off", "on", "hermetic"], reps);
    const off = times.off;
    rows.push({
      name: `repro -f, ${stages} trivial stages (${layout}), policy off`,
      value: (off * 1000) / stages,
      unit: "ms/stage",
    });
    for (const policy of ["on", "hermetic"]) {
      const t = times[policy];
      rows.push({
        name: `repro -f, ${stages} trivial stages (${layout}): ${policy} overhead`,
        value: ((t - off) * 1000) / stages,
        unit: "ms/stage",
        reference: "policy off (per stage)",
        referenceValue: (off * 1000) / stages,
        ratio: t / off,
        target: "< 50 ms/stage",
      });
    }
  }

  const big = join(opts.workDir, "files");
  const files: Record<string, string> = {
    "dvc.yaml": [
      "stages:",
      "  readall:",
      "    cmd: find data -type f -exec cat {} + | wc -l > count.txt",
      "    deps: [data]",
      "    outs: [count.txt]",
      "",
    ].join("\n"),
  };
  for (let i = 0; i < nfiles; i++) files[`data/d${i % 100}/f${i}.txt`] = `line ${i}\n`;
  await project(big, files);
  const bigTimes = await reproSeconds(big, ["off", "on", "hermetic", "on@landlock"], reps);
  const offBig = bigTimes.off;
  rows.push({
    name: `repro -f, one stage reading ${nfiles} files, policy off`,
    value: offBig * 1000,
    unit: "ms",
  });
  for (const policy of ["on", "hermetic", "on@landlock"]) {
    const t = bigTimes[policy];
    rows.push({
      name: `repro -f, one stage reading ${nfiles} files: ${policy.replace("@", ", ")}${
        policy === "hermetic" && avail.strace ? " (strace)" : ""
      }`,
      value: t * 1000,
      unit: "ms",
      reference: "policy off",
      referenceValue: offBig * 1000,
      ratio: t / offBig,
      target: policy === "on@landlock" ? "<= 1.1x" : undefined,
    });
  }
  return rows;
}

if (import.meta.main) {
  const workDir = Deno.makeTempDirSync({ prefix: "cairn-bench-sbx-" });
  try {
    const rows = await run({ quick: Deno.args.includes("--quick"), workDir });
    for (const r of rows) {
      console.log(
        `${r.name}: ${r.value.toFixed(1)} ${r.unit}${
          r.referenceValue !== undefined
            ? ` (ref ${r.referenceValue.toFixed(1)}, ratio ${r.ratio?.toFixed(2)})`
            : ""
        }`,
      );
    }
  } finally {
    await new Deno.Command("chmod", { args: ["-R", "u+w", workDir] }).output();
    Deno.removeSync(workDir, { recursive: true });
  }
}
