/** `push`: upload tracked data to remote storage, with DVC's flags and messages. */
import type { Command } from "../argparse.ts";
import type { CliContext } from "../context.ts";
import { push } from "../../repo/push.ts";
import { defineTransfer } from "./_sync.ts";

export function register(program: Command, ctx: CliContext): void {
  defineTransfer(program, ctx, {
    name: "push",
    summary: "Upload tracked files or directories to remote storage.",
    run: push,
  });
}
