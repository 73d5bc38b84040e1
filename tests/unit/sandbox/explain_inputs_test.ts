/** strace parsing and explain-inputs on real strace output. */
import { assert, assertEquals, assertStrictEquals } from "../../_rig/assert.ts";
import { parseStrace, straceArgs } from "../../../lib/sandbox/strace.ts";
import { explainInputs, traceInputs } from "../../../lib/sandbox/explain_inputs.ts";
import { hostEnv, makeProject, type Project } from "./_fixture.ts";

/** Run `cmd` under the same strace flags cairn uses; return the trace lines. */
async function strace(p: Project, cmd: string, cwd = p.root): Promise<string[]> {
  const out = `${p.outside}/trace`;
  const r = await new Deno.Command("strace", {
    args: [...straceArgs(out), "--", "/bin/sh", "-c", cmd],
    cwd,
    stdout: "null",
    stderr: "null",
  }).output();
  assert(r.code === 0 || r.code === 1, `strace exit ${r.code}`);
  const lines = Deno.readTextFileSync(out).split("\n");
  Deno.removeSync(out);
  return lines;
}

Deno.test("strace: real trace gives absolute paths, cwd changes, children, writes, connects", async () => {
  const p = await makeProject();
  const srv = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (srv.addr as Deno.NetAddr).port;
  srv.close(); // a port nobody listens on: connect -> ECONNREFUSED
  try {
    Deno.writeTextFileSync(`${p.root}/data/sp ace "q".txt`, "x\n");
    const lines = await strace(
      p,
      [
        "cat data/raw.csv > /dev/null",
        `cat 'data/sp ace "q".txt' > /dev/null`,
        "cat nothere 2>/dev/null",
        "(cd data && mkdir newdir && cat raw.csv > /dev/null)",
        "echo x > out.txt",
        `curl -s --noproxy '*' http://127.0.0.1:${closedPort}/ || true`,
      ].join("; "),
    );
    const ev = parseStrace(lines, { cwd: p.root });
    const opened = ev.filter((e) => e.syscall === "openat" && e.ret >= 0 && !e.write)
      .map((e) => e.paths[0]);
    assert(opened.includes(`${p.root}/data/raw.csv`));
    assert(opened.includes(`${p.root}/data/sp ace "q".txt`), "escaped quotes decoded");
    const missing = ev.find((e) => e.paths[0] === `${p.root}/nothere`);
    assertStrictEquals(missing?.errno, "ENOENT");
    // mkdir("newdir") in a child after `cd data`: resolved against the child's cwd.
    const mk = ev.find((e) => e.syscall === "mkdir");
    assertStrictEquals(mk?.paths[0], `${p.root}/data/newdir`);
    assertStrictEquals(mk?.write, true);
    const w = ev.find((e) => e.paths[0] === `${p.root}/out.txt`);
    assertStrictEquals(w?.write, true);
    assertStrictEquals(w?.opened, `${p.root}/out.txt`);
    const c = ev.find((e) => e.addr?.family === "inet" && e.addr.port === closedPort);
    assertStrictEquals(c?.addr?.host, "127.0.0.1");
    assert(c?.errno === "ECONNREFUSED" || c?.errno === "EINPROGRESS", c?.errno);
  } finally {
    await p.cleanup();
  }
});

Deno.test("strace: -f unfinished/resumed lines are joined (captured output)", () => {
  // Captured from `strace -f -qq -y` on this machine.
  const lines = [
    '8574  openat(AT_FDCWD</w>, "/dev/null", O_RDONLY <unfinished ...>',
    '8573  newfstatat(AT_FDCWD</etc>, "/root/.cargo/bin/cat",  <unfinished ...>',
    "8574  <... openat resumed>)             = 0</dev/null>",
    "8573  <... newfstatat resumed>0x7ffe, 0) = -1 ENOENT (No such file or directory)",
    "8573  vfork( <unfinished ...>",
    "8573  <... vfork resumed>)              = 8575",
    '8575  openat(AT_FDCWD</w/sub>, "a.csv", O_RDONLY|O_CLOEXEC) = 3</w/sub/a.csv>',
    '8575  execve("./run.sh", ["./run.sh"], 0x55 /* 35 vars */) = 0',
    "8576  --- SIGCHLD {si_signo=SIGCHLD} ---",
    "8576  +++ exited with 0 +++",
  ];
  const ev = parseStrace(lines, { cwd: "/w" });
  assertEquals(
    ev.map((e) => [e.pid, e.syscall, e.paths[0], e.ret, e.errno ?? null, e.opened ?? null]),
    [
      [8574, "openat", "/dev/null", 0, null, "/dev/null"],
      [8573, "newfstatat", "/root/.cargo/bin/cat", -1, "ENOENT", null],
      [8575, "openat", "/w/sub/a.csv", 3, null, "/w/sub/a.csv"],
      [8575, "execve", "/w/sub/run.sh", 0, null, null],
    ],
  );
});

