/**
 * Small schema checker for DVC files: every failure is a DvcFileSyntaxError
 * naming the file, line, column and the dotted place (`stages.train.outs`).
 */
import { DvcFileSyntaxError } from "../errors.ts";
import { isPlainMapping, isPyFloat } from "../py/value.ts";
import type { PosIndex, YamlPos } from "../py/yaml_parse.ts";

/**
 * What an output or dependency entry (`.dvc` file, dvc.lock) may record of its
 * content: DVC's hash info and meta keys.
 */
export const HASH_INFO_KEYS: readonly string[] = [
  "md5",
  "etag",
  "checksum",
  "size",
  "nfiles",
  "isexec",
  "version_id",
  "cloud",
  "files",
  "hash",
];

export class Checker {
  constructor(readonly path: string, readonly pos: PosIndex) {}

  /** Throw at the key (mapping) or item (sequence) `at` of `container`. */
  fail(
    container: unknown,
    at: string | number | undefined,
    msg: string,
    onKey = false,
  ): never {
    let p: YamlPos | undefined;
    if (at !== undefined) {
      p = onKey && typeof at === "string"
        ? this.pos.key(container, at)
        : this.pos.value(container, at);
    }
    p ??= this.pos.of(container);
    throw new DvcFileSyntaxError(this.path, msg, p ?? {});
  }

  mapping(
    container: unknown,
    at: string | number,
    where: string,
  ): Record<string, unknown> {
    const v = get(container, at);
    if (!isPlainMapping(v)) {
      this.fail(container, at, `expected a mapping for '${where}', got ${typeName(v)}`);
    }
    return v;
  }

  list(container: unknown, at: string | number, where: string): unknown[] {
    const v = get(container, at);
    if (!Array.isArray(v)) {
      this.fail(container, at, `expected a list for '${where}', got ${typeName(v)}`);
    }
    return v;
  }

  str(container: unknown, at: string | number, where: string): string {
    const v = get(container, at);
    if (typeof v !== "string") {
      this.fail(container, at, `expected str for '${where}', got ${typeName(v)}`);
    }
    return v;
  }

  bool(container: unknown, at: string | number, where: string): boolean {
    const v = get(container, at);
    if (typeof v !== "boolean") {
      this.fail(container, at, `expected bool for '${where}', got ${typeName(v)}`);
    }
    return v;
  }

  /** Reject keys of `obj` outside `allowed`. */
  keys(obj: Record<string, unknown>, allowed: Iterable<string>, where: string) {
    const ok = new Set(allowed);
    for (const k of Object.keys(obj)) {
      if (!ok.has(k)) {
        this.fail(obj, k, `extra key '${k}' not allowed in '${where}'`, true);
      }
    }
  }

  required(obj: Record<string, unknown>, key: string, where: string) {
    if (!Object.hasOwn(obj, key)) {
      this.fail(obj, undefined, `required key '${key}' not provided in '${where}'`);
    }
  }
}

function get(container: unknown, at: string | number): unknown {
  if (Array.isArray(container)) return container[at as number];
  return (container as Record<string, unknown>)[at as string];
}

/** Python type name of a value, for messages. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (isPyFloat(v)) return "float";
  if (typeof v === "number" || typeof v === "bigint") return "int";
  if (Array.isArray(v)) return "list";
  return "dict";
}
