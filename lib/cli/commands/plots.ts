/**
 * `plots show|diff|templates|modify`. The plots code (and the Vega bundle it
 * inlines) is loaded only when a plots command runs.
 */
import type { Command } from "../argparse.ts";
import { isAbsolute, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type CliContext, defineCommand, printJson, repoFor } from "../context.ts";
import { CairnError, UsageError } from "../../errors.ts";
import type { Repo } from "../../repo/repo.ts";

interface PropFlags {
  template?: string;
  x?: string;
  y?: string;
  header?: boolean;
  title?: string;
  xLabel?: string;
  yLabel?: string;
}

interface ShowFlags extends PropFlags {
  out?: string;
  showVega?: boolean;
  json?: boolean;
  split?: boolean;
  open?: boolean;
  htmlTemplate?: string;
  targets?: string[];
}

function withProps(c: Command): Command {
  return c
    .option("-t, --template <path>", "Special JSON or HTML schema file to inject with the data.")
    .option("-x <field>", "Field name for X axis.")
    .option("-y <field>", "Field name for Y axis.")
    .option("--no-header", "Provided CSV or TSV datafile does not have a header.")
    .option("--title <text>", "Plot title.")
    .option("--x-label <text>", "X axis label")
    .option("--y-label <text>", "Y axis label");
}

function withOutput(c: Command): Command {
  return c
    .option("-o, --out <path>", "Directory to save plots to.")
    .option("--show-vega", "Show output in Vega format.")
    .option("--json", "Show output in JSON format.")
    .option("--split", "With --json: leave anchors in the specs and list their values apart.")
    .option("--open", "Open plot file directly in the browser.")
    .option("--html-template <path>", "Custom HTML template for VEGA visualization.");
}

/** Props given on the command line only (so definitions keep theirs). */
function cliProps(o: PropFlags): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  if (o.template !== undefined) p.template = o.template;
  if (o.x !== undefined) p.x = o.x;
  if (o.y !== undefined) p.y = o.y;
  if (o.xLabel !== undefined) p.x_label = o.xLabel;
  if (o.yLabel !== undefined) p.y_label = o.yLabel;
  if (o.title !== undefined) p.title = o.title;
  if (o.header === false) p.header = false;
  return p;
}

function configValue(repo: Repo, key: string): string | undefined {
  const v = repo.config.other?.["plots"]?.[key];
  return typeof v === "string" ? v : undefined;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && ["true", "1", "yes", "on"].includes(v.toLowerCase());
}

/** Open a file in the system browser; false when no opener worked. */
function openBrowser(path: string): boolean {
  const url = pathToFileURL(path).href;
  const cmds: [string, string[]][] = Deno.build.os === "darwin"
    ? [["open", [url]]]
    : Deno.build.os === "windows"
    ? [["cmd", ["/c", "start", "", url]]]
    : [["xdg-open", [url]], ["sensible-browser", [url]]];
  for (const [cmd, args] of cmds) {
    try {
      const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" })
        .spawn();
      child.unref();
      return true;
    } catch { /* a probe: missing, not permitted or failing to start, try the next opener */ }
  }
  return false;
}

async function runPlots(
  ctx: CliContext,
  o: ShowFlags,
  targets: string[],
  revs?: string[],
  experiment?: boolean,
) {
  if (o.showVega) {
    if (!targets.length) throw new CairnError("please specify a target for `--show-vega`");
    if (targets.length > 1) {
      throw new CairnError("you can only specify one target for `--show-vega`");
    }
    if (o.json) throw new UsageError("'--show-vega' and '--json' are mutually exclusive options.");
  }
  const repo = repoFor(ctx);
  const { showPlots, diffRevisions } = await import("../../repo/plots/show.ts");
  const result = showPlots(repo, {
    targets,
    revs: revs === undefined ? undefined : diffRevisions(repo, revs, { experiment }),
    props: cliProps(o),
  });
  const outDir = resolve(ctx.cwd, o.out ?? configValue(repo, "out_dir") ?? "dvc_plots");
  const loaded = [...result.perRev.values()].some((r) => r.definitions?.size);
  if (o.json) {
    const { plotsJson } = await import("../../plots/output.ts");
    printJson(ctx, plotsJson(result, { outDir, split: o.split }));
    // DVC still names the revisions that failed (the details are in the JSON)
    const failed = new Set(Object.keys(result.errors));
    for (const r of result.renderers) {
      for (const rev of Object.keys(r.sourceErrors)) failed.add(rev);
    }
    if (failed.size) {
      ctx.io.err(
        `DVC failed to load some plots for following revisions: '${[...failed].join(", ")}'.`,
      );
    }
    return;
  }
  reportProblems(ctx, result);
  if (!loaded) ctx.io.err("No plots were loaded, visualization file will not be created.");
  if (o.showVega) {
    const { fillTemplate } = await import("../../plots/vega.ts");
    const first = result.renderers.find((r) => r.renderer.type === "vega");
    if (first && first.renderer.type === "vega") {
      printJson(ctx, fillTemplate(first.renderer.plot).content);
    }
    return;
  }
  if (!result.renderers.length) return;
  const { writePlotsHtml } = await import("../../plots/output.ts");
  let htmlTemplate = o.htmlTemplate;
  if (htmlTemplate === undefined) {
    const fromConfig = configValue(repo, "html_template");
    if (fromConfig) {
      htmlTemplate = isAbsolute(fromConfig) ? fromConfig : join(repo.dvcDir, fromConfig);
    }
  } else htmlTemplate = resolve(ctx.cwd, htmlTemplate);
  const written = writePlotsHtml(result, { outDir, htmlTemplate });
  if (!written.offline) {
    ctx.io.warn("the Vega packages were not found; the page loads them from cdn.jsdelivr.net");
  }
  ctx.io.out(pathToFileURL(written.path).href);
  const autoOpen = truthy(configValue(repo, "auto_open"));
  if (o.open || autoOpen) {
    if (!autoOpen) {
      ctx.io.out("To enable auto opening, you can run:\n\n\tcairn config plots.auto_open true");
    }
    if (!openBrowser(written.path)) {
      ctx.io.err(
        `Failed to open ${pathToFileURL(written.path).href}. Please try opening it manually.`,
      );
      ctx.exitCode = 1;
    }
  }
}

