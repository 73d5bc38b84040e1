/**
 * Every dvc.yaml / dvc.lock / .dvc file written by DVC 3.64 in the fixtures
 * parses and is written back byte for byte; the pipeline_repo templating
 * resolves to exactly the stages and commands its dvc.lock records.
 */
import { assertEquals } from "../_rig/assert.ts";
import { FIXTURES } from "../_rig/rig.ts";
import { emitYaml } from "../../lib/py/yaml_emit.ts";
import { loadYaml } from "../../lib/py/yaml_parse.ts";
import { formatDvcFile, parseDvcFile } from "../../lib/dvcfile/dvc_file.ts";
import { loadPipelineFile } from "../../lib/dvcfile/pipeline_file.ts";
import {
  dumpLockEntry,
  formatLockFile,
  lockEntry,
  parseLockFile,
} from "../../lib/dvcfile/lock_file.ts";

function walk(dir: string, out: string[] = []): string[] {
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) {
      if (e.name !== "cache") walk(p, out);
    } else out.push(p);
  }
  return out;
}

const all = walk(FIXTURES).sort();
const rel = (p: string) => p.slice(FIXTURES.length + 1);
// dvc.yaml files written by DVC (the pipeline_repo one was edited by hand).
const dvcYamls = all.filter((p) => /lock_formats\/(repo\/dvc\.yaml|expected\/dvc\.yaml\.)/.test(p));
const locks = all.filter((p) => p.endsWith("dvc.lock") || p.endsWith("exp_dvc.lock"));
const dvcFiles = all.filter((p) => p.endsWith(".dvc") && !p.includes("/.dvc/"));

Deno.test("fixtures: DVC-written dvc.yaml files re-emit byte-identically", () => {
  assertEquals(dvcYamls.length >= 5, true);
  for (const p of dvcYamls) {
    const text = Deno.readTextFileSync(p);
    assertEquals(emitYaml(loadYaml(text, rel(p))), text, rel(p));
  }
});

Deno.test("fixtures: every dvc.lock parses and re-emits byte-identically", () => {
  assertEquals(locks.length >= 5, true);
  for (const p of locks) {
    const text = Deno.readTextFileSync(p);
    assertEquals(formatLockFile(parseLockFile(text, rel(p))), text, rel(p));
  }
});

Deno.test("fixtures: every .dvc file parses and is written back byte-identically", () => {
  assertEquals(dvcFiles.length >= 5, true);
  for (const p of dvcFiles) {
    const text = Deno.readTextFileSync(p);
    const stage = parseDvcFile(text, rel(p));
    assertEquals(formatDvcFile(stage), text, rel(p));
    assertEquals(formatDvcFile(stage, text), text, rel(p));
  }
});

Deno.test("fixtures: hash_vectors .dvc contents are reproduced", () => {
  const hv = JSON.parse(Deno.readTextFileSync(`${FIXTURES}/hash_vectors/hash_vectors.json`));
  for (const v of hv.vectors) {
    const text: string = v.dvc_file.content;
    const stage = parseDvcFile(text, `${v.target}.dvc`);
    assertEquals(stage.outs[0].hash?.md5, v.md5);
    assertEquals(formatDvcFile(stage), text, v.target);
  }
});

for (const repo of ["pipeline_repo", "lock_formats"]) {
  Deno.test(`fixtures: ${repo} stages resolve to the dvc.lock entries`, () => {
    const root = `${FIXTURES}/${repo}/repo`;
    const pf = loadPipelineFile(root, "dvc.yaml");
    const lockText = Deno.readTextFileSync(`${root}/dvc.lock`);
    const lock = parseLockFile(lockText, "dvc.lock");
    assertEquals(pf.stages.map((s) => s.name), [...lock.stages.keys()]);
    for (const s of pf.stages) {
      assertEquals(s.cmd, s.lockedCmd, s.name);
      assertEquals(dumpLockEntry(s), emitYaml(lock.stages.get(s.name)), s.name);
    }
    const rebuilt = formatLockFile({
      stages: new Map(pf.stages.map((s) => [s.name, lockEntry(s)])),
      raw: {},
    });
    assertEquals(rebuilt, lockText);
  });
}

Deno.test("fixtures: pipeline_repo generated names, wdir and tracked vars", () => {
  const pf = loadPipelineFile(`${FIXTURES}/pipeline_repo/repo`, "dvc.yaml");
  const byName = new Map(pf.stages.map((s) => [s.name, s]));
  assertEquals(byName.get("evaluate")!.wdir, "eval");
  assertEquals(byName.get("bucket@small")!.cmd, "python3 src/bucket.py 2 buckets/small.txt");
  assertEquals(byName.get("bucket@small")!.group, "bucket");
  assertEquals(byName.get("score@tree-f1")!.outs[0].path, "scores/tree_f1.json");
  assertEquals(byName.get("prepare")!.parametrized, false);
  assertEquals(byName.get("train")!.parametrized, true);
  assertEquals(pf.trackedVars.train, { "params.yaml": { "train.epochs": 3 } });
  assertEquals(pf.plots.map((p) => p.id), ["precision_recall"]);
});
