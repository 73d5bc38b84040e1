/** `nb run` / `nb migrate`: notebooks as pipeline stages. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, printJson } from "../context.ts";

const enc = new TextEncoder();

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function register(program: Command, ctx: CliContext): void {
  const nb = program.command("nb").alias("notebook").description(
    "Run notebooks headless and turn them into pipeline stages.",
  );

  defineCommand(
    nb,
    ctx,
    "run",
    "Execute a notebook top to bottom (Deno notebooks under deno run; Python ones with papermill or nbconvert).",
    (c) =>
      c.argument("<notebook>", "The .ipynb file.")
        .option(
          "-p, --param <key=value>",
          "Set a parameter (papermill's convention: the cell tagged 'parameters'); repeatable.",
          collect,
        )
        .option("-o, --output <path>", "Write the executed notebook, outputs included, here.")
        .option(
          "--params-file <path>",
          "Read defaults for the parameters cell's names from this file.",
          "params.yaml",
        )
        .option("--no-params-file", "Do not read a params file."),
    async (
      notebook: string,
      opts: { param?: string[]; output?: string; paramsFile: string | false },
    ) => {
      const { parseParamArg } = await import("../../notebook/params.ts");
      const { runNotebook } = await import("../../notebook/run.ts");
      const params = Object.fromEntries((opts.param ?? []).map(parseParamArg));
      const write = (stream: "stdout" | "stderr", text: string) => {
        if (ctx.io.childOutput) ctx.io.childOutput(stream, enc.encode(text));
        else (stream === "stdout" ? Deno.stdout : Deno.stderr).writeSync(enc.encode(text));
      };
      await runNotebook(notebook, {
        cwd: ctx.cwd,
        params,
        output: opts.output,
        paramsFile: opts.paramsFile,
        onOutput: write,
      });
    },
  );

  defineCommand(
    nb,
    ctx,
    "migrate",
    "Turn a notebook into one script per stage plus dvc.yaml stages (deps/outs traced by running it once).",
    (c) =>
      c.argument("<notebook>", "The .ipynb file (Deno or Python).")
        .option(
          "--split <headings>",
          "Split at these markdown headings (comma-separated titles) instead of stage:NAME tags.",
        )
        .option("--dir <path>", "Folder for the stage scripts.", "stages")
        .option("--params-file <path>", "Where the parameters cell's values go.", "params.yaml")
        .option("-f, --force", "Overwrite existing scripts, stages and params.")
        .option("--json", "Print what was inferred as JSON."),
    async (
      notebook: string,
      opts: { split?: string; dir: string; paramsFile: string; force?: boolean; json?: boolean },
    ) => {
      const { migrateNotebook } = await import("../../notebook/migrate.ts");
      const r = await migrateNotebook(notebook, {
        cwd: ctx.cwd,
        split: opts.split?.split(",").map((s) => s.trim()).filter(Boolean),
        dir: opts.dir,
        paramsFile: opts.paramsFile,
        force: opts.force,
      });
      if (opts.json) {
        printJson(ctx, r);
        return;
      }
      for (const s of r.stages) {
        ctx.io.out(`stage '${s.name}': ${s.script}`);
        ctx.io.out(`  cmd: ${s.cmd}`);
        if (s.deps.length) ctx.io.out(`  deps: ${s.deps.join(", ")}`);
        if (s.params.length) ctx.io.out(`  params: ${s.params.join(", ")}`);
        if (s.outs.length) ctx.io.out(`  outs: ${s.outs.join(", ")}`);
        if (s.outsNoCache.length) ctx.io.out(`  outs (no cache): ${s.outsNoCache.join(", ")}`);
        if (s.metrics.length) ctx.io.out(`  metrics: ${s.metrics.join(", ")}`);
        if (s.plots.length) ctx.io.out(`  plots: ${s.plots.join(", ")}`);
      }
      if (Object.keys(r.params).length) {
        ctx.io.out(`params moved to ${r.paramsFile}: ${Object.keys(r.params).join(", ")}`);
      }
      ctx.io.info(`Wrote ${r.written.join(", ")}. Run 'cairn repro' to reproduce.`);
    },
  );
}
