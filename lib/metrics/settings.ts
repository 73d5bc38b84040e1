/**
 * The settings `cairn metrics modify PATH --type T --xpath X` (the oldest DVC
 * seeds' command, lib/repo/metrics/modify.ts) records: how to read a metrics
 * file and which value to show. DVC 3
 * rejects unknown keys in dvc.yaml/.dvc files, so the settings live in a
 * cairn-owned file, `.dvc/cairn/metrics.yaml`, committed with the project
 * and read at each revision like any other file.
 */
import { loadYaml } from "../py/yaml_parse.ts";
import { isPlainMapping, keyString, mapEntries } from "../py/value.ts";
import type { MetricSettings } from "./read.ts";

/** Repo-relative path of the settings file. */
export const METRIC_SETTINGS_FILE = ".dvc/cairn/metrics.yaml";

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
