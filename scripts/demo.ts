/**
 * `deno task demo`: a real example, end to end, in a temporary git repo:
 * data versioning (init, add files and folders, change, status, checkout an
 * older revision, gc), then a pipeline and a local-folder remote when those
 * commands are available. Every command is printed before it runs.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cairnScript = join(root, "scripts", "cairn");
const work = Deno.makeTempDirSync({ prefix: "cairn-demo-" });
const repo = join(work, "project");
Deno.mkdirSync(repo);
const dec = new TextDecoder();

const env = {
  GIT_AUTHOR_NAME: "Demo",
  GIT_AUTHOR_EMAIL: "demo@example.invalid",
  GIT_COMMITTER_NAME: "Demo",
  GIT_COMMITTER_EMAIL: "demo@example.invalid",
};

function sh(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  console.log(`\x1b[1m$ ${cmd === cairnScript ? "cairn" : cmd} ${args.join(" ")}\x1b[0m`);
  const out = new Deno.Command(cmd, { args, cwd: repo, env, stdout: "piped", stderr: "piped" })
    .outputSync();
  const text = dec.decode(out.stdout) + dec.decode(out.stderr);
  if (text.trim()) console.log(text.trimEnd());
  if (out.code !== 0 && !opts.allowFail) {
    console.error(`demo failed: exit code ${out.code}`);
    Deno.exit(1);
  }
  return text;
}
const cairn = (...args: string[]) => sh(cairnScript, args);
const gitc = (...args: string[]) => sh("git", args);

function write(rel: string, text: string) {
  const p = join(repo, rel);
  Deno.mkdirSync(dirname(p), { recursive: true });
  Deno.writeTextFileSync(p, text);
}

console.log(`demo repo: ${repo}\n`);
gitc("init", "-q", "-b", "main");
cairn("init");
gitc("commit", "-qm", "Initialize cairn");

// A dataset: one file and a folder of files.
write("data/labels.csv", "id,label\n1,cat\n2,dog\n");
for (let i = 0; i < 20; i++) {
  write(`data/images/img${String(i).padStart(2, "0")}.txt`, `pixels ${i}\n`);
}
write("data/images/sub/extra.txt", "nested file\n");
cairn("add", "data/labels.csv", "data/images");
gitc("add", "-A");
gitc("commit", "-qm", "Track dataset v1");
gitc("tag", "v1");

// Version 2: change, add and remove files.
write("data/labels.csv", "id,label\n1,cat\n2,dog\n3,bird\n");
write("data/images/img20.txt", "pixels 20\n");
Deno.removeSync(join(repo, "data/images/img00.txt"));
cairn("status");
cairn("add", "data/labels.csv", "data/images");
cairn("status");
gitc("add", "-A");
gitc("commit", "-qm", "Dataset v2");
cairn("diff", "v1");

// Back to v1, and forward again.
gitc("checkout", "-q", "v1");
cairn("checkout");
console.log(`labels.csv at v1:\n${Deno.readTextFileSync(join(repo, "data/labels.csv"))}`);
gitc("checkout", "-q", "main");
cairn("checkout");
cairn("gc", "-w", "--dry");
cairn("gc", "-w", "-f");

// A pipeline: prepare -> (train_a, train_b in parallel) -> evaluate, driven by params.yaml.
write("params.yaml", "train:\n  scale: 2\n");
write(
  "src/prepare.sh",
  "mkdir -p build && cat data/labels.csv | tail -n +2 > build/rows.csv\n",
);
write(
  "src/train.sh",
  'scale=$(sed -n "s/ *scale: *//p" params.yaml)\nsleep 1\necho "$(wc -l < build/rows.csv) $scale $1" > "build/model_$1.txt"\n',
);
write(
  "src/evaluate.sh",
  'a=$(cut -d" " -f1 build/model_a.txt); s=$(cut -d" " -f2 build/model_a.txt)\n' +
    'printf \'{"rows": %s, "score": %s}\\n\' "$a" "$((a * s))" > metrics.json\n',
);
cairn(
  "stage",
  "add",
  "-n",
  "prepare",
  "-d",
  "src/prepare.sh",
  "-d",
  "data/labels.csv",
  "-o",
  "build/rows.csv",
  "sh src/prepare.sh",
);
for (const m of ["a", "b"]) {
  cairn(
    "stage",
    "add",
    "-n",
    `train_${m}`,
    "-d",
    "src/train.sh",
    "-d",
    "build/rows.csv",
    "-p",
    "train.scale",
    "-o",
    `build/model_${m}.txt`,
    `sh src/train.sh ${m}`,
  );
}
cairn(
  "stage",
  "add",
  "-n",
  "evaluate",
  "-d",
  "src/evaluate.sh",
  "-d",
  "build/model_a.txt",
  "-d",
  "build/model_b.txt",
  "-M",
  "metrics.json",
  "sh src/evaluate.sh",
);
cairn("dag");
cairn("repro", "-j", "2");
cairn("metrics", "show");
gitc("add", "-A");
gitc("commit", "-qm", "Pipeline");
write("params.yaml", "train:\n  scale: 5\n");
cairn("status");
cairn("repro", "-j", "2");
cairn("params", "diff");
cairn("metrics", "diff");
cairn("repro");
gitc("add", "-A");
gitc("commit", "-qm", "Scale 5");

// A local-folder remote (the embedded default plugin): push, lose the cache, pull back.
const remote = join(work, "remote");
cairn("remote", "add", "-d", "store", remote);
cairn("push");
Deno.removeSync(join(repo, ".dvc", "cache"), { recursive: true });
Deno.removeSync(join(repo, "data", "images"), { recursive: true });
cairn("status");
cairn("pull");
cairn("status");

Deno.removeSync(work, { recursive: true });
console.log("\ndemo finished: every step above ran for real.");
