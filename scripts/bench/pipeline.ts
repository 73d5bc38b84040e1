/**
 * Pipelines as users run them (`scripts/cairn` spawned in a temp git repo),
 * against references timed in the same run; each figure is the best of a
 * few runs (2 shared cores: the minimum is the least disturbed one).
 *  - `cairn repro` of 50 trivial stages from scratch  vs  the same 50
 *    commands through `sh` (target: at most 3x), wall time and CPU
 *    (user+sys of the process and its children: steadier on a loaded
 *    machine); cairn's time per stage on stderr
 *  - no-op `cairn status` on the 50-stage pipeline  vs  `deno run` of an empty
 *    script (target: at most 3x; DVC needs about a second)
 *  - no-op `cairn repro` on the same pipeline      vs  the same reference
 *  - `cairn repro -j 4` of four independent 1-second stages  vs  one such
 *    command through `sh` (target: at most 1.2 s)
 *  - `cairn repro --sandbox` of 10 trivial stages  vs  plain `cairn repro`
 *    of the same stages: what confinement costs per stage (on stderr), when
 *    a sandbox backend works here (`cairn doctor`)
 *   deno run -A scripts/bench/pipeline.ts
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchOptions, BenchRow } from "../bench.ts";
import { bestOf, measure } from "./_util.ts";

/** CAIRN_BENCH_CAIRN=/other/checkout/scripts/cairn times another checkout (e.g. before a change). */
const CAIRN = Deno.env.get("CAIRN_BENCH_CAIRN") ??
  join(dirname(fileURLToPath(import.meta.url)), "..", "cairn");

