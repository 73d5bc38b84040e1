/**
 * Issue 10 item 6: a sandboxed stage must not hand cairn what it could not
 * see itself. Real bwrap, real `cairn repro`, as root and as an unprivileged
 * user. Each escape is first a stage that tries it; the assertions are that
 * the stage fails naming the output or control file, that the hidden
 * content appears nowhere (output, cache, dvc.lock) and that cairn ended on
 * its own (a FIFO or /dev/zero must not make it hang or eat memory).
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { exists, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import {
  cairnAsUser,
  cairnWatched,
  chownTo,
  type Unprivileged,
  unprivilegedUser,
  type WatchedRun,
} from "./_sec.ts";

const SECRET = `host-secret-${crypto.randomUUID()}`;

/** Every file under `dir` (following nothing) whose content contains `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (e.isFile && Deno.readTextFileSync(p).includes(needle)) hits.push(p);
    }
  };
  if (exists(dir)) walk(dir);
  return hits;
}

interface Case {
  name: string;
  policy: "on" | "hermetic";
  /** the stage command; SECRET_PATH is replaced by the hidden file's path. */
  cmd: string;
  outs: string[];
  /** where the hidden file lives: the host's /tmp, an undeclared project file, another user's 0600 file. */
  hidden: "tmp" | "project" | "other-user";
  /** what the error must say. */
  expect: RegExp[];
  /** run as root only (the case is about what root can read and the sandbox cannot). */
  rootOnly?: boolean;
  /** paths (relative to the repo) that must not be left as links/special files. */
  gone?: string[];
  /** Landlock: what the error must say instead (its control data is out of the stage's reach). */
  landlockExpect?: RegExp[];
}

