/** lib/sandbox/output_check.ts: the visibility rule and the control-file reader. */
import { assert, assertEquals, assertThrows } from "../../_rig/assert.ts";
import {
  checkOutputs,
  ControlFileTampered,
  readControlFile,
  seenAtSamePath,
} from "../../../lib/sandbox/output_check.ts";
import type { Mount } from "../../../lib/sandbox/bwrap.ts";

const MOUNTS: Mount[] = [
  { op: "ro", src: "/", dest: "/", why: "root" },
  { op: "tmpfs", dest: "/tmp", why: "private /tmp" },
  { op: "ro", src: "/tmp/proj", dest: "/tmp/proj", why: "project under /tmp" },
  { op: "rw", src: "/tmp/staging/0", dest: "/tmp/proj/out", why: "staging", staging: true },
];

Deno.test("seenAtSamePath: the last covering mount decides, and it must show the same host place", () => {
  assert(seenAtSamePath({ mounts: MOUNTS }, "/etc/hostname"));
  assert(!seenAtSamePath({ mounts: MOUNTS }, "/tmp/secret"), "private /tmp");
  assert(seenAtSamePath({ mounts: MOUNTS }, "/tmp/proj/in.txt"));
  assert(!seenAtSamePath({ mounts: MOUNTS }, "/tmp/proj/out/sibling"), "staging shows other files");
  assert(!seenAtSamePath({ mounts: MOUNTS }, "/proc/1/environ"), "the sandbox's own /proc");
  assert(!seenAtSamePath({ mounts: MOUNTS }, "/dev/shm/x"), "the sandbox's own /dev");
});

Deno.test("readControlFile: regular files only, never through a link, capped", () => {
  const d = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${d}/rc`, "0\n");
    assertEquals(readControlFile(`${d}/rc`, 64), "0\n");
    assertEquals(readControlFile(`${d}/absent`, 64), null);
    Deno.symlinkSync("/etc/hostname", `${d}/link`);
    assertThrows(() => readControlFile(`${d}/link`), ControlFileTampered);
    new Deno.Command("mkfifo", { args: [`${d}/fifo`] }).outputSync();
    assertThrows(() => readControlFile(`${d}/fifo`), ControlFileTampered); // no hang
    Deno.writeTextFileSync(`${d}/big`, "x".repeat(1000));
    assertThrows(() => readControlFile(`${d}/big`, 100), ControlFileTampered);
    assertEquals(readControlFile(`${d}/big`, 100, { truncate: true }), "x".repeat(100));
  } finally {
    Deno.removeSync(d, { recursive: true });
  }
});

Deno.test("checkOutputs: removes special files and links to hidden files, keeps the rest", () => {
  const base = Deno.makeTempDirSync({ dir: "/var/tmp" });
  try {
    const out = `${base}/out`;
    Deno.mkdirSync(out);
    Deno.writeTextFileSync(`${out}/a.txt`, "a");
    Deno.symlinkSync("a.txt", `${out}/b`);
    Deno.symlinkSync("/etc/hostname", `${out}/host`);
    Deno.symlinkSync("/tmp", `${out}/tmpdir`);
    new Deno.Command("mkfifo", { args: [`${out}/fifo`] }).outputSync();
    const mounts: Mount[] = [
      { op: "ro", src: "/", dest: "/", why: "root" },
      { op: "tmpfs", dest: "/tmp", why: "private /tmp" },
    ];
    const vs = checkOutputs({ mounts, outs: [out], cwd: base, repoRoot: base });
    assertEquals(vs.map((v) => v.subject).sort(), [`${out}/fifo`, `${out}/tmpdir`]);
    assert(vs.every((v) => v.fatal && v.kind === "output"));
    assertEquals([...Deno.readDirSync(out)].map((e) => e.name).sort(), ["a.txt", "b", "host"]);
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});
