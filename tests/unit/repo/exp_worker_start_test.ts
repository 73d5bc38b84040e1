import { assert, assertEquals, assertMatch, assertRejects } from "../../_rig/assert.ts";
import {
  startDetachedWorker,
  workerLogPath,
  WorkerStartError,
} from "../../../lib/repo/exp/worker.ts";
import { withRepo } from "./_repo.ts";

Deno.test("queue start's worker launch: a worker that fails says why (its stderr), one that finds nothing to do is fine", async () => {
  await withRepo(async (t) => {
    const repo = t.open();
    // an earlier start's lines stay in the log but are not this start's reason
    await startDetachedWorker(repo, ["sh", "-c", "echo 'old news' >&2; exit 0"]);
    const err = await assertRejects(
      () =>
        startDetachedWorker(repo, [
          "sh",
          "-c",
          "echo 'error: something broke in the worker' >&2; exit 3",
        ]),
      WorkerStartError,
    ) as WorkerStartError;
    assertMatch(err.message, /did not start: it exited with code 3:\nerror: something broke/);
    assert(!err.message.includes("old news"), err.message);
    assertEquals(err.hint, `its log: ${workerLogPath(repo)}`);
    // nothing ever takes the lock: a time limit, not a hang
    const slow = await assertRejects(
      () => startDetachedWorker(repo, ["sleep", "5"], 300),
      WorkerStartError,
    ) as WorkerStartError;
    assertMatch(slow.message, /did not take the queue within 300 ms/);
  });
});
