/**
 * Params files as DVC reads them (dvc-spec §11): format by extension —
 * `.json` (Python json), `.toml`, `.py` (literal assignments), anything else
 * (including `.yaml`/`.yml`) YAML 1.2 safe. Values keep Python types (an
 * int `1` and a float `1.0` differ; see lib/py/value.ts). Keys are
 * addressed with dots (`train.lr`, list items by index `layers.0`).
 */
import { CairnError, fsError } from "../errors.ts";
import { loadYaml } from "../py/yaml_parse.ts";
import { isPlainMapping, keyString, mapEntries } from "../py/value.ts";
import { loadedToml } from "../py/yaml_slot.ts";
import { parseTomlInWorker } from "../py/yaml_sync.ts";
import { parsePyJson } from "../py/json_loads.ts";
import { parsePyParams } from "../py/parse_params.ts";

export type ParamsFormat = "yaml" | "json" | "toml" | "py";

/** The format DVC picks for a file name (by its extension, case-insensitive). */
export function paramsFormat(path: string): ParamsFormat {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  const ext = dot > 0 ? base.slice(dot).toLowerCase() : "";
  if (ext === ".json") return "json";
  if (ext === ".toml") return "toml";
  if (ext === ".py") return "py";
  return "yaml";
}

/**
 * Parse params text; `path` picks the format and names the file in errors
 * (DvcFileSyntaxError with line/column). An empty document gives `{}`.
 */
export function parseParams(text: string, path: string): unknown {
  let data: unknown;
  switch (paramsFormat(path)) {
    case "json":
      data = parsePyJson(text, path);
      break;
    case "toml":
      data = tomlParams(text, path);
      break;
    case "py":
      data = parsePyParams(text, path);
      break;
    default:
      data = loadYaml(text, path);
  }
  // DVC: `parse(...) or {}`
  return isFalsy(data) ? {} : data;
}

function isFalsy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") {
    return true;
  }
  if (Array.isArray(v)) return v.length === 0;
  if (isPlainMapping(v)) return Object.keys(v).length === 0;
  return false;
}

/**
 * Read and parse a params file. `fsPath` is where to read it; `displayPath`
 * (default fsPath) is used in error messages.
 */
export function loadParamsFile(fsPath: string, displayPath = fsPath): unknown {
  let text: string;
  try {
    text = Deno.readTextFileSync(fsPath);
  } catch (err) {
    if (err instanceof Deno.errors.IsADirectory) {
      throw new CairnError(`'${displayPath}' is a directory, expected a parameters file`);
    }
    throw fsError(err, "reading", displayPath);
  }
  return parseParams(text, displayPath);
}

/** TOML by smol-toml: in this process once loaded, else in a worker (start-up, issue 16). */
function tomlParams(text: string, path: string): unknown {
  return (loadedToml() ?? parseTomlInWorker)(text, path);
}

/** Result of looking up a dotted key. */
export type ParamLookup = { found: true; value: unknown } | { found: false };

/**
 * Value at a dotted key (`train.lr`, `layers.0`), as `dpath.get` finds it:
 * mapping keys by name, list items by integer index.
 */
export function getParam(data: unknown, key: string): ParamLookup {
  let cur: unknown = data;
  for (const seg of key.split(".")) {
    if (Array.isArray(cur)) {
      if (!/^-?[0-9]+$/.test(seg)) return { found: false };
      let idx = Number(seg);
      if (idx < 0) idx += cur.length;
      if (idx < 0 || idx >= cur.length) return { found: false };
      cur = cur[idx];
    } else if (isPlainMapping(cur)) {
      const hit = mapEntries(cur).find(([k]) => keyString(k) === seg);
      if (!hit) return { found: false };
      cur = hit[1];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: cur };
}

/**
 * The values a params dependency records (`read_param_file(flatten=True)`):
 * `keys` null = the whole file; otherwise `{key: value}` for each key
 * found (missing keys are left out; callers report them).
 */
export function selectParams(
  data: unknown,
  keys: string[] | null,
): Record<string, unknown> {
  if (keys === null || keys.length === 0) {
    return isPlainMapping(data) ? data : {};
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const r = getParam(data, k);
    if (r.found) out[k] = r.value;
  }
  return out;
}

/**
 * Flatten nested mappings into dotted keys (`flatten_dict(reducer="dot")`):
 * lists and scalars are leaves; empty mappings disappear.
 */
export function flattenParams(data: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (v: unknown, prefix: string) => {
    for (const [k, x] of mapEntries(v as object)) {
      const key = prefix ? `${prefix}.${keyString(k)}` : keyString(k);
      if (isPlainMapping(x)) walk(x, key);
      else out[key] = x;
    }
  };
  if (isPlainMapping(data)) walk(data, "");
  return out;
}
