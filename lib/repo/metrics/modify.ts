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
