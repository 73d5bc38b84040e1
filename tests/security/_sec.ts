/**
 * Shared helpers for tests/security: run the real CLI with a watchdog (a
 * hostile input must not make cairn hang; the watchdog turns a hang into a
 * failed assertion instead of a stuck suite), and run it as an unprivileged
 * user (CI runs as root; the sandbox and file permissions behave differently
 * for a normal user).
 */
import { CAIRN, GIT_ENV, run } from "../_rig/rig.ts";

const dec = new TextDecoder();

export interface WatchedRun {
  code: number;
  stdout: string;
  stderr: string;
  /** true when the watchdog had to kill cairn (it hung). */
  killed: boolean;
}

/** Seconds after which a run counts as hung (far above any normal run). */
export const HANG_SECONDS = 120;

/** Run `argv` in `cwd`, killing it (and reporting so) if it does not end on its own. */
export async function runWatched(
  argv: string[],
  opts: { cwd: string; env?: Record<string, string>; clearEnv?: boolean },
): Promise<WatchedRun> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: opts.cwd,
    env: { ...GIT_ENV, ...opts.env },
    clearEnv: opts.clearEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, HANG_SECONDS * 1000);
  const out = await child.output();
  clearTimeout(timer);
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), killed };
}

/** `scripts/cairn ARGS` with a watchdog. */
export function cairnWatched(
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<WatchedRun> {
  return runWatched([CAIRN, ...args], opts);
}

/** The unprivileged account the tests use when run as root. */
export const TEST_USER = "cairn-sec";

export interface Unprivileged {
  user: string;
  uid: number;
  gid: number;
  home: string;
  /** DENO_DIR the user can write (a copy of root's cache, so no download is needed). */
  denoDir: string;
}

let prepared: Unprivileged | null | undefined;

/**
 * An unprivileged user to run cairn as (created with useradd when missing).
 * Returns null when the tests do not run as root (then they already run
 * unprivileged).
 */
export function unprivilegedUser(): Unprivileged | null {
  if (prepared !== undefined) return prepared;
  if (Deno.uid() !== 0) return (prepared = null);
  const have = run("id", ["-u", TEST_USER], { cwd: "/" });
  if (have.code !== 0) {
    const r = run("useradd", ["-m", "-s", "/bin/bash", TEST_USER], { cwd: "/" });
    if (r.code !== 0 && !/already exists/.test(r.stderr)) {
      throw new Error(`useradd ${TEST_USER} failed: ${r.stderr}`);
    }
  }
  const uid = Number(run("id", ["-u", TEST_USER], { cwd: "/" }).stdout.trim());
  const gid = Number(run("id", ["-g", TEST_USER], { cwd: "/" }).stdout.trim());
  const home = run("sh", ["-c", `getent passwd ${TEST_USER} | cut -d: -f6`], { cwd: "/" }).stdout
    .trim();
  const denoDir = `${home}/.cache/deno`;
  const rootDeno = new TextDecoder().decode(
    new Deno.Command("deno", { args: ["info", "--json"], stdout: "piped", stderr: "null" })
      .outputSync().stdout,
  );
  const src = (JSON.parse(rootDeno) as { denoDir: string }).denoDir;
  if (src !== denoDir) {
    // Same modules the suite already downloaded, added to every run so a new dependency is
    // there too. No-clobber (cache paths are content- or version-keyed) and under a lock:
    // test files run in parallel, and one may be running cairn as the user meanwhile.
    run("mkdir", ["-p", denoDir], { cwd: "/" });
    const r = run("flock", [
      `${home}/.cache/deno.lock`,
      "cp",
      "-a",
      "-n",
      "--no-preserve=ownership",
      `${src}/.`,
      `${denoDir}/`,
    ], { cwd: "/" });
    if (r.code !== 0) throw new Error(`copying the Deno cache failed: ${r.stderr}`);
  }
  run("chown", ["-R", `${uid}:${gid}`, home], { cwd: "/" });
  return (prepared = { user: TEST_USER, uid, gid, home, denoDir });
}

/** Give `dir` (a test repo) to the unprivileged user. */
export function chownTo(u: Unprivileged, dir: string): void {
  const r = run("chown", ["-R", `${u.uid}:${u.gid}`, dir], { cwd: "/" });
  if (r.code !== 0) throw new Error(r.stderr);
}

/** `scripts/cairn ARGS` as the unprivileged user, with a watchdog. */
export function cairnAsUser(
  u: Unprivileged,
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<WatchedRun> {
  const env: Record<string, string> = {
    ...GIT_ENV,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: u.home,
    USER: u.user,
    LOGNAME: u.user,
    DENO_DIR: u.denoDir,
    DENO_NO_UPDATE_CHECK: "1",
    ...opts.env,
  };
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return runWatched(
    [
      "setpriv",
      `--reuid=${u.uid}`,
      `--regid=${u.gid}`,
      "--init-groups",
      "--",
      "env",
      "-i",
      ...envArgs,
      CAIRN,
      ...args,
    ],
    { cwd: opts.cwd },
  );
}
