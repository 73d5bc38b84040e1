/**
 * Fuzz pass over the readers of untrusted project files (issue 10): `.dvc`,
 * `dvc.yaml`, `dvc.lock`, params files (YAML/JSON/TOML/Python), `.dvc/config`,
 * `.dir` listings and `.dvc/cairn.yaml`. Seed inputs are DVC-written fixture
 * files; mutants come from a seeded PRNG (tests/security/_fuzz.ts), so every
 * failure names its seed and mutations and replays exactly.
 *
 * Every mutant must end with a correct result or a CairnError that names the
 * file (never a TypeError, RangeError or other stack trace). The pass runs a
 * fixed sequence of cases, readers interleaved, for a bounded amount of work
 * (FUZZ_BUDGET_MS, default 5 s; FUZZ_CASES caps the count) so the suite stays
 * quick; how many ran is printed.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../_rig/assert.ts";
import { cairn, FIXTURES, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import { CairnError } from "../../lib/errors.ts";
import { formatDvcFile, parseDvcFile } from "../../lib/dvcfile/dvc_file.ts";
import { parsePipelineFile } from "../../lib/dvcfile/pipeline_file.ts";
import { parseLockFile } from "../../lib/dvcfile/lock_file.ts";
import { flattenParams, parseParams } from "../../lib/params/load.ts";
import { parseIni } from "../../lib/config/ini.ts";
import { validateLevels } from "../../lib/config/config.ts";
import { parseListing } from "../../lib/hash/dir_listing.ts";
import { parseCairnConfig } from "../../lib/config/cairn_config.ts";
import { mutants } from "./_fuzz.ts";

function fixture(rel: string): string {
  return Deno.readTextFileSync(join(FIXTURES, rel));
}

/** A folder for dvc.yaml's `vars` files (the resolver reads them relative to the root). */
const ROOT = Deno.makeTempDirSync({ prefix: "cairn-fuzz-" });
writeFiles(ROOT, { "params.yaml": fixture("pipeline_repo/repo/params.yaml") });

const PARAMS_YAML = fixture("pipeline_repo/repo/params.yaml");

interface Reader {
  name: string;
  /** the file name the reader is told (errors must name it) */
  file: string;
  seeds: string[];
  read(text: string, file: string): unknown;
}

const READERS: Reader[] = [
  {
    name: ".dvc",
    file: "data.dvc",
    seeds: [
      fixture("add_repo/repo/data.csv.dvc"),
      fixture("add_repo/repo/images.dvc"),
      fixture("pipeline_repo/repo/data/raw.csv.dvc"),
    ],
    read: (t, f) => formatDvcFile(parseDvcFile(t, f)),
  },
  {
    name: "dvc.yaml",
    file: "dvc.yaml",
    seeds: [fixture("pipeline_repo/repo/dvc.yaml"), fixture("lock_formats/repo/dvc.yaml")],
    read: (t, f) => parsePipelineFile(t, f, { root: ROOT }).stages.length,
  },
  {
    name: "dvc.lock",
    file: "dvc.lock",
    seeds: [fixture("pipeline_repo/repo/dvc.lock"), fixture("lock_formats/repo/dvc.lock")],
    read: (t, f) => parseLockFile(t, f).stages.size,
  },
  {
    name: "params.yaml",
    file: "params.yaml",
    seeds: [PARAMS_YAML],
    read: (t, f) => flattenParams(parseParams(t, f)),
  },
  {
    name: "params.json",
    file: "params.json",
    seeds: [fixture("pipeline_repo/repo/eval/metrics.json"), '{"a": {"b": [1, 2.5, "x", null]}}'],
    read: (t, f) => flattenParams(parseParams(t, f)),
  },
  {
    name: "params.toml",
    file: "params.toml",
    seeds: ['[train]\nlr = 0.01\nlayers = [1, 2]\n[prepare]\nseed = 3\nname = "x"\n'],
    read: (t, f) => flattenParams(parseParams(t, f)),
  },
  {
    name: "params.py",
    file: "params.py",
    seeds: ['LR = 0.1\nLAYERS = [1, (2, 3)]\nclass Train:\n    epochs = 3\n    name = "x"\n'],
    read: (t, f) => flattenParams(parseParams(t, f)),
  },
  {
    name: ".dvc/config",
    file: "/nonexistent/.dvc/config",
    seeds: [fixture("remote_layout/config"), fixture("remote_layout/config_after_edits")],
    read: (t, f) => validateLevels([{ doc: parseIni(t, f), file: f }]),
  },
  {
    name: ".dir",
    file: ".dir object",
    seeds: [fixture("add_repo/repo/.dvc/cache/files/md5/08/eb077c61a91daf20a39542c665fa03.dir")],
    read: (t, f) => parseListing(t, f),
  },
  {
    name: ".dvc/cairn.yaml",
    file: ".dvc/cairn.yaml",
    seeds: ["sandbox:\n  policy: hermetic\nplugins:\n  - tools/runner_r\n"],
    read: (t, f) => parseCairnConfig(t, f),
  },
];

