/**
 * `cairn metrics modify PATH --type T --xpath X`: record how a metrics file is
 * read, in `.dvc/cairn/metrics.yaml` (see lib/metrics/settings.ts), a file
 * committed with the project (autostaged, or named in the git hint).
 */
import { dirname, join } from "node:path";
import { CairnError, UsageError } from "../../errors.ts";
import { writeTextAtomic } from "../../fs/atomic_write.ts";
import { emitYaml } from "../../py/yaml_emit.ts";
import { METRIC_TYPES, type MetricSettings } from "../../metrics/read.ts";
import { METRIC_SETTINGS_FILE, parseMetricSettings } from "../../metrics/settings.ts";
import type { Repo } from "../repo.ts";
import { gitAdd } from "../../scm/git.ts";
import { configBool } from "../../config/config.ts";
import { saveDvcFile } from "../../dvcfile/dvc_file.ts";
import type { Output, Stage } from "../../stage/types.ts";
import { openRevision } from "../revisions.ts";

const HEADER = "# cairn metrics settings (`cairn metrics modify`); DVC does not read this file.\n";

export interface ModifyMetricOptions {
  type?: string;
  xpath?: string;
  /** remove the settings of this file. */
  unset?: boolean;
}

/** What `modifyMetric` did. */
export interface ModifyMetricResult {
  /** the file's settings now (undefined once unset). */
  settings: MetricSettings | undefined;
  /** absolute paths to commit so the settings travel with the repo (empty when autostaged). */
  gitFiles: string[];
}

/** Record (or remove) how `path` (repo-relative) is read. */
export function modifyMetric(
  repo: Repo,
  path: string,
  opts: ModifyMetricOptions,
): ModifyMetricResult {
  if (opts.type !== undefined && !METRIC_TYPES.includes(opts.type.toLowerCase())) {
    throw new UsageError(
      `invalid metric type '${opts.type}'`,
      `use one of: ${METRIC_TYPES.join(", ")}`,
    );
  }
  if (!opts.unset && opts.type === undefined && opts.xpath === undefined) {
    throw new UsageError("nothing to modify", "give --type and/or --xpath (or --unset)");
  }
  const legacy = legacyStageOutput(repo, path);
  if (legacy) return modifyInStageFile(repo, legacy, opts);
  const file = join(repo.root, METRIC_SETTINGS_FILE);
  let text: string | undefined;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new CairnError(`cannot read '${METRIC_SETTINGS_FILE}'`, { cause: err });
    }
  }
  const all = parseMetricSettings(text);
  let result: MetricSettings | undefined;
  if (opts.unset) delete all[path];
  else {
    result = { ...all[path] };
    if (opts.type !== undefined) result.type = opts.type.toLowerCase();
    if (opts.xpath !== undefined) result.xpath = opts.xpath;
    all[path] = result;
  }
  const sorted = Object.keys(all).sort();
  const metrics: Record<string, unknown> = {};
  for (const k of sorted) metrics[k] = { ...all[k] };
  Deno.mkdirSync(dirname(file), { recursive: true });
  writeTextAtomic(file, HEADER + emitYaml({ metrics }));
  // committed with the project, so clones and older revisions read metrics the same way
  if (!repo.scmRoot) return { settings: result, gitFiles: [] };
  if (configBool(repo.config.core.autostage)) {
    gitAdd([file], repo.root);
    return { settings: result, gitFiles: [] };
  }
  return { settings: result, gitFiles: [file] };
}

/** The output at `path` when a legacy command stage file (`.dvc` with `cmd`) declares it. */
function legacyStageOutput(repo: Repo, path: string): { stage: Stage; out: Output } | undefined {
  const hit = openRevision(repo).outputs().get(path);
  if (!hit || hit.stage.kind !== "dvcfile" || hit.stage.cmd === undefined) return undefined;
  return { stage: hit.stage, out: hit.out };
}

/**
 * DVC 0.x kept `metrics modify` in the stage file itself (`metric: {type,
 * xpath}` on the output): legacy stage files get it there, as the old
 * tutorials show (DVC 3 rejects such files anyway; `stage migrate` drops it).
 */
function modifyInStageFile(
  repo: Repo,
  hit: { stage: Stage; out: Output },
  opts: ModifyMetricOptions,
): ModifyMetricResult {
  const { stage, out } = hit;
  const current = out.extra?.metric;
  const prev: MetricSettings = current && typeof current === "object"
    ? { ...(current as MetricSettings) }
    : {};
  let result: MetricSettings | undefined;
  if (opts.unset) {
    if (out.extra) delete out.extra.metric;
  } else {
    result = { ...prev };
    if (opts.type !== undefined) result.type = opts.type.toLowerCase();
    if (opts.xpath !== undefined) result.xpath = opts.xpath;
    out.extra = { ...(out.extra ?? {}), metric: result };
  }
  out.kind = "metric";
  saveDvcFile(repo.root, stage);
  const file = join(repo.root, stage.file);
  if (!repo.scmRoot) return { settings: result, gitFiles: [] };
  if (configBool(repo.config.core.autostage)) {
    gitAdd([file], repo.root);
    return { settings: result, gitFiles: [] };
  }
  return { settings: result, gitFiles: [file] };
}
