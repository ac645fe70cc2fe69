import type { ErrorCode } from '../../shared/errors.js';
import type { Cluster } from '../cluster.js';
import type { ClusterEvent } from '../events.js';
import type { ClusterServers } from '../serve/cluster-servers.js';

/**
 * Where an `admin:` session reads and writes: a terminal over SSH on a real CUCM. The CLI's
 * REPL gives it stdin and stdout; `-c` and the scenario's `cli:` step give it scripted answers.
 * Library code writes only here (conventions.md: no printing from library code).
 */
export interface AdminTerminal {
  write(text: string): void;
  /** Writes `prompt` and reads one line of answer; undefined when input has ended. */
  ask(prompt: string): Promise<string | undefined>;
  /**
   * Writes `prompt` and reads a pasted PEM certificate (lines up to `-----END CERTIFICATE-----`);
   * undefined when input ends first.
   */
  paste(prompt: string): Promise<string | undefined>;
}

/**
 * An `admin:` session: the cluster and the node the administrator is logged in to, and, when
 * the cluster's servers run in this process (a scenario), those servers, so that
 * `utils service stop|start` stops and starts the node's real listeners.
 */
export interface AdminSession {
  cluster: Cluster;
  node: string;
  servers?: Pick<ClusterServers, 'stop' | 'start' | 'isRunning'>;
}

/**
 * How a line ended, as a result (conventions.md §7: an unknown command or a refusal is an
 * expected outcome of a CLI, not an exception): `done` with the cluster's events; `cancelled`
 * when the administrator answered no; `failed` when CUCM refuses the command, with a stable code.
 */
export type AdminOutcome =
  | { status: 'done'; events: ClusterEvent[] }
  | { status: 'cancelled' }
  | { status: 'failed'; code: ErrorCode; message: string };

/** One parameter after a command's words. */
export interface AdminParam {
  name: string;
  /** The values CUCM accepts, when it is a keyword (`own|trust`); matched case-insensitively. */
  values?: readonly string[];
  /** Takes the rest of the line ("Cisco Tftp" has a space). */
  rest?: boolean;
  optional?: boolean;
}

/**
 * One emulated CLI command, declared once: its words and parameters give the parser, the
 * `help` listing, the did-you-mean for lines that are not emulated, and `trustlab admin --help`.
 */
export interface AdminCommand {
  words: readonly string[];
  params: readonly AdminParam[];
  summary: string;
  /** The `trustlab` subcommand that does the same, named in its `--help`. */
  twin?: string;
  /** CUCM runs it on the publisher only ("On all other nodes, this CLI command is disabled"). */
  publisherOnly?: true;
  run(session: AdminSession, args: readonly string[], term: AdminTerminal): Promise<AdminOutcome>;
}

export const done = (events: ClusterEvent[] = []): AdminOutcome => ({ status: 'done', events });
export const failed = (code: ErrorCode, message: string): AdminOutcome => ({ status: 'failed', code, message });
