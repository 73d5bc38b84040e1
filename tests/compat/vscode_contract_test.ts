/**
 * DVC's VS Code extension as a client (iterative/vscode-dvc,
 * extension/src/cli/dvc/{reader,executor,config}.ts): every call it makes,
 * except experiments and queue, run in the order a session makes them on a
 * copy of pipeline_repo, against what a real DVC 3.64.0 printed for the
 * same steps (tests/fixtures/vscode_dvc/NN.{cmd,out,err,rc}; see its README).
 * JSON answers are compared parsed (lists of `data status` as sets: DVC's
 * order is its trie's), text byte for byte, and exit codes exactly.
 */
import { dirname, join } from "node:path";
import { assertEquals } from "../_rig/assert.ts";
import { cairn, copyFixtureRepo, git, removeDir, ROOT } from "../_rig/rig.ts";

const REC = join(ROOT, "tests", "fixtures", "vscode_dvc");

/** Workspace changes made before step N (as the recording did). */
const BEFORE: Record<string, (repo: string) => void> = {
  "20": (repo) => Deno.writeTextFileSync(join(repo, "data/raw.csv"), "new\n", { append: true }),
  "23": (repo) => {
    removeDir(join(repo, "data/prepared"));
    Deno.removeSync(join(repo, "model.json"));
  },
  "25": (repo) => Deno.writeTextFileSync(join(repo, "extra.txt"), "hi\n"),
  "27": (repo) => removeDir(join(repo, ".dvc/cache")),
  "29": (repo) => {
    Deno.mkdirSync(join(repo, "sub"));
    git(["init", "-q"], join(repo, "sub"));
  },
};

/**
 * Where cairn deliberately or knowingly differs; each names the difference.
 * The rest of the step is still compared.
 */
const KNOWN: Record<string, { why: string; fix: (s: Rec) => Rec }> = {
  "25": {
    why: "the auto-staging hint names the program that prints it",
    fix: (s) => ({ ...s, out: s.out.replace("\tdvc config", "\tcairn config") }),
  },
  "29": {
    why: "init does not print DVC's 'What's next?' links to dvc.org",
    fix: (s) => ({ ...s, out: s.out.replace(/\nWhat's next\?\n[\s\S]*$/, "") }),
  },
  "19": {
    why: "config errors are worded by the config schema (issue 10); only the exit code is shared",
    fix: (s) => ({ ...s, err: "*" }),
  },
};

interface Rec {
  args: string[];
  out: string;
  err: string;
  rc: number;
}

function recorded(n: string, w: string): Rec {
  const read = (ext: string) => {
    try {
      return Deno.readTextFileSync(join(REC, `${n}.${ext}`)).replaceAll("{W}", w);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return "";
      throw err;
    }
  };
  return {
    args: read("cmd").trim().split(" "),
    out: read("out"),
    err: read("err"),
    rc: Number(read("rc").trim()),
  };
}

function sortLists(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortLists).sort();
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortLists(x)]));
  }
  return v;
}

Deno.test("VS Code extension contract: each call answers as DVC 3.64 did", () => {
  const w = Deno.makeTempDirSync({ prefix: "cairn-vscode-" });
  const copied = copyFixtureRepo("pipeline_repo/repo");
  const repo = join(w, "repo");
  Deno.renameSync(copied, repo);
  try {
    const steps = [...Deno.readDirSync(REC)].map((e) => e.name).filter((f) => f.endsWith(".cmd"))
      .map((f) => f.slice(0, -4)).sort();
    assertEquals(steps.length, 30);
    for (const n of steps) {
      BEFORE[n]?.(repo);
      let want = recorded(n, w);
      if (KNOWN[n]) want = KNOWN[n].fix(want);
      const cwd = n === "29" ? join(repo, "sub") : repo;
      const got = cairn(want.args, { cwd });
      const what = `step ${n}: ${want.args.join(" ")}${
        KNOWN[n] ? ` (known: ${KNOWN[n].why})` : ""
      }`;
      assertEquals(got.code, want.rc, `${what}\n${got.stderr}`);
      if (want.args.includes("--json")) {
        assertEquals(sortLists(JSON.parse(got.stdout)), sortLists(JSON.parse(want.out)), what);
      } else if (want.args[0] === "remote" && want.args[1] === "list") {
        // rich's tab stops depend on the temp path's length: compare the columns
        const cols = (t: string) => t.replace(/ +/g, " ");
        assertEquals(cols(got.stdout), cols(want.out), what);
      } else {
        assertEquals(got.stdout, want.out, what);
      }
      if (want.err !== "*") assertEquals(got.stderr, want.err, what);
    }
    assertEquals(dirname(repo), w);
  } finally {
    removeDir(w);
  }
});
