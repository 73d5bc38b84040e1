/**
 * Experiment refs and commits (dvc-spec §14.1): `refs/exps/<sha[:2]>/<sha[2:]>/<name>`
 * pointing at a commit whose parent is the baseline. Commits are made with
 * git plumbing through a temporary index (GIT_INDEX_FILE), so HEAD, the
 * branch and the user's index never move.
 */
import { join } from "node:path";
import { createHash } from "node:crypto";
import { CairnError, ignoreNotFound, ScmError } from "../../errors.ts";
import type { Repo } from "../repo.ts";
import { canonicalJson } from "../../py/canonical_json.ts";
import { runToolSync } from "../../proc/spawn.ts";

const dec = new TextDecoder();

export const EXPS_NAMESPACE = "refs/exps";

/** An experiment name or ref that does not exist. */
export class UnknownExperimentError extends CairnError {
  constructor(name: string) {
    super(`'${name}' does not appear to be an experiment reference.`, {
      hint: "list experiments with 'cairn exp list --all-commits'",
    });
  }
}

/** `-n NAME` is taken for this baseline already. */
export class ExperimentExistsError extends CairnError {
  constructor(name: string) {
    super(`Experiment conflicts with existing experiment '${name}'.`, {
      hint: `choose another name or remove it first: cairn exp remove ${name}`,
    });
  }
}

/** One experiment ref. */
export interface ExpRef {
  ref: string;
  name: string;
  baseline: string;
  /** the experiment commit. */
  sha: string;
  /** committer time, seconds since the epoch. */
  timestamp: number;
}

/** Run git with extra env; throws CairnError on failure. */
export function gitEnv(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): string {
  const out = runToolSync("git", args, {
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", ...env },
  });
  if (out.code !== 0) {
    throw new ScmError(
      `git ${args[0]} failed`,
      dec.decode(out.stderr).trim() || `exit ${out.code}`,
    );
  }
  return dec.decode(out.stdout);
}

export function scmRootOf(repo: Repo): string {
  if (!repo.scmRoot) {
    throw new CairnError("experiments need a git repository", {
      hint: "this repository has core.no_scm set or is not inside git",
    });
  }
  return repo.scmRoot;
}

/** HEAD's commit; a CairnError in a repository without commits. */
export function headSha(repo: Repo): string {
  const sha = headShaIfAny(repo);
  if (sha === undefined) {
    throw new CairnError("experiments need a baseline commit: the repository has no commits", {
      hint: "commit the pipeline first (git commit)",
    });
  }
  return sha;
}

/** HEAD's commit, or undefined in a repository without commits. */
export function headShaIfAny(repo: Repo): string | undefined {
  const r = runToolSync("git", ["rev-parse", "--verify", "-q", "HEAD^{commit}"], {
    cwd: scmRootOf(repo),
    stdout: "piped",
    stderr: "null",
  });
  return r.code === 0 ? dec.decode(r.stdout).trim() : undefined;
}

export function expRefName(baseline: string, name: string): string {
  return `${EXPS_NAMESPACE}/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`;
}

/** DVC's name check: a valid git ref component, no `/`. */
export function checkExpName(name: string, cwd: string): void {
  const ok = !name.includes("/") &&
    runToolSync("git", ["check-ref-format", `refs/exps/x/${name}`], {
        cwd,
        stdout: "null",
        stderr: "null",
      }).code === 0;
  if (!ok) {
    throw new CairnError(
      `Invalid exp name '${name}', the exp name must follow rules in https://git-scm.com/docs/git-check-ref-format`,
    );
  }
}

/** Every experiment ref (queue/exec/temp refs left out). */
export function listExpRefs(repo: Repo): ExpRef[] {
  const out = gitEnv(
    ["for-each-ref", "--format=%(refname) %(objectname) %(committerdate:unix)", EXPS_NAMESPACE],
    scmRootOf(repo),
  );
  const refs: ExpRef[] = [];
  for (const line of out.split("\n")) {
    const [ref, sha, ts] = line.split(" ");
    const parts = ref?.split("/") ?? [];
    if (parts.length !== 5 || !/^[0-9a-f]{2}$/.test(parts[2])) continue;
    refs.push({ ref, name: parts[4], baseline: parts[2] + parts[3], sha, timestamp: Number(ts) });
  }
  return refs.sort((a, b) => a.timestamp - b.timestamp || a.name.localeCompare(b.name));
}

/**
 * The experiment a user names: an exp name (unique, preferring the HEAD
 * baseline), a full ref, or an exp commit sha prefix.
 */
export function resolveExp(repo: Repo, name: string): ExpRef {
  const all = listExpRefs(repo);
  const byRef = all.find((e) => e.ref === name);
  if (byRef) return byRef;
  let hits = all.filter((e) => e.name === name);
  if (hits.length > 1) {
    const head = headShaIfAny(repo);
    const onHead = hits.filter((e) => e.baseline === head);
    if (onHead.length === 1) return onHead[0];
    throw new CairnError(`ambiguous experiment name '${name}'`, {
      hint: `use the full ref: ${hits.map((e) => e.ref).join(", ")}`,
    });
  }
  if (!hits.length && /^[0-9a-f]{4,40}$/.test(name)) {
    hits = all.filter((e) => e.sha.startsWith(name));
  }
  if (hits.length === 1) return hits[0];
  throw new UnknownExperimentError(name);
}

/** DVC's `hash_exp`: sha256 of the canonical JSON of the lock entries of the stages run. */
export function expHash(entries: Record<string, unknown>): string {
  return createHash("sha256").update(canonicalJson(entries)).digest("hex");
}

export interface CommitExpOptions {
  name: string;
  baseline: string;
  message: string;
  /** repo-relative paths (to the git root) to add besides tracked changes. */
  extraPaths?: string[];
  force?: boolean;
}

