/** `freeze` / `unfreeze` stages. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";

export function register(program: Command, ctx: CliContext): void {
  for (
    const [name, frozen, help] of [
      ["freeze", true, "Freeze stages or .dvc files."],
      ["unfreeze", false, "Unfreeze stages or .dvc files."],
    ] as const
  ) {
    defineCommand(
      program,
      ctx,
      name,
      help,
      (c) => c.argument("<targets...>", "Stages or .dvc files to " + name + "."),
      async (targets: string[]) => {
        const { setStagesFrozen } = await import("../../repo/freeze.ts");
        const r = await setStagesFrozen(repoFor(ctx), targets, frozen);
        for (const m of r.modified) {
          if (m.stage.kind === "pipeline") {
            ctx.io.info(`Modifying stage '${m.name}' in '${m.file}'`);
          }
        }
      },
    );
  }
}