function reportProblems(
  ctx: CliContext,
  result: import("../../repo/plots/show.ts").PlotsResult,
): void {
  const errored = new Set<string>();
  for (const [rev, e] of Object.entries(result.errors)) {
    ctx.io.err(`ERROR: failed to collect plots in '${rev}': ${e.message}`);
    errored.add(rev);
  }
  for (const r of result.renderers) {
    const name = r.renderer.type === "vega" ? r.renderer.plot.name : r.renderer.name;
    for (const [rev, per] of Object.entries(r.sourceErrors)) {
      for (const [src, e] of Object.entries(per)) {
        ctx.io.err(`ERROR: plot '${name}' in '${rev}': cannot load '${src}': ${e.message}`);
        errored.add(rev);
      }
    }
    for (const [rev, e] of Object.entries(r.definitionErrors)) {
      ctx.io.warn(`In '${rev}', ${e.message}`);
      if (e instanceof CairnError && e.hint) ctx.io.err(e.hint);
    }
  }
  if (errored.size) {
    ctx.io.err(
      `DVC failed to load some plots for following revisions: '${[...errored].join(", ")}'.`,
    );
  }
}

export function register(program: Command, ctx: CliContext): void {
  const plots = program.command("plots").description(
    "Commands to visualize and compare plot data.",
  );

  defineCommand(
    plots,
    ctx,
    "show",
    "Generate plots from target files or from `plots` definitions in `dvc.yaml`.",
    (c) =>
      withOutput(
        withProps(
          c.argument("[targets...]", "Plots files or plot IDs from `dvc.yaml` to visualize."),
        ),
      ),
    (targets: string[], o: ShowFlags) => runPlots(ctx, o, targets),
  );

  defineCommand(
    plots,
    ctx,
    "diff",
    "Show multiple versions of a plot by overlaying them in a single image.",
    (c) =>
      withOutput(withProps(
        c.argument("[revisions...]", "Git commits to plot from")
          .option("--targets <paths...>", "Specific plots to visualize (file paths or plot ids).")
          .option("-e, --experiment", "Compare an experiment with its baseline."),
      )),
    (revisions: string[], o: ShowFlags & { experiment?: boolean }) =>
      runPlots(ctx, o, o.targets ?? [], revisions, o.experiment),
  );

  defineCommand(
    plots,
    ctx,
    "templates",
    "List built-in plots templates or show JSON specification for one.",
    (c) => c.argument("[template]", "Template for which to show JSON specification."),
    async (template: string | undefined) => {
      const { TEMPLATE_NAMES, builtinTemplate } = await import("../../plots/templates.ts");
      if (!template) {
        ctx.io.out(TEMPLATE_NAMES.join("\n"));
        return;
      }
      const t = builtinTemplate(template);
      if (!t) {
        throw new CairnError(`Unexpected template: ${template}.`, {
          hint: `available templates: ${TEMPLATE_NAMES.join(", ")}`,
        });
      }
      printJson(ctx, t.content);
    },
  );

  defineCommand(
    plots,
    ctx,
    "modify",
    "Modify display properties of data-series plots defined in stages.",
    (c) =>
      withProps(
        c.argument("<target>", "Plots file to set properties for (defined at the stage level)."),
      )
        .option("--unset <property...>", "Unset one or more display properties."),
    async (target: string, o: PropFlags & { unset?: string[] }) => {
      const repo = repoFor(ctx);
      const { modifyPlot } = await import("../../repo/plots/modify.ts");
      const m = modifyPlot(repo, target, { props: cliProps(o), unset: o.unset });
      // DVC logs this when it rewrites a dvc.yaml stage (not for .dvc files)
      if (m.name !== undefined) {
        const shown = relative(ctx.cwd, join(repo.root, m.file)).split("\\").join("/");
        ctx.io.info(`Modifying stage '${m.name}' in '${shown}'`);
      }
    },
  );
}
