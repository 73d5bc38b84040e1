/**
 * e2e: `cairn plots show/diff` pages rendered in real headless Chromium
 * (Debian `chromium`, driven by npm playwright-core), offline: every
 * request that is not a local file is refused and counted. Each plot must
 * draw its marks (SVG elements counted against the data). The confusion
 * matrix is kept as a screenshot in tests/artifacts/.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairnOk, git, makeRepo, removeDir, ROOT, writeFiles } from "../_rig/rig.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];
const ARTIFACTS = join(ROOT, "tests", "artifacts");

// 1x1 PNG
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

const CLASSES = ["cat", "dog", "bird"];

/** A classifier's test predictions: `n` rows, deterministic, every pair of classes present. */
function predictions(n: number, shift: number): string {
  const rows = ["actual,predicted"];
  for (let i = 0; i < n; i++) {
    const actual = CLASSES[i % 3];
    const predicted = CLASSES[(i + Math.floor(i / 3) * shift) % 3];
    rows.push(`${actual},${predicted}`);
  }
  return rows.join("\n") + "\n";
}

function lossCsv(n: number, scale: number): string {
  const rows = ["epoch,loss,acc"];
  for (let i = 0; i < n; i++) {
    rows.push(`${i},${(scale / (i + 1)).toFixed(4)},${(1 - 1 / (i + 2)).toFixed(4)}`);
  }
  return rows.join("\n") + "\n";
}

function roc(n: number, bias: number): string {
  const pts = [];
  for (let i = 0; i <= n; i++) {
    const fpr = i / n;
    pts.push({ fpr, tpr: Math.min(1, fpr ** bias), threshold: 1 - fpr });
  }
  return JSON.stringify({ roc: pts });
}

const DVC_YAML = `stages:
  train:
    cmd: python train.py
    plots:
    - loss.csv:
        x: epoch
        y: loss
        cache: false
plots:
- confusion:
    template: confusion
    x: actual
    y:
      eval/cm.csv: predicted
- confusion_normalized:
    template: confusion_normalized
    x: actual
    y:
      eval/cm.csv: predicted
- roc:
    template: simple
    x: fpr
    y:
      eval/roc_train.json: tpr
      eval/roc_test.json: tpr
    x_label: False Positive Rate
- eval/scores.json:
    template: bar_horizontal
    x: score
    y: feature
- eval/points.csv:
    template: scatter
    x: a
    y: b
- importance.png
`;

function scores(k: number): string {
  return JSON.stringify(
    Array.from({ length: k }, (_, i) => ({ feature: `f${i}`, score: (k - i) / k })),
  );
}

function points(n: number): string {
  const rows = ["a,b"];
  for (let i = 0; i < n; i++) rows.push(`${i},${(i * 7) % 11}`);
  return rows.join("\n") + "\n";
}

function project(): string {
  const dir = makeRepo();
  writeFiles(dir, {
    "dvc.yaml": DVC_YAML,
    "loss.csv": lossCsv(12, 2),
    "eval/cm.csv": predictions(30, 1),
    "eval/roc_train.json": roc(10, 0.5),
    "eval/roc_test.json": roc(10, 0.7),
    "eval/scores.json": scores(5),
    "eval/points.csv": points(9),
    "importance.png": PNG,
  });
  git(["add", "-A"], dir);
  git(["commit", "-qm", "v1"], dir);
  git(["tag", "v1"], dir);
  writeFiles(dir, {
    "loss.csv": lossCsv(12, 1),
    "eval/cm.csv": predictions(30, 2),
    "eval/scores.json": scores(5),
  });
  git(["add", "-A"], dir);
  git(["commit", "-qm", "v2"], dir);
  return dir;
}

interface Marks {
  rect: number;
  line: number;
  symbol: number;
  text: number;
  rule: number;
  img: number;
  imgLoaded: number;
  svg: number;
}

async function marks(page: Page, id: string): Promise<Marks> {
  // Evaluated in the page (a string, so this file needs no DOM types).
  return await page.evaluate(`(() => {
    const root = document.getElementById(${JSON.stringify(id)});
    if (!root) throw new Error("no element #" + ${JSON.stringify(id)});
    const n = (sel) => root.querySelectorAll(sel).length;
    const imgs = [...root.querySelectorAll("img")];
    return {
      rect: n("g.mark-rect.role-mark path"),
      line: n("g.mark-line.role-mark path"),
      symbol: n("g.mark-symbol.role-mark path"),
      text: n("g.mark-text.role-mark text"),
      rule: n("g.mark-rule.role-mark line"),
      img: imgs.length,
      imgLoaded: imgs.filter((i) => i.complete && i.naturalWidth > 0).length,
      svg: n("svg"),
    };
  })()`) as Marks;
}

/** Open a page offline; returns the page and the list of refused (non-file) requests. */
async function openOffline(
  browser: Browser,
  file: string,
): Promise<{ page: Page; refused: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const refused: string[] = [];
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
    refused.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction("window.cairnPlots !== undefined");
  await page.evaluate("Promise.all(window.cairnPlots).then(() => true)");
  return { page, refused, errors };
}