const BUDGET_MS = Number(Deno.env.get("FUZZ_BUDGET_MS") ?? 5000);
const MAX_CASES = Number(Deno.env.get("FUZZ_CASES") ?? 4000);
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261206);

interface Outcome {
  reader: string;
  how: string;
  problem: string;
  input: string;
}

/** Run one mutant; a problem when it throws anything but a CairnError naming the file. */
function check(r: Reader, text: string, how: string): Outcome | null {
  try {
    r.read(text, r.file);
    return null;
  } catch (err) {
    if (err instanceof CairnError) {
      // the file is named in the message or (config errors: DVC's wording first) the hint
      if (`${err.message}\n${err.hint ?? ""}`.includes(r.file)) return null;
      return {
        reader: r.name,
        how,
        problem: `error does not name the file: ${err.message.slice(0, 300)}`,
        input: text,
      };
    }
    const e = err as Error;
    return {
      reader: r.name,
      how,
      problem: `${e?.name}: ${String(e?.message).slice(0, 300)}\n${
        (e?.stack ?? "").split("\n").slice(1, 4).join("\n")
      }`,
      input: text,
    };
  }
}

Deno.test("fuzz: mutated .dvc / dvc.yaml / dvc.lock / params / config / .dir / cairn.yaml end cleanly", () => {
  const problems: Outcome[] = [];
  const start = performance.now();
  const perReader = READERS.map((r, i) =>
    r.seeds.map((s, j) => mutants(s, SEED + i * 97 + j, Number.MAX_SAFE_INTEGER))
  );
  let ran = 0;
  let slowest = { ms: 0, how: "" };
  outer: for (let k = 0;; k++) {
    for (let i = 0; i < READERS.length; i++) {
      if (ran >= MAX_CASES || performance.now() - start > BUDGET_MS) break outer;
      const gens = perReader[i];
      const m = gens[k % gens.length].next().value!;
      const t0 = performance.now();
      const p = check(READERS[i], m.text, m.how);
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { ms, how: `${READERS[i].name} ${m.how}` };
      if (p) problems.push(p);
      ran++;
    }
  }
  console.log(
    `fuzz: ${ran} mutants over ${READERS.length} readers in ${
      Math.round(performance.now() - start)
    } ms; slowest ${Math.round(slowest.ms)} ms (${slowest.how})`,
  );
  assert(ran >= READERS.length * 5, `too few cases ran (${ran})`);
  assertEquals(
    problems.slice(0, 15).map((p) =>
      `${p.reader} [${p.how}] ${p.problem}\n  input: ${JSON.stringify(p.input.slice(0, 200))}`
    ),
    [],
    `${problems.length} problems`,
  );
});

Deno.test("fuzz: the unmutated seeds read without error (the harness tests something real)", () => {
  for (const r of READERS) {
    for (const s of r.seeds) r.read(s, r.file);
  }
});

/** Mutants a reader refuses (they reach the CLI's error path). */
function refusedMutants(r: Reader, n: number): string[] {
  const out: string[] = [];
  for (const m of mutants(r.seeds[0], SEED + 7, 200)) {
    try {
      r.read(m.text, r.file);
    } catch (err) {
      if (err instanceof CairnError) out.push(m.text);
    }
    if (out.length >= n) break;
  }
  return out;
}