Deno.test("explain-inputs: read-but-undeclared and declared-but-unread from a real trace", async () => {
  const p = await makeProject();
  try {
    Deno.mkdirSync(`${p.root}/images`);
    for (let i = 0; i < 5; i++) Deno.writeTextFileSync(`${p.root}/images/${i}.png`, `${i}`);
    Deno.writeTextFileSync(`${p.root}/src/run.sh`, "cat data/raw.csv src/helper.py > /dev/null\n");
    Deno.chmodSync(`${p.root}/src/run.sh`, 0o755);
    const lines = await strace(
      p,
      "./src/run.sh; cat images/* > /dev/null; [ -f params.yaml ]; ls data > /dev/null; cat .git/HEAD > /dev/null; echo y > data/features.csv; cat data/features.csv > /dev/null",
    );
    const report = explainInputs(lines, {
      cwd: p.root,
      repoRoot: p.root,
      deps: ["src/run.sh", "data/raw.csv", "params.yaml", "models/"],
      outs: ["data/features.csv"],
      cacheDir: p.cacheDir,
    });
    assertEquals(report.readUndeclared, [
      "images/0.png",
      "images/1.png",
      "images/2.png",
      "images/3.png",
      "images/4.png",
      "src/helper.py",
    ]);
    // a stat ([ -f ]) is not a read; .git and the stage's own output are not inputs.
    assertEquals(report.declaredUnread, ["params.yaml", "models/"]);
    assertEquals(report.declaredRead, ["src/run.sh", "data/raw.csv"]);
    assertEquals(report.suggestedDeps, [
      "src/run.sh",
      "data/raw.csv",
      "images",
      "src/helper.py",
    ]);
    assertStrictEquals(
      report.suggestion,
      [
        "add to deps (read but not declared):",
        "  - images",
        "  - src/helper.py",
        "remove from deps (declared but never read):",
        "  - params.yaml",
        "  - models/",
        "deps:",
        "  - src/run.sh",
        "  - data/raw.csv",
        "  - images",
        "  - src/helper.py",
      ].join("\n"),
    );
  } finally {
    await p.cleanup();
  }
});

Deno.test("explain-inputs: a stage in a subfolder gets paths relative to its wdir", async () => {
  const p = await makeProject();
  try {
    Deno.mkdirSync(`${p.root}/sub`);
    Deno.writeTextFileSync(`${p.root}/sub/in.txt`, "x");
    const lines = await strace(p, "cat in.txt ../data/raw.csv > /dev/null", `${p.root}/sub`);
    const r = explainInputs(lines, { cwd: `${p.root}/sub`, repoRoot: p.root, deps: ["in.txt"] });
    assertEquals(r.readUndeclared, ["../data/raw.csv"]);
    assertEquals(r.declaredUnread, []);
  } finally {
    await p.cleanup();
  }
});

for (const policy of ["off", "on"] as const) {
  Deno.test(`explain-inputs: traceInputs runs the command (policy ${policy})`, async () => {
    const p = await makeProject();
    try {
      const r = await traceInputs("cat data/raw.csv data/other.csv > data/features.csv", {
        cwd: p.root,
        repoRoot: p.root,
        cacheDir: p.cacheDir,
        env: hostEnv(),
        deps: ["data/raw.csv", "params.yaml"],
        outs: ["data/features.csv"],
        policy,
      });
      assertStrictEquals(r.exitCode, 0);
      assertEquals(r.report.readUndeclared, ["data/other.csv"]);
      assertEquals(r.report.declaredUnread, ["params.yaml"]);
      assertStrictEquals(
        Deno.readTextFileSync(`${p.root}/data/features.csv`),
        "a,b\n1,2\nundeclared\n",
      );
    } finally {
      await p.cleanup();
    }
  });
}