async function withBrowser(fn: (b: Browser) => Promise<void>) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    await fn(browser);
  } finally {
    await browser.close();
  }
}

Deno.test("plots show: the page renders offline in Chromium and every plot draws its marks", async () => {
  const dir = project();
  try {
    const out = cairnOk(["plots", "show"], { cwd: dir }).stdout.trim();
    assertEquals(out, pathToFileURL(join(dir, "dvc_plots", "index.html")).href);
    const html = Deno.readTextFileSync(join(dir, "dvc_plots", "index.html"));
    assert(!html.includes("cdn.jsdelivr.net"), "the Vega code must be inlined");
    await withBrowser(async (browser) => {
      const { page, refused, errors } = await openOffline(
        browser,
        join(dir, "dvc_plots", "index.html"),
      );
      assertEquals(refused, []);
      assertEquals(errors, []);
      // confusion: 3 classes -> 3x3 cells (zero cells imputed), a count in each
      const cm = await marks(page, "confusion");
      assertEquals(cm.rect, 9);
      assertEquals(cm.text, 9);
      const cmn = await marks(page, "confusion_normalized");
      assertEquals(cmn.rect, 9);
      // roc: simple template, two sources -> two lines
      assertEquals((await marks(page, "roc")).line, 2);
      // stage plot loss.csv with the default (linear = smooth) template:
      // smoothed + raw line, one last-point circle, one hover rule per epoch
      const loss = await marks(page, "loss_csv");
      assertEquals(loss.line, 2);
      assertEquals(loss.symbol, 1);
      assertEquals(loss.rule, 12);
      // bar_horizontal: a bar per row; scatter: a point per row
      assertEquals((await marks(page, "eval_scores_json")).rect, 5);
      assertEquals((await marks(page, "eval_points_csv")).symbol, 9);
      const img = await marks(page, "importance_png");
      assertEquals(img.img, 1);
      assertEquals(img.imgLoaded, 1);
      Deno.mkdirSync(ARTIFACTS, { recursive: true });
      await page.locator("#confusion").screenshot({
        path: join(ARTIFACTS, "confusion_matrix.png"),
      });
      await page.screenshot({ path: join(ARTIFACTS, "plots_show_page.png"), fullPage: true });
    });
    const shot = Deno.statSync(join(ARTIFACTS, "confusion_matrix.png"));
    assert(shot.size > 1000, "screenshot written");
  } finally {
    removeDir(dir);
  }
});

Deno.test("plots diff: revisions overlaid (one colour each, one confusion panel each)", async () => {
  const dir = project();
  try {
    writeFiles(dir, { "loss.csv": lossCsv(12, 0.5) });
    const url = cairnOk(["plots", "diff", "v1", "HEAD", "workspace", "-o", "cmp"], { cwd: dir })
      .stdout.trim();
    assertMatch(url, /cmp\/index\.html$/);
    const json = JSON.parse(
      cairnOk(["plots", "diff", "v1", "HEAD", "workspace", "--json", "-o", "cmp"], { cwd: dir })
        .stdout,
    );
    assertEquals(json.data["confusion"][0].revisions, ["workspace", "v1", "HEAD"]);
    assertEquals(json.data["importance.png"].length, 3);
    await withBrowser(async (browser) => {
      const { page, refused, errors } = await openOffline(browser, join(dir, "cmp", "index.html"));
      assertEquals(refused, []);
      assertEquals(errors, []);
      // 3 revisions: 3 loess + 3 raw lines, 3 last points
      const loss = await marks(page, "loss_csv");
      assertEquals(loss.line, 6);
      assertEquals(loss.symbol, 3);
      // a confusion panel per revision
      assertEquals((await marks(page, "confusion")).rect, 27);
      // roc is the same file in all revisions: 2 sources x 3 revisions
      assertEquals((await marks(page, "roc")).line, 6);
      // images: one per revision, all loaded from static/
      const img = await marks(page, "importance_png");
      assertEquals(img.imgLoaded, 3);
      await page.locator("#confusion").screenshot({
        path: join(ARTIFACTS, "confusion_matrix_diff.png"),
      });
    });
  } finally {
    removeDir(dir);
  }
});

Deno.test("plots show --html-template: custom page with {plot_divs} still renders", async () => {
  const dir = project();
  try {
    writeFiles(dir, {
      "page.html":
        "<!DOCTYPE html><html><head><title>Lab report</title>{scripts}</head><body><h1>Run</h1>{plot_divs}</body></html>",
    });
    cairnOk(["plots", "show", "confusion", "--html-template", "page.html"], { cwd: dir });
    const html = Deno.readTextFileSync(join(dir, "dvc_plots", "index.html"));
    assertMatch(html, /<title>Lab report<\/title>/);
    await withBrowser(async (browser) => {
      const { page, refused } = await openOffline(browser, join(dir, "dvc_plots", "index.html"));
      assertEquals(refused, []);
      assertEquals((await marks(page, "confusion")).rect, 9);
      assertEquals(await page.evaluate("document.querySelectorAll('#roc').length"), 0);
    });
  } finally {
    removeDir(dir);
  }
});
