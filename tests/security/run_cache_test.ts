/**
 * Issue 10 item 1, run-cache variants: run-cache entries come from remotes
 * (`pull --run-cache`) and name output paths and their own storage keys.
 * A restored entry may only write the stage's own outputs, and a remote's
 * run-cache key may only name a file under the cache's `runs/`.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairnOk, exists, removeDir, writeFiles } from "../_rig/rig.ts";
import { transferRunCache } from "../../lib/cache/transfer.ts";
import type { Remote } from "../../lib/plugin/remote.ts";
import { makeArena, md5Hex, putObject, snapshot, snapshotDiff } from "./_paths.ts";

const PLANTED = "planted by a run-cache entry\n";

Deno.test("item 1: a run-cache entry naming an output the stage does not have is not restored", () => {
  const a = makeArena();
  try {
    writeFiles(a.ws, {
      "in.txt": "in\n",
      "dvc.yaml": "stages:\n  s:\n    cmd: cat in.txt > out.txt\n    deps:\n    - in.txt\n" +
        "    outs:\n    - out.txt\n",
    });
    cairnOk(["repro"], { cwd: a.ws });
    const runs = join(a.ws, ".dvc", "cache", "runs");
    const entries: string[] = [];
    const walk = (d: string) => {
      for (const e of Deno.readDirSync(d)) {
        if (e.isDirectory) walk(join(d, e.name));
        else entries.push(join(d, e.name));
      }
    };
    walk(runs);
    assertEquals(entries.length, 1);
    // what a hostile remote would serve under the same key: one more output, outside
    putObject(join(a.ws, ".dvc", "cache"), PLANTED);
    Deno.chmodSync(entries[0], 0o644);
    Deno.writeTextFileSync(
      entries[0],
      Deno.readTextFileSync(entries[0]) +
        `- path: ../planted.txt\n  hash: md5\n  md5: ${
          md5Hex(PLANTED)
        }\n  size: ${PLANTED.length}\n`,
    );
    Deno.removeSync(join(a.ws, "out.txt"));
    Deno.removeSync(join(a.ws, "dvc.lock"));
    const r = cairnOk(["repro"], { cwd: a.ws });
    assert(!exists(join(a.outer, "planted.txt")), `nothing written outside: ${r.stdout}`);
    assertEquals(Deno.readTextFileSync(join(a.ws, "out.txt")), "in\n", "the command ran instead");
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 1: a remote's run-cache keys cannot name a path outside runs/", async () => {
  const a = makeArena();
  try {
    const cache = join(a.ws, ".dvc", "cache");
    Deno.mkdirSync(cache, { recursive: true });
    const k = "ab" + "c".repeat(62);
    const good = `runs/ab/${k}/${"d".repeat(64)}`;
    const hostile = [
      "runs/../../../planted.txt",
      `runs/ab/${k}/../../../../../planted.txt`,
      "runs//abs",
      `runs/ab/${k}/.hidden`,
    ];
    // The hostile remote: lists what it likes and serves the same bytes for every key.
    const remote = {
      name: "hostile",
      config: {},
      list: () => Promise.resolve([good, ...hostile]),
      get: (items: { key: string; dest: string }[]) => {
        for (const it of items) Deno.writeTextFileSync(it.dest, "cmd: echo\n");
        return Promise.resolve(items.map(() => ({ ok: true, bytes: 10 })));
      },
    } as unknown as Remote;
    const before = snapshot(a.outer);
    const r = await transferRunCache(cache, remote, "pull");
    assertEquals(r.transferred, [good]);
    assertEquals(r.failed.map((f) => f.key).sort(), hostile.slice(0, 3).sort());
    for (const f of r.failed) assertMatch(f.error, /not a run-cache entry/);
    const diff = snapshotDiff(before, snapshot(a.outer)).split("\n").filter(Boolean);
    assertEquals(diff, [
      `+ ws/.dvc/cache/runs/ab/${k}/${"d".repeat(64)} (file:${md5Hex("cmd: echo\n")}:420)`,
    ]);
  } finally {
    removeDir(a.outer);
  }
});
