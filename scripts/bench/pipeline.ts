/**
 * Pipelines as users run them (`scripts/cairn` spawned in a temp git repo),
 * against references timed in the same run; each figure is the best of a
 * few runs (2 shared cores: the minimum is the least disturbed one).
 *  - no-op `cairn status` on a 50-stage pipeline  vs  `deno run` of an empty
 *    script (target: at most 3x; DVC needs about a second)
 *  - no-op `cairn repro` on the same pipeline      vs  the same reference
 *  - `cairn repro -j 2` of two independent 1-second stages  vs  `-j 1`
 *    (target: about 1 s against 2 s)
 *   deno run -A scripts/bench/pipeline.ts
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchOptions, BenchRow } from "../bench.ts";

const CAIRN = join(dirname(fileURLToPath(import.meta.url)), "..", "cairn");

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
  // same 50 commands run one by one through sh.
  const cmds = [...files["dvc.yaml"].matchAll(/cmd: (.*)/g)].map((m) => m[1]);
  const refScratch = await best(n, async () => {
    let t = 0;
    for (const c of cmds) t += await timed("sh", ["-c", c], big);
    return t;
  });
  const scratch = await best(n, async () => {
    await timed("sh", [
      "-c",
      "chmod -R u+w .dvc out; rm -rf dvc.lock .dvc/cache .dvc/tmp out/*.txt",
    ], big);
    return await timed(CAIRN, ["repro"], big);
  });
  rows.push({
    name: "repro of 50 stages from scratch",
    value: scratch,
    unit: "s",
    reference: "the 50 commands through sh",
    referenceValue: refScratch,
    ratio: scratch / refScratch,
    target: "<= 3x",
  });
  console.error(
    `  repro from scratch: ${
      ((scratch - refScratch) / 50 * 1000).toFixed(1)
    } ms of cairn per stage`,
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
  await repo(par, { "dvc.yaml": `stages:\n${stage("a")}${stage("b")}`, "in.txt": "x\n" });
  const reproForced = (jobs: number) =>
    best(opts.quick ? 1 : 3, () => timed(CAIRN, ["repro", "-f", "-j", String(jobs)], par));
  const one = await reproForced(1);
  const two = await reproForced(2);
  rows.push({
    name: "repro -j 2, two independent 1 s stages",
    value: two,
    unit: "s",
    reference: "repro -j 1",
    referenceValue: one,
    ratio: two / one,
    target: "~1 s vs 2 s",
  });
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
