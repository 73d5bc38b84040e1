/**
 * CAIRN_TRACE: the profile a user sends with a slow-command report. Each span
 * names its wall time, CPU time and the process's peak RSS when it ended (which
 * phase made the memory grow), and the exit line the totals.
 */
import { assert, assertMatch } from "../_rig/assert.ts";
import { cairnOk, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";

Deno.test("CAIRN_TRACE prints phases with CPU and peak RSS, and the totals at exit", () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, { "data/a.txt": "a\n", "data/b.txt": "b\n" });
    const r = cairnOk(["add", "data"], { cwd: repo, env: { CAIRN_TRACE: "1" } });
    assertMatch(r.stderr, /trace: +[0-9.]+ ms {2}@ modules loaded/);
    const spans = [
      ...r.stderr.matchAll(
        /trace: +[0-9.]+ ms {2}([^@\n][^\n]*), cpu \d+ ms \(all threads\), peak rss (\d+) MiB/g,
      ),
    ];
    assert(spans.some((m) => m[1].startsWith("walk")), r.stderr);
    const exit = /@ exit, cpu \d+ ms, peak rss (\d+) MiB/.exec(r.stderr);
    assert(exit, r.stderr);
    // a Deno process is tens of MiB; the peak never goes down, so no span's exceeds the exit's
    assert(Number(exit[1]) >= 10, r.stderr);
    for (const m of spans) assert(Number(m[2]) >= 10 && Number(m[2]) <= Number(exit[1]), m[0]);
  } finally {
    removeDir(repo);
  }
});
