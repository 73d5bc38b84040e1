/** `fetch`: download tracked data from remote storage into the cache. */
import type { Command } from "../argparse.ts";
import type { CliContext } from "../context.ts";
import { fetch } from "../../repo/fetch.ts";
import { defineTransfer } from "./_sync.ts";

export function register(program: Command, ctx: CliContext): void {
  defineTransfer(program, ctx, {
    name: "fetch",
    summary: "Download files or directories from remote storage to the cache.",
    run: fetch,
  });
}