async function timed(cmd: string, args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const s = (performance.now() - t0) / 1000;
  if (!out.success) {
    const dec = new TextDecoder();
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${out.code}): ${dec.decode(out.stderr)}${
        dec.decode(out.stdout)
      }`,
    );
  }
  return s;
}

async function best(n: number, fn: () => Promise<number>): Promise<number> {
  let b = Infinity;
  for (let i = 0; i < n; i++) b = Math.min(b, await fn());
  return b;
}

function git(args: string[], cwd: string): void {
  const out = new Deno.Command("git", {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
    env: {
      GIT_AUTHOR_NAME: "b",
      GIT_AUTHOR_EMAIL: "b@x",
      GIT_COMMITTER_NAME: "b",
      GIT_COMMITTER_EMAIL: "b@x",
    },
  }).outputSync();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

async function repo(dir: string, files: Record<string, string>): Promise<void> {
  Deno.mkdirSync(dir, { recursive: true });
  git(["init", "-q", "-b", "main"], dir);
  await timed(CAIRN, ["init", "-q"], dir);
  for (const [rel, text] of Object.entries(files)) {
    Deno.mkdirSync(join(dir, dirname(rel)), { recursive: true });
    Deno.writeTextFileSync(join(dir, rel), text);
  }
  git(["add", "-A"], dir);
  git(["commit", "-qm", "init"], dir);
}

/** 50 stages: a chain of 10, five times over, each with a params key and a file dep. */
export function fiftyStages(): Record<string, string> {
  const files: Record<string, string> = {};
  let yaml = "stages:\n";
  const params: string[] = [];
  for (let c = 0; c < 5; c++) {
    files[`src/chain${c}.txt`] = `chain ${c}\n`;
    for (let i = 0; i < 10; i++) {
      const name = `s${c}_${i}`;
      const dep = i === 0 ? `src/chain${c}.txt` : `out/s${c}_${i - 1}.txt`;
      params.push(`${name}: ${i}`);
      yaml += `  ${name}:\n    cmd: cat ${dep} > out/${name}.txt\n    deps:\n    - ${dep}\n` +
        `    params:\n    - ${name}\n    outs:\n    - out/${name}.txt\n`;
    }
  }
  files["dvc.yaml"] = yaml;
  files["params.yaml"] = params.join("\n") + "\n";
  files["out/.keep"] = "";
  return files;
}

/** `repro --sandbox` against plain `repro` of 10 trivial stages, from scratch each time. */
async function sandboxRow(opts: BenchOptions, n: number): Promise<BenchRow | undefined> {
  const dir = join(opts.workDir, "sandboxed");
  let yaml = "stages:\n";
  for (let i = 0; i < 10; i++) {
    const dep = i === 0 ? "in.txt" : `out/t${i - 1}.txt`;
    yaml += `  t${i}:\n    cmd: cat ${dep} > out/t${i}.txt\n    deps:\n    - ${dep}\n` +
      `    outs:\n    - out/t${i}.txt\n`;
  }
  await repo(dir, { "dvc.yaml": yaml, "in.txt": "x\n", "out/.keep": "" });
  const fresh = () =>
    timed(
      "sh",
      ["-c", "chmod -R u+w .dvc out; rm -rf dvc.lock .dvc/cache .dvc/tmp out/*.txt"],
      dir,
    );
  try {
    await fresh();
    await timed(CAIRN, ["repro", "--sandbox"], dir);
  } catch (err) {
    console.error(
      `  repro --sandbox: no sandbox works here (${(err as Error).message.split("\n")[0]})`,
    );
    return undefined;
  }
  const plain = await best(n, async () => (await fresh(), await timed(CAIRN, ["repro"], dir)));
  const boxed = await best(
    n,
    async () => (await fresh(), await timed(CAIRN, ["repro", "--sandbox"], dir)),
  );
  console.error(
    `  repro --sandbox: ${((boxed - plain) / 10 * 1000).toFixed(1)} ms more per stage than without`,
  );
  return {
    name: "repro --sandbox, 10 trivial stages from scratch",
    value: boxed,
    unit: "s",
    reference: "the same repro without --sandbox",
    referenceValue: plain,
    ratio: boxed / plain,
    target: "(per-stage cost of confinement, shown)",
  };
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const n = opts.quick ? 3 : 5;
  Deno.mkdirSync(opts.workDir, { recursive: true });
  const empty = join(opts.workDir, "empty.ts");
  Deno.writeTextFileSync(empty, "");
  const deno = Deno.execPath();
  const ref = await best(n, () => timed(deno, ["run", "-q", empty], opts.workDir));

  const big = join(opts.workDir, "fifty");
  const files = fiftyStages();
  await repo(big, files);
  // From scratch: no outputs, no lock, no cache, no run-cache; against the
  // same 50 commands, each through its own sh, started one by one by one
  // outer sh (one process to time: time(1)'s CPU figures have 10 ms steps).
  const cmds = [...files["dvc.yaml"].matchAll(/cmd: (.*)/g)].map((m) => m[1]);
  const script = cmds.map((c) => `sh -c '${c.replaceAll("'", `'"'"'`)}'`).join("\n");
  const refScratch = await bestOf(n, () => measure("sh", ["-c", script], { cwd: big }));
  const scratch = await bestOf(n, async () => {
    await timed("sh", [
      "-c",
      "chmod -R u+w .dvc out; rm -rf dvc.lock .dvc/cache .dvc/tmp out/*.txt",
    ], big);
    return await measure(CAIRN, ["repro"], { cwd: big });
  });
  rows.push({
    name: "repro of 50 stages from scratch",
    value: scratch.seconds,
    unit: "s",
    reference: "the 50 commands through sh",
    referenceValue: refScratch.seconds,
    ratio: scratch.seconds / refScratch.seconds,
    target: "<= 3x",
  });
  rows.push({
    name: "repro of 50 stages from scratch, CPU (user+sys)",
    value: scratch.cpu,
    unit: "s",
    reference: "the 50 commands through sh, CPU",
    referenceValue: refScratch.cpu,
    ratio: scratch.cpu / Math.max(refScratch.cpu, 0.01),
    target: "(steadier than wall time on a loaded machine)",
  });
  console.error(
    `  repro from scratch: ${
      ((scratch.seconds - refScratch.seconds) / 50 * 1000).toFixed(1)
    } ms wall, ${
      ((scratch.cpu - refScratch.cpu) / 50 * 1000).toFixed(1)
    } ms CPU of cairn per stage`,
  );
  await new Promise((r) => setTimeout(r, 50)); // let the state index trust the new files
  await timed(CAIRN, ["status"], big);
  const status = await best(n, () => timed(CAIRN, ["status"], big));
  rows.push({
    name: "no-op status, 50 stages",
    value: status,
    unit: "s",
    reference: "deno run empty.ts",
    referenceValue: ref,
    ratio: status / ref,
    target: "<= 3x",
  });
  const repro = await best(n, () => timed(CAIRN, ["repro"], big));
  rows.push({
    name: "no-op repro, 50 stages",
    value: repro,
    unit: "s",
    reference: "deno run empty.ts",
    referenceValue: ref,
    ratio: repro / ref,
    target: "<= 3x",
  });

  const par = join(opts.workDir, "parallel");
  const stage = (x: string) =>
    `  ${x}:\n    cmd: sleep 1 && cat in.txt > ${x}.out\n    deps:\n    - in.txt\n    outs:\n    - ${x}.out\n`;
  await repo(par, {
    "dvc.yaml": `stages:\n${["a", "b", "c", "d"].map(stage).join("")}`,
    "in.txt": "x\n",
  });
  const runs = opts.quick ? 1 : 3;
  const sleepRef = await best(runs, () => timed("sh", ["-c", "sleep 1 && cat in.txt"], par));
  const four = await best(runs, () => timed(CAIRN, ["repro", "-f", "-j", "4"], par));
  rows.push({
    name: "repro -j 4, four independent 1 s stages",
    value: four,
    unit: "s",
    reference: "one such command through sh",
    referenceValue: sleepRef,
    ratio: four / sleepRef,
    target: "<= 1.2 s",
  });

  // Confinement's cost per stage, where a sandbox works on this machine.
  const sandbox = await sandboxRow(opts, n);
  if (sandbox) rows.push(sandbox);
  return rows;
}

if (import.meta.main) {
  const workDir = Deno.makeTempDirSync({ prefix: "cairn-bench-pipeline-" });
  try {
    for (const r of await run({ quick: Deno.args.includes("--quick"), workDir })) {
      console.log(
        `${r.name}: ${r.value.toFixed(3)} ${r.unit}  (${r.reference} ${
          r.referenceValue?.toFixed(3)
        }, ratio ${r.ratio?.toFixed(2)}, target ${r.target})`,
      );
    }
  } finally {
    Deno.removeSync(workDir, { recursive: true });
  }
}
