/**
 * `plots modify PATH [-t T] [-x X] [-y Y] [--title ...] [--unset P...]`:
 * the output at PATH (a stage output in dvc.yaml or a .dvc file) becomes a
 * plot with these display properties.
 */
import { resolve } from "node:path";
import { CairnError } from "../../errors.ts";
import { type Repo, repoRelative } from "../repo.ts";
import { modifyPlotProps } from "../../dvcfile/pipeline_edit.ts";
import { saveDvcFile } from "../../dvcfile/dvc_file.ts";
import type { PipelineOptions } from "../../dvcfile/pipeline_file.ts";
import { openRevision } from "../revisions.ts";
import { getTemplate } from "../../plots/templates.ts";
import { join } from "node:path";

export interface ModifyPlotOptions {
  props?: Record<string, unknown>;
  unset?: string[];
}

export class PropsNotFoundError extends CairnError {}

/** The stage file changed, and the stage's name when it is a dvc.yaml stage. */
export interface ModifiedPlotStage {
  file: string;
  name?: string;
}

/** Apply the edit; returns the stage changed. */
export function modifyPlot(
  repo: Repo,
  path: string,
  opts: ModifyPlotOptions,
): ModifiedPlotStage {
  const props = opts.props ?? {};
  if (typeof props.template === "string") {
    getTemplate(props.template, { templatesDir: join(repo.dvcDir, "plots"), cwd: repo.cwd });
  }
  const rel = repoRelative(repo, resolve(repo.cwd, path));
  const view = openRevision(repo);
  const hit = view.outputs().get(rel);
  if (!hit) {
    throw new CairnError(`Unable to find DVC file with output '${path}'`, {
      hint: "plots modify works on outputs declared in dvc.yaml or .dvc files",
    });
  }
  const { stage, out } = hit;
  if (opts.unset?.length) {
    if (out.kind !== "plot") {
      throw new CairnError(
        `'${path}' is not a known plot. Use \`cairn plots modify\` to turn it into one.`,
      );
    }
    const missing = opts.unset.filter((k) => !Object.hasOwn(out.plotProps ?? {}, k));
    if (missing.length) {
      throw new PropsNotFoundError(
        `display properties [${
          missing.map((m) => `'${m}'`).join(", ")
        }] not found in plot '${out.path}'`,
      );
    }
  }
  if (stage.kind === "dvcfile") {
    const p: Record<string, unknown> = out.kind === "plot" ? { ...(out.plotProps ?? {}) } : {};
    for (const k of opts.unset ?? []) delete p[k];
    Object.assign(p, props);
    out.kind = "plot";
    out.plotProps = Object.keys(p).length ? p : undefined;
    saveDvcFile(repo.root, stage);
    return { file: stage.file };
  }
  const parsing = repo.config.other?.["parsing"] as PipelineOptions["parsing"];
  modifyPlotProps(repo.root, stage.file, stage.name, out.path, { props, unset: opts.unset }, {
    root: repo.root,
    parsing,
  });
  return { file: stage.file, name: stage.name };
}
