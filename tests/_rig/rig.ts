/**
 * Test rig: temp git repos and running the CLI. `cairn()` runs `main(argv)`
 * in-process (in a Worker of the test process, see cli_worker.ts: modules
 * load once per test module, not once per command); with `subprocess: true`,
 * an `env`, or CAIRN_TEST_SUBPROCESS=1 it spawns the real `scripts/cairn`
 * (the same command and permission set users get). Each test file keeps a few
 * subprocess cases per command family, so start-up and permissions stay tested.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CAIRN = join(ROOT, "scripts", "cairn");
export const FIXTURES = join(ROOT, "tests", "fixtures", "dvc3");

const dec = new TextDecoder();

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fixed, quiet git identity so commits are deterministic. */
export const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; stdin?: string },
): RunResult {
  const out = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: { ...GIT_ENV, ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

export interface CairnOptions {
  cwd: string;
  /** added to the environment: needs its own process, so implies `subprocess`. */
  env?: Record<string, string>;
  /** spawn the real `scripts/cairn` instead of calling main() in-process. */
  subprocess?: boolean;
}

/** Every call as a subprocess (compare, or rule out the in-process rig). */
const ALL_SUBPROCESS = !!Deno.env.get("CAIRN_TEST_SUBPROCESS");

/** Run `cairn ARGS` in `cwd` (in-process unless told otherwise; see the module comment). */
export function cairn(args: string[], opts: CairnOptions): RunResult {
  if (opts.subprocess || opts.env || ALL_SUBPROCESS) return run(CAIRN, args, opts);
  return callMain(args, opts.cwd);
}

let worker: Worker | undefined;
/** Minutes an in-process command may take before the rig fails the test instead of waiting on. */
const RIG_GIVE_UP_MIN = 10;
const ctl = new SharedArrayBuffer(8);
// deno-lint-ignore no-explicit-any
const data = new (SharedArrayBuffer as any)(1 << 16, {
  maxByteLength: 1 << 30,
}) as SharedArrayBuffer;

/** main(args) with `cwd`, in this process's cairn Worker; blocks like outputSync(). */
function callMain(args: string[], cwd: string): RunResult {
  worker ??= new Worker(new URL("./cli_worker.ts", import.meta.url), { type: "module" });
  const state = new Int32Array(ctl);
  Atomics.store(state, 0, 0);
  worker.postMessage({ argv: args, cwd, ctl, data });
  let waited = 0;
  while (Atomics.wait(state, 0, 0, 60_000) === "timed-out") {
    console.error(`rig: cairn ${args.join(" ")} still running after ${++waited} min`);
    // a Worker that died before it could answer (e.g. its module failed a type
    // check under `deno test` without --no-check) would otherwise hang the run
    if (waited >= RIG_GIVE_UP_MIN) {
      worker.terminate();
      worker = undefined;
      throw new Error(`rig: cairn ${args.join(" ")} gave no answer in ${waited} min`);
    }
  }
  const bytes = new Uint8Array(data, 0, Atomics.load(state, 1)).slice();
  return JSON.parse(dec.decode(bytes)) as RunResult;
}

/** Like cairn() but throws with the output when the exit code is not 0. */
export function cairnOk(args: string[], opts: CairnOptions): RunResult {
  const r = cairn(args, opts);
  if (r.code !== 0) {
    throw new Error(
      `cairn ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`,
    );
  }
  return r;
}

export function git(args: string[], cwd: string): string {
  const r = run("git", args, { cwd });
  if (r.code !== 0) {
    throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`);
  }
  return r.stdout;
}

/** Write files given as {relative path: content}; creates parent dirs. */
export function writeFiles(
  root: string,
  files: Record<string, string | Uint8Array>,
): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    Deno.mkdirSync(dirname(p), { recursive: true });
    if (typeof content === "string") Deno.writeTextFileSync(p, content);
    else Deno.writeFileSync(p, content);
  }
}

export function readText(root: string, rel: string): string {
  return Deno.readTextFileSync(join(root, rel));
}

export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A fresh temp dir, optionally `git init` + `cairn init` + first commit. */
export function makeRepo(
  opts: { git?: boolean; init?: boolean; commit?: boolean } = {},
): string {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-test-" });
  if (opts.git !== false) git(["init", "-q", "-b", "main"], dir);
  if (opts.init !== false) {
    cairnOk(opts.git === false ? ["init", "--no-scm"] : ["init"], { cwd: dir });
    if (opts.git !== false && opts.commit !== false) {
      git(["commit", "-qm", "init"], dir);
    }
  }
  return dir;
}

/** Copy a fixture repo into a temp dir, renaming `_gitignore` back to `.gitignore`. */
export function copyFixtureRepo(
  rel: string,
  opts: { git?: boolean } = {},
): string {
  const dest = Deno.makeTempDirSync({ prefix: "cairn-fixture-" });
  const r = run("cp", ["-a", join(FIXTURES, rel) + "/.", dest], { cwd: dest });
  if (r.code !== 0) throw new Error(r.stderr);
  run("chmod", ["-R", "u+w", dest], { cwd: dest });
  const found = run("find", [dest, "-name", "_gitignore"], { cwd: dest }).stdout
    .split("\n").filter(Boolean);
  for (const f of found) Deno.renameSync(f, join(dirname(f), ".gitignore"));
  Deno.mkdirSync(join(dest, ".dvc", "tmp"), { recursive: true });
  if (opts.git !== false) {
    git(["init", "-q", "-b", "main"], dest);
    git(["add", "-A"], dest);
    run("git", ["commit", "-qm", "pipeline"], {
      cwd: dest,
      env: {
        GIT_AUTHOR_NAME: "Fixture Maker",
        GIT_AUTHOR_EMAIL: "fixtures@example.invalid",
        GIT_COMMITTER_NAME: "Fixture Maker",
        GIT_COMMITTER_EMAIL: "fixtures@example.invalid",
        GIT_AUTHOR_DATE: "2024-01-01T00:00:00+0000",
        GIT_COMMITTER_DATE: "2024-01-01T00:00:00+0000",
      },
    });
  }
  return dest;
}

export function removeDir(dir: string): void {
  try {
    run("chmod", ["-R", "u+w", dir], { cwd: "/" });
    Deno.removeSync(dir, { recursive: true });
  } catch { /* already gone */ }
}
