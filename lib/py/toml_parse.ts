/**
 * TOML params files as DVC reads them (smol-toml; ints as Python ints, with
 * Python's 4300-digit limit; dates as ISO text). Loaded only when a `.toml`
 * file is read: params/load.ts calls it in-process when this module is
 * loaded already, else through the worker of yaml_sync.ts (start-up, issue 16).
 */
import { parse as parseToml, TomlDate, TomlError } from "npm:smol-toml@^1.9.1";
import { DvcFileSyntaxError } from "../errors.ts";
import { pyFloat, pyInt } from "./value.ts";
import { setLoadedToml } from "./yaml_slot.ts";

class TomlIntTooLong extends Error {
  constructor() {
    super("an integer exceeds the limit (4300 digits)");
  }
}

/** Parse TOML text into Python-typed values; `path` names the file in errors. */
export function parseTomlParams(text: string, path: string): unknown {
  try {
    return fromToml(parseToml(text, { integersAsBigInt: true }));
  } catch (err) {
    if (err instanceof TomlIntTooLong) {
      throw new DvcFileSyntaxError(path, `TOML file structure is corrupted: ${err.message}`);
    }
    if (err instanceof TomlError) {
      const msg = err.message.split("\n")[0];
      throw new DvcFileSyntaxError(path, `TOML file structure is corrupted: ${msg}`, {
        line: err.line,
        column: err.column,
      });
    }
    throw err;
  }
}

setLoadedToml(parseTomlParams);

/** Python's int/str conversion limit (4300 digits), as bits: later printing stays fast. */
const MAX_INT_BITS = 14_284;

function fromToml(v: unknown): unknown {
  if (typeof v === "bigint") {
    if ((v < 0n ? -v : v).toString(16).length * 4 > MAX_INT_BITS) {
      throw new TomlIntTooLong();
    }
    return pyInt(v);
  }
  if (typeof v === "number") return pyFloat(v);
  if (v instanceof TomlDate) return v.toISOString();
  if (Array.isArray(v)) return v.map(fromToml);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = fromToml(x);
    return out;
  }
  return v;
}
