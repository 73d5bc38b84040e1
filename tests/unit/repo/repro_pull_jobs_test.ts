import { assertEquals } from "../../_rig/assert.ts";
import { pullOptionsFor } from "../../../lib/repo/reproduce.ts";

// `repro -j` counts stages; the transfers of `repro --pull` keep the remote's
// `jobs` (or DVC's default) unless transferJobs says otherwise.
Deno.test("repro --pull: -j does not reach the transfer engine", () => {
  assertEquals(pullOptionsFor({ jobs: 1 }).jobs, undefined);
  assertEquals(pullOptionsFor({ jobs: 6, pull: true }).jobs, undefined);
});

Deno.test("repro --pull: transferJobs does", () => {
  assertEquals(pullOptionsFor({ jobs: 1, transferJobs: 16 }).jobs, 16);
});
