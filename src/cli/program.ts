import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo.js';
import { registerItl } from './commands/itl.js';
import { registerSgn } from './commands/sgn.js';
import { registerServe } from './commands/serve.js';
import { registerCluster } from './commands/cluster.js';
import { registerCert } from './commands/cert.js';
import { registerCa } from './commands/ca.js';
import { registerBulk } from './commands/bulk.js';
import { registerUtils } from './commands/utils.js';
import { registerShow } from './commands/show.js';
import { registerParam } from './commands/param.js';
import { registerRun } from './commands/run.js';
import { registerFuzz } from './commands/fuzz.js';
import { registerPhone } from './commands/phone.js';
import { registerWorker } from './commands/worker.js';
import { registerAdmin } from './commands/admin.js';
import { ADMIN_COMMANDS, usageOf } from '../cluster/index.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { setDebug, type CliIo } from './io.js';

export const VERSION = '0.1.0';

/**
 * Builds the `trustlab` command tree. Every command has `--help`; data commands have `--json`.
 * Actions return their exit code instead of calling `process.exit`, so the whole CLI runs
 * in-process in tests.
 */
export function createProgram(ctx: CliContext): Command {
  const program = new Command('trustlab')
    .description('Emulate Cisco IP phones and the CUCM trust infrastructure: ITL/CTL, TFTP, TVS, CAPF, SIP over TLS.')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .option('--debug', 'print the stack trace of an internal error (also TRUSTLAB_DEBUG=1; may come anywhere on the line)')
    // Options after a subcommand belong to it (`serve --lab …` and `serve tftp --host …` share names).
    .enablePositionalOptions();
  registerItl(program, ctx);
  registerSgn(program, ctx);
  registerDemo(program, ctx);
  registerServe(program, ctx);
  registerCluster(program, ctx);
  registerCert(program, ctx);
  registerCa(program, ctx);
  registerBulk(program, ctx);
  registerUtils(program, ctx);
  registerShow(program, ctx);
  registerParam(program, ctx);
  registerRun(program, ctx);
  registerFuzz(program, ctx);
  registerPhone(program, ctx);
  registerWorker(program, ctx);
  registerAdmin(program, ctx);
  nameCliTwins(program);
  for (const cmd of allCommands(program)) {
    cmd
      .exitOverride()
      .showHelpAfterError('(add --help for usage)')
      .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) });
  }
  return program;
}

/** The subcommand path a CLI twin names: `trustlab show cert list own|trust` → `show cert list`. */
export function twinPath(twin: string): string {
  const words = twin.split(/\s+/).slice(1);
  const n = words.findIndex((w) => !/^[a-z][a-z0-9-]*$/.test(w) || w.includes('|'));
  return words.slice(0, n < 0 ? words.length : n).join(' ');
}

/** Each subcommand with an `admin:` twin says so in its --help (issue 18: "each names its CLI equivalent"). */
function nameCliTwins(program: Command): void {
  const byPath = new Map<string, string[]>();
  for (const c of ADMIN_COMMANDS) if (c.twin) byPath.set(twinPath(c.twin), [...(byPath.get(twinPath(c.twin)) ?? []), usageOf(c)]);
  const walk = (cmd: Command, path: string[]): void => {
    const lines = byPath.get(path.join(' '));
    if (lines) cmd.addHelpText('after', `\nCUCM CLI equivalent (trustlab admin -c "…"):\n${lines.map((l) => `  admin:${l}`).join('\n')}\n`);
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
}

function allCommands(c: Command): Command[] {
  return [c, ...c.commands.flatMap(allCommands)];
}

/** Runs the CLI on `argv` (without `node` and the script name); resolves with the exit code. */
export async function runCli(argv0: readonly string[], io: CliIo): Promise<number> {
  const ctx: CliContext = { io, exitCode: EXIT.OK };
  if (argv0.includes('--debug')) setDebug(true);
  const argv = argv0.filter((a) => a !== '--debug');
  const program = createProgram(ctx);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? EXIT.OK : EXIT.USAGE;
    }
    throw e;
  }
}
