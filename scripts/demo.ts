/**
 * `deno task demo`: a real example, end to end, in a temporary git repo:
 * data versioning (init, add files and folders, change, status, checkout an
 * older revision, gc), then a pipeline and a local-folder remote. Every
 * command is printed before it runs, and every edit of the files (new,
 * changed, removed) as it happens, so each `status` has a visible cause.
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

const tty = Deno.stdout.isTerminal();
const bold = (t: string) => (tty ? `\x1b[1m${t}\x1b[0m` : t);
const shade = (t: string) => (tty ? `\x1b[36m${t}\x1b[0m` : t);

function sh(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  console.log(bold(`$ ${cmd === cairnScript ? "cairn" : cmd} ${args.join(" ")}`));
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

// Every change to the files is printed as it happens (as `# ...` lines), so
// what `status` and `diff` report next has a visible cause.

/** Lines of `a` not in `b` (-) and of `b` not in `a` (+), in order (LCS; the files are small). */
function lineDiff(a: string[], b: string[]): string[] {
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out;
}

function readOrNull(p: string): string | null {
  try {
    return Deno.readTextFileSync(p);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

const lines = (t: string) => t.replace(/\n$/, "").split("\n");

function store(rel: string, text: string): string | null {
  const p = join(repo, rel);
  const before = readOrNull(p);
  Deno.mkdirSync(dirname(p), { recursive: true });
  Deno.writeTextFileSync(p, text);
  return before;
}

/** Write one file and show the edit: a new file with its text, a changed one as +/- lines. */
function write(rel: string, text: string) {
  const before = store(rel, text);
  if (before === text) return;
  const body = before === null
    ? lines(text).map((l) => `  ${l}`)
    : lineDiff(lines(before), lines(text));
  const shown = body.length > 8
    ? [...body.slice(0, 8), `  ... (${body.length - 8} more lines)`]
    : body;
  console.log(shade(`# ${before === null ? "new file" : "edit"} ${rel}`));
  for (const l of shown) console.log(shade(`#   ${l}`));
}

/** Write many files at once, shown as one line. */
function writeMany(files: Record<string, string>) {
  const names = Object.keys(files);
  let created = 0;
  for (const [rel, text] of Object.entries(files)) if (store(rel, text) === null) created++;
  const span = names.length > 1 ? `${names[0]} ... ${names.at(-1)}` : names[0];
  console.log(
    shade(`# ${created === names.length ? "new" : "wrote"} ${names.length} files: ${span}`),
  );
}

/** Remove a file or folder, shown as the shell command that would do it. */
function remove(rel: string) {
  const p = join(repo, rel);
  const dir = Deno.statSync(p).isDirectory;
  Deno.removeSync(p, { recursive: dir });
  console.log(shade(`# rm ${dir ? "-r " : ""}${rel}`));
}

console.log(`demo repo: ${repo}\n`);
gitc("init", "-q", "-b", "main");
cairn("init");
gitc("commit", "-qm", "Initialize cairn");

// A dataset: one file and a folder of files.
write("data/labels.csv", "id,label\n1,cat\n2,dog\n");
const images: Record<string, string> = {};
for (let i = 0; i < 20; i++) {
  images[`data/images/img${String(i).padStart(2, "0")}.txt`] = `pixels ${i}\n`;
}
writeMany(images);
write("data/images/sub/extra.txt", "nested file\n");
cairn("add", "data/labels.csv", "data/images");
gitc("add", "-A");
gitc("commit", "-qm", "Track dataset v1");
gitc("tag", "v1");

// Version 2: change, add and remove files.
write("data/labels.csv", "id,label\n1,cat\n2,dog\n3,bird\n");
write("data/images/img20.txt", "pixels 20\n");
remove("data/images/img00.txt");
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
remove(".dvc/cache");
remove("data/images");
cairn("status");
cairn("pull");
cairn("status");

notebookDemo();

Deno.removeSync(work, { recursive: true });
console.log("\ndemo finished: every step above ran for real.");

/**
 * From notebook to pipeline: the example Deno notebook (load, train with a
 * Live logger, evaluate) run headless, migrated to a 3-stage pipeline,
 * reproduced, an experiment run with -S, compared in exp show, and the
 * training curve Live wrote shown as a plot.
 */
function notebookDemo(): void {
  const dir = join(work, "notebook");
  Deno.mkdirSync(dir);
  console.log(shade(`\n# From notebook to pipeline (examples/notebook, copied to ${dir})`));
  for (const f of ["train.ipynb", "data/points.csv"]) {
    Deno.mkdirSync(dirname(join(dir, f)), { recursive: true });
    let text = Deno.readTextFileSync(join(root, "examples", "notebook", f));
    // the notebook imports cairn relative to the checkout; point it at this one
    if (f.endsWith(".ipynb")) text = text.replaceAll("../../mod.ts", join(root, "mod.ts"));
    Deno.writeTextFileSync(join(dir, f), text);
  }
  let echo = true;
  const run = (cmd: string, ...args: string[]) => {
    console.log(bold(`$ ${cmd === cairnScript ? "cairn" : cmd} ${args.join(" ")}`));
    const out = new Deno.Command(cmd, { args, cwd: dir, env, stdout: "piped", stderr: "piped" })
      .outputSync();
    const text = dec.decode(out.stdout) + dec.decode(out.stderr);
    if (echo && text.trim()) console.log(text.trimEnd());
    if (out.code !== 0) {
      console.error(`demo failed: exit code ${out.code}`);
      Deno.exit(1);
    }
    return text;
  };
  const nb = (...args: string[]) => run(cairnScript, ...args);
  run("git", "init", "-q");
  nb("init", "-q");
  run("git", "add", "-A");
  run("git", "commit", "-qm", "Notebook");
  nb("nb", "run", "train.ipynb", "-p", "epochs=20", "-o", "executed.ipynb");
  for (const p of ["prepared", "model.json", "metrics.json", "dvclive", "dvc.yaml"]) {
    Deno.removeSync(join(dir, p), { recursive: true });
  }
  nb("nb", "migrate", "train.ipynb");
  console.log(shade("# dvc.yaml written by nb migrate:"));
  console.log(Deno.readTextFileSync(join(dir, "dvc.yaml")).trimEnd());
  nb("repro");
  nb("metrics", "show");
  run("git", "add", "-A");
  run("git", "commit", "-qm", "Notebook as a pipeline");
  nb("exp", "run", "-S", "lr=0.05", "-n", "slow");
  nb(
    "exp",
    "show",
    "--no-pager",
    "--drop",
    "^(dvclive/params.yaml:|data/|model.json|prepared/|stages/|step$|testShare)",
  );
  echo = false; // the JSON is long: only what it says about Live's curve is printed
  const plots = JSON.parse(
    nb("plots", "show", "--json").split("\n").find((l) => l.startsWith("{"))!,
  );
  const loss = plots.data["dvclive/plots/metrics/train/mse.tsv"][0].content.data.values;
  console.log(
    shade(
      `# Live's training curve: ${loss.length} points, mse ${loss[0].mse} -> ${loss.at(-1).mse}`,
    ),
  );
}
