/** `stage list`: stages with DVC's generated descriptions (`Outputs ...`, `Reports ...`). */
import type { Stage } from "../stage/types.ts";
import { collectStages, collectTargets } from "./collect.ts";
import type { Repo } from "./repo.ts";
import { addressing } from "./status.ts";

export const MAX_TEXT_LENGTH = 80;

export interface StageListOptions {
  all?: boolean;
  recursive?: boolean;
}

export interface StageListEntry {
  stage: Stage;
  address: string;
  description: string;
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? chars.slice(0, max - 1).join("") + "\u2026" : text;
}

/** DVC `generate_description` (used when the stage has no `desc`). */
export function describe(stage: Stage): string {
  const part = (paths: string[]) => paths.join(", ");
  const deps = [...stage.deps.map((d) => d.path), ...stage.params.map((p) => p.file)];
  if (!deps.length && !stage.outs.length) return "No outputs or dependencies";
  if (!stage.outs.length) return "Depends on " + part(deps);
  const desc: string[] = [];
  const plain = stage.outs.filter((o) => o.kind === "out");
  if (plain.length) desc.push("Outputs " + part(plain.map((o) => o.path)));
  const reports = stage.outs.filter((o) => o.kind !== "out");
  if (reports.length) desc.push("Reports " + part(reports.map((o) => o.path)));
  return desc.join("; ");
}

export function stageList(
  repo: Repo,
  targets: readonly string[],
  opts: StageListOptions = {},
): StageListEntry[] {
  const stages = opts.all
    ? collectStages(repo).stages
    : collectTargets(repo, targets, { recursive: opts.recursive });
  return stages.map((stage) => ({
    stage,
    address: addressing(repo, stage),
    description: truncate(
      stage.desc ? stage.desc.split("\n")[0] : describe(stage),
      MAX_TEXT_LENGTH,
    ),
  }));
}