Deno.test("fuzz through the CLI: hostile project files make `status` fail cleanly", () => {
  const dir = makeRepo();
  try {
    const byName = Object.fromEntries(READERS.map((r) => [r.name, r]));
    const cases: [string, string][] = [
      ...refusedMutants(byName[".dvc"], 1).map((t) => ["data.dvc", t] as [string, string]),
      ...refusedMutants(byName["dvc.yaml"], 1).map((t) => ["dvc.yaml", t] as [string, string]),
      ...refusedMutants(byName["dvc.lock"], 1).map((t) => ["dvc.lock", t] as [string, string]),
      ...refusedMutants(byName[".dvc/config"], 1).map((t) =>
        [".dvc/config", t] as [string, string]
      ),
    ];
    assertEquals(cases.length, 4, "each reader refuses some mutant");
    const config = Deno.readTextFileSync(join(dir, ".dvc/config"));
    for (const [file, text] of cases) {
      writeFiles(dir, {
        ".dvc/config": config,
        "dvc.yaml": file === "dvc.lock" ? fixture("pipeline_repo/repo/dvc.yaml") : "stages: {}\n",
        "params.yaml": PARAMS_YAML,
      });
      writeFiles(dir, { [file]: text });
      const r = cairn(["status"], { cwd: dir });
      if (Deno.env.get("FUZZ_DEBUG")) console.log(file, r.code, r.stderr.slice(0, 200));
      assert([1, 251].includes(r.code), `${file}: exit ${r.code}\n${r.stderr}`);
      assert(!/unexpected error|\n\s+at /.test(r.stderr), `${file}: ${r.stderr}`);
      assert(r.stderr.includes(file.split("/").at(-1)!), `${file} named: ${r.stderr}`);
      for (const f of ["data.dvc", "dvc.lock"]) {
        try {
          Deno.removeSync(join(dir, f));
        } catch { /* not written */ }
      }
    }
  } finally {
    removeDir(dir);
  }
});

globalThis.addEventListener("unload", () => removeDir(ROOT));

// What the fuzz pass found, pinned.

Deno.test("found by fuzzing: a .dir entry's md5 must be an md5 (it becomes a cache path)", () => {
  for (const md5 of ["../../../../etc/passwd", "0123", "ZZ".repeat(16), `${"a".repeat(32)}/..`]) {
    const text = JSON.stringify([{ md5, relpath: "x" }]);
    try {
      parseListing(text, "remote .dir object");
      assert(false, `accepted ${md5}`);
    } catch (err) {
      assert(err instanceof CairnError, String(err));
      assert(err.message.includes("remote .dir object"), err.message);
      assert(err.message.includes("invalid md5"), err.message);
    }
  }
});

Deno.test("found by fuzzing: a hostile .dvc/cairn.yaml makes no library warnings on stderr", () => {
  const code = `
    import { parseCairnConfig } from "${new URL(
    "../../lib/config/cairn_config.ts",
    import.meta.url,
  )}";
    for (const t of ["sandbox: !!python/object:os.system x\\n", "plugins:\\n  - !!int x\\n", "!!binary x"]) {
      try { parseCairnConfig(t, ".dvc/cairn.yaml"); } catch { /* refused: fine */ }
    }`;
  const out = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const err = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, err);
  assertEquals(err.includes("Warning"), false, err);
});

Deno.test("found by fuzzing: `path: : : : ...` 5000 deep in dvc.lock overflowed the YAML parser's own stack", () => {
  const seed = fixture("pipeline_repo/repo/dvc.lock");
  const text = seed.replace(
    "    - path: data/prepared\n",
    `    - path: ${": ".repeat(5000)}data/prepared\n`,
  );
  assert(text !== seed);
  for (const file of ["dvc.lock", "params.yaml"]) {
    const r = READERS.find((x) => x.name === file)!;
    try {
      r.read(text, r.file);
      assert(false, `${file}: accepted`);
    } catch (err) {
      assert(err instanceof CairnError, `${file}: ${err}`);
      assert(err.message.includes(r.file), err.message);
    }
  }
});

Deno.test("found by fuzzing: a 60,000-character config key gets a short message, no 'did you mean' search", () => {
  const key = "!!timestamp ".repeat(5000);
  const text = `[core]\n    remote = local\n['remote "local"']\n${key}= x\n`;
  const file = "/nonexistent/.dvc/config";
  try {
    validateLevels([{ doc: parseIni(text, file), file }]);
    assert(false, "accepted");
  } catch (err) {
    assert(err instanceof CairnError, String(err));
    assert(err.message.length < 400, `message of ${err.message.length} chars`);
    assert((err.hint ?? "").length < 600, `hint of ${err.hint?.length} chars`);
    assert(!/did you mean/.test(err.hint ?? ""));
  }
});

Deno.test("found by fuzzing: a huge integer as cairn.yaml's sandbox.policy is a config error", () => {
  try {
    parseCairnConfig(`sandbox:\n  policy: ${"9".repeat(200)}\n`, ".dvc/cairn.yaml");
    assert(false, "accepted");
  } catch (err) {
    assert(err instanceof CairnError, String(err));
    assert(/sandbox\.policy must be one of/.test(err.message), err.message);
    assert(err.message.length < 300, err.message);
  }
});
