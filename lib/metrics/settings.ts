/**
 * `cairn metrics modify PATH --type T --xpath X` (the oldest DVC seeds'
 * command): how to read a metrics file and which value to show. DVC 3
 * rejects unknown keys in dvc.yaml/.dvc files, so the settings live in a
 * cairn-owned file, `.dvc/cairn/metrics.yaml`, committed with the project
 * and read at each revision like any other file.
 */
import { dirname, join } from "node:path";
import { CairnError, UsageError } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { emitYaml } from "../py/yaml_emit.ts";
import { loadYaml } from "../dvcfile/yaml_parse.ts";
import type { Repo } from "../repo/repo.ts";
import { isPlainMapping, keyString, mapEntries } from "../py/value.ts";
import { METRIC_TYPES, type MetricSettings } from "./read.ts";

/** Repo-relative path of the settings file. */
export const METRIC_SETTINGS_FILE = ".dvc/cairn/metrics.yaml";

const HEADER = "# cairn metrics settings (`cairn metrics modify`); DVC does not read this file.\n";

/** Settings per repo-relative metrics path. */
export type MetricSettingsMap = Record<string, MetricSettings>;

/** Parse the settings file text (an absent file is `{}`). */
export function parseMetricSettings(text: string | undefined): MetricSettingsMap {
  if (text === undefined) return {};
  const data = loadYaml(text, METRIC_SETTINGS_FILE);
  const out: MetricSettingsMap = {};
  const metrics = isPlainMapping(data) ? data.metrics : undefined;
  if (!isPlainMapping(metrics)) return out;
  for (const [k, v] of mapEntries(metrics)) {
    if (!isPlainMapping(v)) continue;
    const s: MetricSettings = {};
    if (typeof v.type === "string") s.type = v.type;
    if (v.xpath !== undefined && v.xpath !== null) s.xpath = String(v.xpath);
    out[keyString(k)] = s;
  }
  return out;
}

export interface ModifyMetricOptions {
  type?: string;
  xpath?: string;
  /** remove the settings of this file. */
  unset?: boolean;
}

/** Record (or remove) how `path` (repo-relative) is read; returns the new settings. */
export function modifyMetric(
  repo: Repo,
  path: string,
  opts: ModifyMetricOptions,
): MetricSettings | undefined {
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
  return result;
}
