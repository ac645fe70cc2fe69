import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ADMIN_COMMANDS, runAdminLine, usageOf, type AdminOutcome, type AdminTerminal, type ClusterEvent } from '../../cluster/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { printJson, reportError, type CliIo } from '../io.js';
import { openCluster, withLabOptions, type LabFlags } from '../lab-options.js';

/** The most a paste reads (a PEM chain of a few certificates is 2–10 KiB). */
const MAX_PASTE_BYTES = 256 * 1024;

/** Lines from stdin, one at a time; `undefined` once it has ended. */
function stdinLines(): { next(): Promise<string | undefined>; close(): void } {
  // Opened on first read: `-c` lines answered by --yes never touch stdin.
  let rl: ReturnType<typeof createInterface> | undefined;
  let it: AsyncIterator<string> | undefined;
  return {
    next: async () => {
      rl ??= createInterface({ input: process.stdin, terminal: false });
      it ??= rl[Symbol.asyncIterator]();
      const r = await it.next();
      return r.done ? undefined : r.value;
    },
    close: () => rl?.close(),
  };
}

/**
 * A terminal on the process's stdin and stdout. `--yes` answers every confirmation (the
 * runbook's "yes"); otherwise answers and pasted certificates are read from stdin, a person's
 * or a pipe's. A paste ends at a blank line ("Paste the Certificate and Hit Enter").
 */
function processTerminal(io: CliIo, lines: ReturnType<typeof stdinLines>, yes: boolean, capture?: string[]): AdminTerminal {
  const write = (t: string): void => (capture ? void capture.push(t) : io.out(t));
  return {
    write,
    ask: async (prompt) => {
      write(prompt);
      const a = yes ? 'yes' : await lines.next();
      // A terminal echoes what the person typed; a pipe's answers (and --yes) are echoed here.
      if (yes || !process.stdin.isTTY) write(`${a ?? ''}\n`);
      return a;
    },
    paste: async (prompt) => {
      write(prompt);
      const got: string[] = [];
      let size = 0;
      for (let l = await lines.next(); l !== undefined && !(l.trim() === '' && got.length); l = await lines.next()) {
        if (l.trim() === '' && !got.length) continue;
        size += l.length + 1;
        // A certificate chain is a few KiB; past this the paste is not one, and the model's upload limit refuses it.
        if (size > MAX_PASTE_BYTES) break;
        got.push(l);
      }
      return got.length ? `${got.join('\n')}\n` : undefined;
    },
  };
}

/** Exit code of a line: 0 done, 1 cancelled (answered no), the refusal's code otherwise. */
function exitOf(o: AdminOutcome): number {
  if (o.status === 'done') return EXIT.OK;
  if (o.status === 'cancelled') return EXIT.NEGATIVE;
  return o.code === 'ADMIN_NOT_EMULATED' ? EXIT.USAGE : exitCodeFor(new EmulatorError(o.code, o.message));
}

const BANNER = 'Command Line Interface is starting up, please wait ...\n\n   Welcome to the Platform Command Line Interface (trustlab emulation; type help for the emulated commands, quit to leave)\n\n';

/**
 * `trustlab admin`: the CUCM platform CLI on a modelled node, verbatim. With `-c LINE` it runs
 * lines and exits; without, it opens an `admin:` prompt. Every existing subcommand names its
 * CLI twin, and `help` at the prompt lists the emulated commands.
 */
export function registerAdmin(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const list = ADMIN_COMMANDS.map((c) => `  ${usageOf(c)}`).join('\n');
  withLabOptions(program.command('admin').description('the CUCM admin: CLI on a modelled node (show itl, set cert regen, utils ctl, utils service …), verbatim'))
    .option('--node <host>', 'the node to log in to (default: the publisher)')
    .option('-c, --command <line>', 'run this CLI line and exit (repeatable; lines run in order, stopping at the first that fails)', (v: string, p: string[] = []) => [...p, v], [])
    .option('-y, --yes', 'answer yes to every confirmation (otherwise answers are read from stdin)')
    .addHelpText('after', `\nEmulated commands (output in CUCM's layout; lines starting "trustlab:" are the emulator's notes):\n${list}\n\nExamples:\n  trustlab admin --lab lab -c "show cert list own"\n  trustlab admin --lab lab --node sub1 -y -c "set cert regen CallManager" -c "utils service restart Cisco CallManager"\n  trustlab admin --lab lab          (an admin: prompt; quit to leave)\n\nExit codes: 0 every line done, 1 a confirmation was answered no, 64 a line is not emulated or malformed, 2 CUCM refused it.`)
    .action(act(ctx, async (o: LabFlags & { node?: string; command: string[]; yes?: boolean }) => {
      const lines = stdinLines();
      try {
        const open = async () => {
          const { cluster } = await openCluster(o);
          const node = o.node ?? cluster.publisher.hostname;
          cluster.node(node);
          return { cluster, node };
        };
        const first = await open();
        if (o.command.length) {
          const results: Array<{ line: string; node: string; status: AdminOutcome['status']; code?: string; output: string; events: ClusterEvent[] }> = [];
          let exit: number = EXIT.OK;
          for (const line of o.command) {
            const capture: string[] | undefined = o.json ? [] : undefined;
            const session = await open();
            const outcome = await runAdminLine(session, line, processTerminal(io, lines, Boolean(o.yes), capture));
            results.push({ line, node: session.node, status: outcome.status, ...(outcome.status === 'failed' ? { code: outcome.code } : {}), output: (capture ?? []).join(''), events: outcome.status === 'done' ? outcome.events : [] });
            exit = exitOf(outcome);
            if (outcome.status === 'cancelled' && !o.json) io.err(`trustlab: "${line}" not done: the confirmation was answered no (pass --yes to answer yes)\n`);
            if (exit !== EXIT.OK) break;
          }
          if (o.json) printJson(io, { node: first.node, results });
          return exit;
        }
        io.out(BANNER);
        for (;;) {
          io.out('admin:');
          const line = await lines.next();
          if (line !== undefined && !process.stdin.isTTY) io.out(`${line}\n`);
          if (line === undefined || /^(quit|exit)$/i.test(line.trim())) {
            if (line === undefined) io.out('\n');
            return EXIT.OK;
          }
          await runAdminLine(await open(), line, processTerminal(io, lines, Boolean(o.yes)));
        }
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      } finally {
        lines.close();
      }
    }));
}
