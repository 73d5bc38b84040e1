/**
 * What a pipeline stage script needs, as a library: read its params and
 * write metrics and plot points in the formats `metrics show` / `plots show`
 * read. Writes are atomic, so a crashed stage never leaves half a file.
 */
import { dirname, extname } from "node:path";
import { stringify as tomlStringify } from "npm:smol-toml@^1.9.1";
import { yaml } from "../py/yaml_lib.ts";
import { CairnError, ignoreNotFound } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { getParam, loadParamsFile } from "../params/load.ts";

/** Params of a file (default `params.yaml`), or the value at a dotted key. */
export function readParams(path = "params.yaml", key?: string): unknown {
  const data = loadParamsFile(path);
  if (key === undefined) return data;
  const r = getParam(data, key);
  if (!r.found) throw new CairnError(`param '${key}' is missing from '${path}'`);
  return r.value;
}

function readJsonOrEmpty(path: string): Record<string, unknown> {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return {};
    throw new CairnError(`cannot update metrics file '${path}': ${(err as Error).message}`);
  }
}

/**
 * Write metrics (nested objects allowed) to a JSON, YAML or TOML file;
 * with `merge`, keys already in a JSON file are kept unless overwritten.
 */
export function logMetrics(
  path: string,
  values: Record<string, unknown>,
  opts: { merge?: boolean } = {},
): void {
  const ext = extname(path).toLowerCase();
  Deno.mkdirSync(dirname(path), { recursive: true });
  if (ext === ".yaml" || ext === ".yml") {
    writeTextAtomic(path, yaml.stringify(values));
  } else if (ext === ".toml") {
    writeTextAtomic(path, tomlStringify(values));
  } else {
    const data = opts.merge ? { ...readJsonOrEmpty(path), ...values } : values;
    writeTextAtomic(path, JSON.stringify(data, null, 4) + "\n");
  }
}

/** Append one row to a plot data file (.csv, .tsv or .json list), creating it with a header. */
export function logPlotPoint(path: string, row: Record<string, number | string>): void {
  const ext = extname(path).toLowerCase();
  Deno.mkdirSync(dirname(path), { recursive: true });
  if (ext === ".json") {
    let rows: unknown[] = [];
    try {
      rows = JSON.parse(Deno.readTextFileSync(path));
    } catch (err) {
      // a new file; one that is not JSON is started afresh, as before
      if (!(err instanceof SyntaxError)) ignoreNotFound(err);
    }
    if (!Array.isArray(rows)) throw new CairnError(`'${path}' is not a JSON list of rows`);
    rows.push(row);
    writeTextAtomic(path, JSON.stringify(rows, null, 2) + "\n");
    return;
  }
  const sep = ext === ".tsv" ? "\t" : ",";
  let text = "";
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    ignoreNotFound(err); // new file
  }
  const keys = Object.keys(row);
  if (!text) text = keys.join(sep) + "\n";
  writeTextAtomic(path, text + keys.map((k) => String(row[k])).join(sep) + "\n");
}
