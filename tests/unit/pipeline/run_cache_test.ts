import { assertEquals } from "../../_rig/assert.ts";
import { join } from "node:path";
import { FIXTURES } from "../../_rig/rig.ts";
import { readLockFile } from "../../../lib/dvcfile/lock_file.ts";
import { emitYaml } from "../../../lib/py/yaml_emit.ts";
import { runCacheKey, runCacheValue } from "../../../lib/cache/run_cache.ts";

for (const fx of ["pipeline_repo", "lock_formats"]) {
  Deno.test(`run-cache key/value of every ${fx} lock entry match DVC's`, () => {
    const repo = join(FIXTURES, fx, "repo");
    const index = JSON.parse(
      Deno.readTextFileSync(join(FIXTURES, fx, "expected", "run_cache_index.json")),
    ).stages as Record<string, { key: string; value: string; path: string; exists: boolean }>;
    const lock = readLockFile(repo, "dvc.lock")!;
    let checked = 0;
    for (const [name, want] of Object.entries(index)) {
      const entry = lock.stages.get(name)!;
      assertEquals(runCacheKey(entry), want.key, name);
      assertEquals(runCacheValue(entry), want.value, name);
      if (want.exists) {
        // the stored file is the entry dumped as YAML
        assertEquals(Deno.readTextFileSync(join(repo, want.path)), emitYaml(entry), name);
      }
      checked++;
    }
    assertEquals(checked > 5, true);
  });
}
