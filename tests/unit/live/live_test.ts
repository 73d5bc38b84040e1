/** Live writes DVCLive 3's layout: compared with fixtures/docs_example (see its SOURCE.md). */
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch, assertThrows } from "../../_rig/assert.ts";
import { git, removeDir } from "../../_rig/rig.ts";
import { Live } from "../../../lib/live/live.ts";

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "docs_example");
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

function dirname(p: string): string {
  return p.slice(0, p.lastIndexOf("/"));
}

function listFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...listFiles(root, p));
    else out.push(relative(root, p));
  }
  return out.sort();
}

/** The same run as fixtures/docs_example/script.py, with cairn's Live. */
async function docsExample(cwd: string): Promise<void> {
  Deno.writeFileSync(join(cwd, "img.png"), PNG);
  const live = new Live({ cwd });
  live.logParam("epochs", 2);
  live.logParams({ lr: 0.01, optimizer: "Adam" });
  for (const [train, val, acc] of [[0.4, 0.9, 0.5], [0.2, 0.4, 0.75]]) {
    live.logMetric("train/loss", train);
    live.logMetric("val/loss", val);
    live.logMetric("acc", acc);
    live.nextStep();
  }
  live.logImage("img.png", "img.png");
  live.logPlot("iris", [{ x: 1, y: 2.5 }, { x: 2, y: 3.5 }], { x: "x", y: "y", title: "Iris" });
  await live.end();
}

Deno.test("Live: the docs example gives DVCLive's files byte for byte", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-live-" });
  try {
    await docsExample(dir);
    const expected = listFiles(FIXTURE).filter((f) => f !== "SOURCE.md" && f !== "script.py");
    const got = listFiles(dir).filter((f) => f !== "img.png");
    assertEquals(got, expected);
    for (const f of expected) {
      if (f.endsWith(".png")) {
        // PIL re-encodes images, so only the format is compared.
        assertEquals(Deno.readFileSync(join(dir, f)).slice(0, 8), PNG.slice(0, 8));
        continue;
      }
      assertEquals(Deno.readTextFileSync(join(dir, f)), Deno.readTextFileSync(join(FIXTURE, f)), f);
    }
  } finally {
    removeDir(dir);
  }
});

Deno.test("Live: a new run clears the last one; resume continues the step", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-live-" });
  try {
    await docsExample(dir);
    const again = new Live({ cwd: dir });
    again.logMetric("acc", 0.9);
    await again.end();
    assertEquals(
      Deno.readTextFileSync(join(dir, "dvclive/plots/metrics/acc.tsv")),
      "step\tacc\n0\t0.9\n",
    );
    assertEquals(listFiles(join(dir, "dvclive")), ["metrics.json", "plots/metrics/acc.tsv"]);
    // dvc.yaml keeps only the sections this run produced
    assertEquals(
      Deno.readTextFileSync(join(dir, "dvc.yaml")),
      "metrics:\n- dvclive/metrics.json\nplots:\n- dvclive/plots/metrics:\n    x: step\n",
    );

    const first = new Live({ cwd: dir });
    first.logMetric("loss", 1);
    first.nextStep();
    first.logMetric("loss", 0.5);
    first.nextStep();
    await first.end();
    const resumed = new Live({ cwd: dir, resume: true });
    assertEquals(resumed.step, 2);
    resumed.logMetric("loss", 0.25);
    resumed.nextStep();
    await resumed.end();
    assertEquals(
      Deno.readTextFileSync(join(dir, "dvclive/plots/metrics/loss.tsv")),
      "step\tloss\n0\t1\n1\t0.5\n2\t0.25\n",
    );
    assertEquals(JSON.parse(Deno.readTextFileSync(join(dir, "dvclive/metrics.json"))), {
      loss: 0.25,
      step: 2,
    });
  } finally {
    removeDir(dir);
  }
});

Deno.test("Live: an existing dvc.yaml keeps its stages, comments and other entries", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-live-" });
  try {
    const before = [
      "# my pipeline",
      "stages:",
      "  train:",
      "    cmd: deno run train.ts  # trains",
      "metrics:",
      "- other.json",
      "- dvclive/old.json",
      "",
    ].join("\n");
    Deno.writeTextFileSync(join(dir, "dvc.yaml"), before);
    const live = new Live({ cwd: dir });
    live.logMetric("acc", 0.5, { timestamp: true });
    await live.end();
    assertEquals(
      Deno.readTextFileSync(join(dir, "dvc.yaml")),
      [
        "# my pipeline",
        "stages:",
        "  train:",
        "    cmd: deno run train.ts  # trains",
        "metrics:",
        "- other.json",
        "- dvclive/metrics.json",
        "plots:",
        "- dvclive/plots/metrics:",
        "    x: step",
        "",
      ].join("\n"),
    );
    const tsv = Deno.readTextFileSync(join(dir, "dvclive/plots/metrics/acc.tsv"));
    assertMatch(tsv, /^timestamp\tstep\tacc\n\d{13}\t0\t0\.5\n$/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("Live: values as Python writes them; bad names and values refused", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-live-" });
  try {
    const live = new Live({ cwd: dir, dvcyaml: false });
    live.logMetric("tiny", 1e-5);
    live.logMetric("nan", NaN);
    live.logMetric("label", "a\tb");
    await live.end();
    assertEquals(
      Deno.readTextFileSync(join(dir, "dvclive/plots/metrics/tiny.tsv")),
      "step\ttiny\n0\t1e-05\n",
    );
    assertEquals(
      Deno.readTextFileSync(join(dir, "dvclive/plots/metrics/label.tsv")),
      'step\tlabel\n0\t"a\tb"\n',
    );
    assertEquals(
      Deno.readTextFileSync(join(dir, "dvclive/metrics.json")),
      '{\n    "tiny": 1e-05,\n    "nan": "nan",\n    "label": "a\\tb"\n}\n',
    );
    assert(!listFiles(dir).includes("dvc.yaml"));
    assertThrows(() => live.logImage("pic.bmp", PNG), Error, "must end in");
    assertThrows(() => new Live({ cwd: dir, dvcyaml: "x.yaml" }), Error, "dvc.yaml");
    for (const bad of ["../escape", "/abs", "a/../../b", ""]) {
      assertThrows(() => live.logMetric(bad, 1), Error, "without '..'");
    }
    assertThrows(() => live.logImage("../x.png", PNG), Error, "without '..'");
    assertThrows(() => live.logPlot("../p", [], { x: "a", y: "b" }), Error, "without '..'");
  } finally {
    removeDir(dir);
  }
});

Deno.test("Live: save: true without a repository or a commit records nothing and says why", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-live-" });
  try {
    const live = new Live({ cwd: dir, save: true });
    live.logMetric("acc", 1);
    assertEquals(await live.end(), { notSaved: "not inside a DVC repository" });
    git(["init", "-q"], dir);
    Deno.mkdirSync(join(dir, ".dvc"));
    Deno.writeTextFileSync(join(dir, ".dvc", "config"), "");
    const again = new Live({ cwd: dir, save: true });
    assertEquals(await again.end(), {
      notSaved: "experiments need a commit to start from (git commit)",
    });
  } finally {
    removeDir(dir);
  }
});