const CASES: Case[] = [
  {
    name: "on: output symlink to a host /tmp file the sandbox hides",
    policy: "on",
    cmd: "ln -s SECRET_PATH out.txt",
    outs: ["out.txt"],
    hidden: "tmp",
    expect: [/output 'out\.txt' is a symlink to '\/tmp\/[^']+', which the sandbox hid/],
    gone: ["out.txt"],
  },
  {
    name: "on: symlink to a hidden file deep inside an output folder",
    policy: "on",
    cmd: "mkdir -p d/sub && echo ok > d/a.txt && ln -s SECRET_PATH d/sub/x",
    outs: ["d"],
    hidden: "tmp",
    expect: [/output 'd\/sub\/x' is a symlink/, /the sandbox hid/],
    gone: ["d/sub/x"],
  },
  {
    name: "on: chain of links (one output to another, that one to a hidden file)",
    policy: "on",
    cmd: "mkdir d && ln -s SECRET_PATH d/hop && ln -s d/hop out.txt",
    outs: ["out.txt", "d"],
    hidden: "tmp",
    expect: [/output 'out\.txt' is a symlink to 'd\/hop' \(\/tmp\//, /output 'd\/hop'/],
    gone: ["out.txt", "d/hop"],
  },
  {
    name: "hermetic: output symlink to an undeclared project file",
    policy: "hermetic",
    cmd: "ln -s secret.txt out.txt",
    outs: ["out.txt"],
    hidden: "project",
    expect: [/output 'out\.txt' is a symlink to 'secret\.txt'/, /the sandbox hid/],
    gone: ["out.txt"],
  },
  {
    name: "hermetic: output symlink to an undeclared project file through ../",
    policy: "hermetic",
    cmd: "mkdir -p o && ln -s ../secret.txt o/x",
    outs: ["o"],
    hidden: "project",
    expect: [/output 'o\/x' is a symlink to '\.\.\/secret\.txt'/],
    gone: ["o/x"],
  },
  {
    name: "on (root): output symlink to another user's private file",
    policy: "on",
    cmd: "ln -s SECRET_PATH out.txt",
    outs: ["out.txt"],
    hidden: "other-user",
    expect: [/output 'out\.txt' is a symlink to '[^']+', which the stage could not read/],
    rootOnly: true,
    gone: ["out.txt"],
  },
  {
    name: "on: output is a FIFO (cairn would block hashing it)",
    policy: "on",
    cmd: "mkfifo out.txt",
    outs: ["out.txt"],
    hidden: "tmp",
    expect: [/output 'out\.txt' is a FIFO, not a file or folder/],
    gone: ["out.txt"],
  },
  {
    name: "on: output symlink to /dev/zero (endless) and /proc (cairn's own)",
    policy: "on",
    cmd: "mkdir d && ln -s /dev/zero d/z && ln -s /proc/self/environ d/e",
    outs: ["d"],
    hidden: "tmp",
    expect: [/output 'd\/z' is a symlink to '\/dev\/zero', a device/, /output 'd\/e'/],
    gone: ["d/z", "d/e"],
  },
  {
    name: "control file: leftover list replaced by a symlink to a hidden host file",
    policy: "on",
    cmd: "echo ok > out.txt && ln -sf SECRET_PATH /tmp/.cairn/leftover",
    outs: ["out.txt"],
    hidden: "tmp",
    expect: [/replaced cairn's control file \/tmp\/\.cairn\/leftover \(it is a symlink/],
    landlockExpect: [/\/tmp\/\.cairn/],
  },
  {
    name: "control file: leftover list replaced by a FIFO (cairn would hang)",
    policy: "on",
    cmd: "echo ok > out.txt && mkfifo /tmp/.cairn/leftover",
    outs: ["out.txt"],
    hidden: "tmp",
    expect: [/control file \/tmp\/\.cairn\/leftover \(it is a FIFO/],
    landlockExpect: [/\/tmp\/\.cairn/],
  },
  {
    name: "control file: leftover list -> /dev/zero (cairn would read forever)",
    policy: "on",
    cmd: "echo ok > out.txt && ln -sf /dev/zero /tmp/.cairn/leftover",
    outs: ["out.txt"],
    hidden: "tmp",
    expect: [/control file \/tmp\/\.cairn\/leftover \(it is a symlink/],
    landlockExpect: [/\/tmp\/\.cairn/],
  },
  {
    name: "control file: exit code file replaced by a symlink",
    policy: "on",
    cmd: "echo ok > out.txt && ln -sf SECRET_PATH /tmp/.cairn/rc && exit 3",
    outs: ["out.txt"],
    hidden: "tmp",
    // The wrapper writes rc through the link (into the sandbox's own /tmp); the host refuses it.
    expect: [/control file \/tmp\/\.cairn\/rc \(it is a symlink/],
    landlockExpect: [/\/tmp\/\.cairn/],
  },
  {
    name: "control file: strace trace replaced by a symlink (hermetic, traced)",
    policy: "hermetic",
    cmd: "echo ok > out.txt && rm -f /tmp/.cairn/trace && ln -s SECRET_PATH /tmp/.cairn/trace",
    outs: ["out.txt"],
    hidden: "tmp",
    expect: [/control file \/tmp\/\.cairn\/trace \(it is a symlink/],
    landlockExpect: [/\/tmp\/\.cairn/],
  },
];

interface Setup {
  repo: string;
  secretPath: string;
  cleanup: () => void;
}

function setup(c: Case, user: Unprivileged | null): Setup {
  const repo = makeRepo();
  let secretPath: string;
  let extra = "";
  if (c.hidden === "project") {
    writeFiles(repo, { "secret.txt": SECRET + "\n" });
    secretPath = `${repo}/secret.txt`;
  } else if (c.hidden === "other-user") {
    const u = unprivilegedUser()!;
    secretPath = `${u.home}/private-${crypto.randomUUID()}.txt`;
    Deno.writeTextFileSync(secretPath, SECRET + "\n");
    Deno.chownSync(secretPath, u.uid, u.gid);
    Deno.chmodSync(secretPath, 0o600);
  } else {
    secretPath = Deno.makeTempFileSync({ prefix: "cairn-hidden-" });
    Deno.writeTextFileSync(secretPath, SECRET + "\n");
    Deno.chmodSync(secretPath, 0o644);
    if (user) Deno.chownSync(secretPath, user.uid, user.gid);
  }
  if (c.policy === "hermetic") extra = "    deps: [in.txt]\n";
  writeFiles(repo, {
    "in.txt": "in\n",
    "dvc.yaml": [
      "stages:",
      "  s:",
      `    cmd: ${JSON.stringify(c.cmd.replaceAll("SECRET_PATH", secretPath))}`,
      extra.trimEnd(),
      `    outs: [${c.outs.join(", ")}]`,
      "",
    ].filter((l) => l !== "").join("\n") + "\n",
  });
  git(["add", "-A"], repo);
  git(["commit", "-qm", "pipeline"], repo);
  if (user) chownTo(user, repo);
  return {
    repo,
    secretPath,
    cleanup: () => {
      removeDir(repo);
      try {
        Deno.removeSync(secretPath);
      } catch { /* gone */ }
    },
  };
}

function checkRefused(c: Case, s: Setup, r: WatchedRun, backend: Backend): void {
  assert(!r.killed, `cairn hung (killed by the watchdog)\n${r.stdout}\n${r.stderr}`);
  const all = r.stdout + r.stderr;
  assert(r.code !== 0, `the stage should have failed\n${all}`);
  // Landlock: an output in a folder with other files is a file only the stage may write
  // (placeholder), so links, FIFOs and folders there are refused when made, not after.
  const expect = backend === "landlock"
    ? c.landlockExpect ??
      [/failed to reproduce 's'/, /File exists|Permission denied|Not a directory/]
    : c.expect;
  for (const e of expect) assertMatch(all, e);
  assert(!all.includes(SECRET), `cairn printed the hidden file's content:\n${all}`);
  assertEquals(filesContaining(`${s.repo}/.dvc/cache`, SECRET), [], "hidden content cached");
  assert(!exists(`${s.repo}/dvc.lock`), "the failed stage got a dvc.lock entry");
  for (const g of c.gone ?? []) {
    const st = exists(`${s.repo}/${g}`) ? Deno.lstatSync(`${s.repo}/${g}`) : null;
    assert(!st || st.isFile || st.isDirectory, `${g} left behind as a link/special file`);
  }
}

type Backend = "bwrap" | "landlock";

for (const backend of ["bwrap", "landlock"] as Backend[]) {
  const flags = (c: Case) => ["repro", `--sandbox=${c.policy}`, `--sandbox-backend=${backend}`];
  for (const c of CASES) {
    const who = Deno.uid() === 0 ? "root" : "user";
    Deno.test(`sandbox outputs (${backend}): ${c.name} (as ${who})`, async () => {
      const s = setup(c, null);
      try {
        const r = await cairnWatched(flags(c), { cwd: s.repo });
        checkRefused(c, s, r, backend);
      } finally {
        s.cleanup();
      }
    });
    if (c.rootOnly) continue;
    Deno.test(`sandbox outputs (${backend}): ${c.name} (unprivileged user)`, async () => {
      const u = unprivilegedUser();
      if (!u) return; // the suite already runs unprivileged: the case above is this one
      const s = setup(c, u);
      try {
        const r = await cairnAsUser(u, flags(c), { cwd: s.repo });
        checkRefused(c, s, r, backend);
      } finally {
        s.cleanup();
      }
    });
  }
}

Deno.test("sandbox outputs: links the stage could read itself, and links between its own outputs, are kept", async () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, {
      "in.txt": "in\n",
      "dvc.yaml": [
        "stages:",
        "  s:",
        `    cmd: "mkdir d && echo a > d/a.txt && ln -s a.txt d/b && ln -s ../in.txt d/c && ln -s /etc/hostname host.txt"`,
        "    deps: [in.txt]",
        "    outs: [d, host.txt]",
        "",
      ].join("\n"),
    });
    git(["add", "-A"], repo);
    git(["commit", "-qm", "pipeline"], repo);
    for (const policy of ["on", "hermetic"]) {
      const r = await cairnWatched(["repro", "-f", `--sandbox=${policy}`], { cwd: repo });
      assertEquals(r.code, 0, `${policy}: ${r.stdout}\n${r.stderr}`);
      assertEquals(Deno.readTextFileSync(`${repo}/d/b`), "a\n");
      assertEquals(Deno.readTextFileSync(`${repo}/d/c`), "in\n");
      assertEquals(
        Deno.readTextFileSync(`${repo}/host.txt`),
        Deno.readTextFileSync("/etc/hostname"),
      );
      removeDir(`${repo}/d`);
      Deno.removeSync(`${repo}/host.txt`);
    }
  } finally {
    removeDir(repo);
  }
});

Deno.test("sandbox outputs: a persisted output checked out as a link into the cache stays usable (hermetic)", async () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, {
      "in.txt": "in\n",
      "dvc.yaml": [
        "stages:",
        "  s:",
        `    cmd: "[ -e keep.txt ] || echo kept > keep.txt; cat in.txt > out.txt"`,
        "    deps: [in.txt]",
        "    outs: [out.txt, {keep.txt: {persist: true}}]",
        "",
      ].join("\n"),
    });
    const cfg = await cairnWatched(["config", "cache.type", "symlink"], { cwd: repo });
    assertEquals(cfg.code, 0, cfg.stderr);
    git(["add", "-A"], repo);
    git(["commit", "-qm", "pipeline"], repo);
    const first = await cairnWatched(["repro"], { cwd: repo });
    assertEquals(first.code, 0, first.stdout + first.stderr);
    assert(Deno.lstatSync(`${repo}/keep.txt`).isSymlink, "checkout did not link keep.txt");
    const r = await cairnWatched(["repro", "-f", "--sandbox=hermetic"], { cwd: repo });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertEquals(Deno.readTextFileSync(`${repo}/keep.txt`), "kept\n");
  } finally {
    removeDir(repo);
  }
});

Deno.test("sandbox outputs: a persisted output planted as a link to a hidden file is still refused", async () => {
  const repo = makeRepo();
  const secret = Deno.makeTempFileSync({ prefix: "cairn-hidden-" });
  try {
    Deno.writeTextFileSync(secret, SECRET + "\n");
    writeFiles(repo, {
      "in.txt": "in\n",
      "dvc.yaml": [
        "stages:",
        "  s:",
        `    cmd: "cat in.txt > out.txt"`,
        "    deps: [in.txt]",
        "    outs: [out.txt, {keep.txt: {persist: true}}]",
        "",
      ].join("\n"),
    });
    Deno.symlinkSync(secret, `${repo}/keep.txt`);
    git(["add", "-A"], repo);
    git(["commit", "-qm", "pipeline with a planted link"], repo);
    const r = await cairnWatched(["repro", "--sandbox=on"], { cwd: repo });
    assert(r.code !== 0, r.stdout + r.stderr);
    assertMatch(
      r.stderr,
      /output 'keep\.txt' is a symlink to '\/tmp\/[^']+', which the sandbox hid/,
    );
    assertEquals(filesContaining(`${repo}/.dvc/cache`, SECRET), []);
  } finally {
    removeDir(repo);
    Deno.removeSync(secret);
  }
});
