/** Every command module; each registers its subcommand(s) on the program. */
import type { Command } from "../argparse.ts";
import type { CliContext } from "../context.ts";
import * as init from "./init.ts";
import * as config from "./config.ts";
import * as misc from "./misc.ts";
import * as metrics from "./metrics.ts";
import * as plots from "./plots.ts";
import * as add from "./add.ts";
import * as checkout from "./checkout.ts";
import * as gc from "./gc.ts";
import * as diff from "./diff.ts";
import * as commit from "./commit.ts";
import * as manage from "./manage.ts";
import * as status from "./status.ts";
import * as repro from "./repro.ts";
import * as stage from "./stage.ts";
import * as dag from "./dag.ts";
import * as freeze from "./freeze.ts";
import * as plugins from "./plugins.ts";
import * as remote from "./remote.ts";
import * as push from "./push.ts";
import * as fetch from "./fetch.ts";
import * as pull from "./pull.ts";
import * as exp from "./exp.ts";
import * as importRepo from "./import.ts";
import * as get from "./get.ts";
import * as importUrl from "./import_url.ts";
import * as getUrl from "./get_url.ts";
import * as update from "./update.ts";
import * as nb from "./nb.ts";
import * as du from "./du.ts";
import * as install from "./install.ts";
import * as completion from "./completion.ts";
import * as lsUrl from "./ls_url.ts";

export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}

export const COMMANDS: CommandModule[] = [
  init,
  config,
  misc,
  metrics,
  plots,
  add,
  checkout,
  gc,
  diff,
  commit,
  manage,
  status,
  repro,
  stage,
  dag,
  freeze,
  plugins,
  remote,
  push,
  fetch,
  pull,
  importRepo,
  get,
  importUrl,
  getUrl,
  update,
  exp,
  nb,
  du,
  install,
  completion,
  lsUrl,
];
