/** `--fs-config key=value...` of `import-url`/`get-url` as a settings object. */
import { UsageError } from "../../errors.ts";

export function parseFsConfig(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UsageError(`--fs-config expects key=value, got '${kv}'`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}
