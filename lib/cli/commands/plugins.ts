/** `plugins list` and `runners list`: installed plugins and what they may do. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, printJson } from "../context.ts";
import { findRoot, openRepo } from "../../repo/repo.ts";
import { listPlugins, trustProjectPlugin, untrustProjectPlugin } from "../../repo/plugins.ts";
import { pluginText, trustedText } from "../render/plugins.ts";
import { UsageError } from "../../errors.ts";

async function show(
  ctx: CliContext,
  kind: "remote" | "runner" | undefined,
  json: boolean | undefined,
): Promise<void> {
  const repo = findRoot(ctx.cwd) ? openRepo(undefined, { cwd: ctx.cwd }) : null;
  const infos = await listPlugins(repo, { kind });
  if (json) printJson(ctx, infos);
  else ctx.io.out(infos.map(pluginText).join("\n"));
}

export function register(program: Command, ctx: CliContext): void {
  const plugins = program.command("plugins").description(
    "Installed plugins (remotes, stage runners) and their permissions (cairn only).",
  );
  defineCommand(
    plugins,
    ctx,
    "list",
    "List built-in and project plugins: the permissions their manifests declare, and trust.",
    (c) =>
      c.option("--json", "Show output in JSON format.")
        .option("--kind <kind>", "Only plugins of this kind: remote or runner."),
    async (o: { json?: boolean; kind?: string }) => {
      if (o.kind !== undefined && o.kind !== "remote" && o.kind !== "runner") {
        throw new UsageError(`argument --kind: invalid choice '${o.kind}' (remote, runner)`);
      }
      const kind = o.kind as "remote" | "runner" | undefined;
      await show(ctx, kind, o.json);
    },
  );
  defineCommand(
    plugins,
    ctx,
    "trust <name>",
    "Let a project plugin run, as its files are now (recorded outside the repository).",
    (c) => c.option("--json", "Show output in JSON format."),
    async (name: string, o: { json?: boolean }) => {
      const r = await trustProjectPlugin(openRepo(undefined, { cwd: ctx.cwd }), name);
      if (o.json) printJson(ctx, r);
      else ctx.io.out(trustedText(r.plugin, r.record));
    },
  );
  defineCommand(
    plugins,
    ctx,
    "untrust <name>",
    "Stop a project plugin from running until it is trusted again.",
    (c) => c,
    async (name: string) => {
      const had = await untrustProjectPlugin(openRepo(undefined, { cwd: ctx.cwd }), name);
      ctx.io.out(
        had ? `Plugin '${name}' is no longer trusted.` : `Plugin '${name}' was not trusted.`,
      );
    },
  );
  const runners = program.command("runners").description(
    "Stage runners (shell, deno, project runners) (cairn only).",
  );
  defineCommand(
    runners,
    ctx,
    "list",
    "List stage runners with the policies they enforce and their permissions.",
    (c) => c.option("--json", "Show output in JSON format."),
    async (o: { json?: boolean }) => {
      await show(ctx, "runner", o.json);
    },
  );
  // Inside a Slurm job: one stage command under its sandbox (plugins/runner_slurm/job.ts).
  runners.command("_job", { hidden: true }).argument("<request>").action(
    async (request: string) => {
      const { runStageJob } = await import("../../../plugins/runner_slurm/job.ts");
      ctx.exitCode = await runStageJob(request);
    },
  );
}