/**
 * Commit the workspace (tracked files' changes plus `extraPaths`) on top of
 * `baseline` and point the exp ref at it. Returns the commit sha.
 */
export function commitExperiment(repo: Repo, opts: CommitExpOptions): string {
  const cwd = scmRootOf(repo);
  const gitDir = gitEnv(["rev-parse", "--absolute-git-dir"], cwd).trim();
  const indexFile = join(gitDir, `cairn-exp-index-${crypto.randomUUID()}`);
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    // start from the real index so staged work is part of the workspace state
    try {
      Deno.copyFileSync(join(gitDir, "index"), indexFile);
    } catch (err) {
      ignoreNotFound(err); // no index yet: start from the baseline's tree
      gitEnv(["read-tree", opts.baseline], cwd, env);
    }
    gitEnv(["add", "-u", "--", "."], cwd, env);
    const extra = (opts.extraPaths ?? []).filter((p) => {
      try {
        Deno.lstatSync(join(cwd, p));
        return true;
      } catch (err) {
        ignoreNotFound(err);
        return false;
      }
    });
    // force-added like DVC's executor does: a `cache: false` metric may still be
    // listed in a .gitignore (the course seed) and must be in the experiment
    if (extra.length) gitEnv(["add", "-f", "--", ...extra], cwd, env);
    const tree = gitEnv(["write-tree"], cwd, env).trim();
    const commit = gitEnv(["commit-tree", tree, "-p", opts.baseline, "-m", opts.message], cwd)
      .trim();
    const ref = expRefName(opts.baseline, opts.name);
    // "" as the old value: refuse to overwrite an existing ref unless forced
    gitEnv(["update-ref", ref, commit, ...(opts.force ? [] : [""])], cwd);
    return commit;
  } finally {
    try {
      Deno.removeSync(indexFile);
    } catch { /* best effort: never created, or cleanup must not mask the work's error */ }
  }
}

/** A ref for `name` at this baseline already exists. */
export function expExists(repo: Repo, baseline: string, name: string): boolean {
  return runToolSync("git", ["rev-parse", "--verify", "-q", expRefName(baseline, name)], {
    cwd: scmRootOf(repo),
    stdout: "null",
    stderr: "null",
  }).code === 0;
}

const ADJECTIVES = (
  "able agile airy alpine amber ample apt arid awash balmy bland blond bluer bold boned bosky " +
  "brash brave brisk broad calm canny chewy civic clad clear comfy coral cozy crisp curly " +
  "cushy daffy dandy deft dense dingy dizzy dopey downy dusty eager early edgy famed fancy " +
  "felt fiery firm fishy fleet floral fluid focal fond funny furry fuzzy gamey giddy gilt " +
  "glum godly gooey grand gusty hairy handy hardy hazy heady hefty hilly hoary holy humid " +
  "husky icky inert iron jaunty jumpy keen known lacy lame leafy level limp lined loony loyal " +
  "lucid lumpy lusty mazy merry messy milky minty misty moody mossy muggy murky mushy natty " +
  "needy nervy newsy nifty noble nosy oaken oiled olden outer owing pally peaty perky pesky " +
  "petty pied plumb plump polar pucka puffy quack quick rainy rapid raspy ready regal rimed " +
  "risky roomy rosy ruddy sandy sappy sassy seamy shaky showy silty sleek slimy snowy snuffy " +
  "soapy solar sooty spiry stale suave sunny swell tabby tawny tense tidal tinny tipsy toned " +
  "tonic toxic trig tubby unfit vague vital wacky wally wanted warty weedy wheezy whole windy " +
  "wired woody zesty"
).split(" ");
const NOUNS = (
  "abba alto amps ankh arcs area arms bach bail bait band bank bass bats beam bees bell bike " +
  "bits boar bolt bone book boom boot bore brew buck buns cafe cake calf cane card carp cart " +
  "cell chef chip clef coda coin cone cook cord corn cost crab dabs dado dais daze deck dent " +
  "dews dial dice dish dock doge dove drum duct dune ease eddy eels elms fado fame fang feed " +
  "fern fire fish flax foal font fork fuse gaff gale gene gist glob goby gold gong grid gulf " +
  "hack hail hare harp hawk heap herb hike hive hoax hulk iamb ibex icon iris jams jazz jeep " +
  "jinn kale kelp kilt kiwi lace lamb lark lava leaf lens lime lion loaf lobe loom lute lynx " +
  "mace maid malt mare mast maze mesa mica mink mint moat mole moss moth mule nabs naff nail " +
  "nest newt node nook oars oats okra opal oryx oven owls pads palm pear pegs pier pine pita " +
  "plum poem pond puma quad quay rack raft rain ramp reed reef rhea ring robe rock roof rung " +
  "sack sage sail salt seal seed shed shoe silk sine slab sloe snag sofa soup spar stud swan " +
  "tabs tank taps teak tern tide toad tofu tomb tuna tusk twig urns vase veal vein vine void " +
  "wads wand wasp weir whey wick wilt wing wisp woad wolf yaks yard yarn yawl yoga yolk zinc " +
  "zone"
).split(" ");

/** A random `<adjective>-<noun>` name not used at `baseline` yet. */
export function randomExpName(repo: Repo, baseline: string): string {
  const pick = (l: string[]) => l[crypto.getRandomValues(new Uint32Array(1))[0] % l.length];
  for (let i = 0; i < 100; i++) {
    const name = `${pick(ADJECTIVES)}-${pick(NOUNS)}`;
    if (!expExists(repo, baseline, name)) return name;
  }
  return `exp-${crypto.randomUUID().slice(0, 8)}`;
}
