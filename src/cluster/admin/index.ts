/**
 * The CUCM platform CLI (`admin:`) over the modelled cluster (issue 18): runbooks are written
 * as CLI lines, so trustlab accepts them verbatim — `trustlab admin` (a prompt, or `-c LINE`)
 * and the scenario step `cli:` run the same lines through the same table. Each command goes
 * through the cluster's operations, so its rules and side effects are the model's; the output
 * follows CUCM's layout where it is documented (sources in each command), and lines starting
 * `trustlab:` are the emulator's own notes. Decision 031 says why this lives beside the model.
 */
import { SET_COMMANDS } from './commands-set.js';
import { SHOW_COMMANDS } from './commands-show.js';
import { UTILS_COMMANDS } from './commands-utils.js';
import { attempt, NOTE, refuse, UNSUCCESSFUL } from './common.js';
import { parseLine, usageOf } from './parse.js';
import { done, failed, type AdminCommand, type AdminOutcome, type AdminSession, type AdminTerminal } from './types.js';

const help: AdminCommand = {
  words: ['help'], params: [], summary: 'list the emulated commands',
  run: async (_s, _a, term) => {
    const rows = ADMIN_COMMANDS.map((c) => [usageOf(c), c.summary] as const);
    const w = Math.max(...rows.map(([u]) => u.length));
    term.write(`${rows.map(([u, d]) => `  ${u.padEnd(w)}  ${d}`).join('\n')}\n`);
    return done();
  },
};

/** Every emulated command, declared once; the parser, `help` and `trustlab admin --help` read this. */
export const ADMIN_COMMANDS: readonly AdminCommand[] = [...SHOW_COMMANDS, ...SET_COMMANDS, ...UTILS_COMMANDS, help];

/** Runs one CLI line in a session. Unknown lines and refusals are outcomes, with CUCM's failure trailer. */
export async function runAdminLine(session: AdminSession, line: string, term: AdminTerminal): Promise<AdminOutcome> {
  session.cluster.node(session.node);
  const p = parseLine(line, ADMIN_COMMANDS);
  switch (p.kind) {
    case 'empty':
      return done();
    case 'unknown': {
      const near = p.nearest ? ` The nearest emulated command is: ${usageOf(p.nearest)}.` : '';
      const message = `"${line.trim()}" is not emulated by trustlab.${near} Type help for the list.`;
      term.write(`${UNSUCCESSFUL}\n${NOTE} ${message}\n`);
      return failed('ADMIN_NOT_EMULATED', message);
    }
    case 'syntax': {
      const message = `${p.message}; usage: ${usageOf(p.command)}`;
      term.write(`${UNSUCCESSFUL}\n${NOTE} ${message}\n`);
      return failed('USAGE', message);
    }
    case 'command': {
      const pub = session.cluster.publisher.hostname;
      if (p.command.publisherOnly && session.node !== pub) {
        return refuse(term, 'PUBLISHER_ONLY', `${p.command.words.join(' ')} runs on the publisher only; log in to ${pub} (trustlab admin --node ${pub})`);
      }
      const { command, args } = p;
      return attempt(term, () => command.run(session, args, term));
    }
  }
}

export { usageOf, parseLine, tokenize, MAX_LINE_LENGTH } from './parse.js';
export { UNSUCCESSFUL, NOTE as ADMIN_NOTE } from './common.js';
export { CLI_SERVICES, cliServiceOf } from './services.js';
export type { AdminCommand, AdminOutcome, AdminSession, AdminTerminal } from './types.js';
