/** `dag` (and the seeds' `pipeline show --ascii`): draw the pipeline. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";

interface DagFlags {
  dot?: boolean;
  mermaid?: boolean;
  md?: boolean;
  ascii?: boolean;
  full?: boolean;
  outs?: boolean;
}

async function show(ctx: CliContext, target: string | undefined, o: DagFlags): Promise<void> {
  const { dag } = await import("../../repo/dag.ts");
  const { renderAscii, renderDot, renderMermaid } = await import("../render/dag.ts");
  const repo = repoFor(ctx);
  const g = dag(repo, target, { outs: o.outs, full: o.full });
  // DVC's ui.write: nothing with -q; with no stage at all the (empty) drawing is one newline
  if (o.dot) ctx.io.info(renderDot(g));
  else if (o.mermaid || o.md) ctx.io.info(renderMermaid(g, !!o.md));
  else ctx.io.info(renderAscii(g));
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "dag",
    "Visualize DVC project DAG.",
    (c) =>
      c.argument("[target]", "Stage name or output to show pipeline for.")
        .option("--dot", "Print DAG with .dot format.")
        .option("--mermaid", "Print DAG with mermaid format.")
        .option("--md", "Print DAG with mermaid format wrapped in Markdown block.")
        .option(
          "--full",
          "Show full DAG that the target belongs too, instead of showing DAG consisting only of ancestors.",
        )
        .option("-o, --outs", "Print output files instead of stages."),
    async (target: string | undefined, o: DagFlags) => {
      await show(ctx, target, o);
    },
  );
  const pipeline = program.command("pipeline").description(
    "Show pipelines (DVC 0.x/1.x; same as `dag`).",
  );
  defineCommand(
    pipeline,
    ctx,
    "show",
    "Show the pipeline of a stage (alias of `dag TARGET`).",
    (c) =>
      c.argument("[targets...]", "Stages or .dvc files to show pipeline for.")
        .option("--ascii", "Output DAG as ASCII (default).")
        .option("--dot", "Print DAG with .dot format.")
        .option("--mermaid", "Print DAG with mermaid format.")
        .option("-o, --outs", "Print output files instead of stages."),
    async (targets: string[], o: DagFlags) => {
      if (!targets.length) await show(ctx, undefined, o);
      for (const t of targets) await show(ctx, t, o);
    },
  );
}
