import { EmulatorError } from '../shared/errors.js';
import { exitCodeFor, hintFor } from './exit-codes.js';

/** Where a command writes. The real CLI passes process streams; tests capture strings. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Raw bytes to stdout (for `-o -`). */
  outBytes(bytes: Uint8Array): void;
  /** Whether stdout is a terminal (progress bars and colour only then). */
  isTTY: boolean;
}

export const processIo: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  outBytes: (b) => void process.stdout.write(b),
  isTTY: Boolean(process.stdout.isTTY),
};

export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + '\n');
}

/**
 * Reports a failure: one line naming the code (and byte offset for decode errors), then a hint
 * saying what to do next. With `--json` the same goes to stdout as `{ "error": {...} }`.
 * Returns the exit code.
 */
let debug = process.env.TRUSTLAB_DEBUG === '1';

/** `--debug` (anywhere on the command line) or TRUSTLAB_DEBUG=1: print the stack of an internal error. */
export function setDebug(on: boolean): void {
  debug = on;
}

export function reportError(io: CliIo, err: unknown, json: boolean, context?: string): number {
  const code = exitCodeFor(err);
  const hint = hintFor(err);
  // An input named by an option (--itl, --trust) that is at fault is the file reported.
  if (err instanceof EmulatorError && typeof err.details['file'] === 'string') context = err.details['file'];
  if (json) {
    const body = err instanceof EmulatorError ? err.toJSON() : { code: 'INTERNAL', message: String((err as Error)?.message ?? err) };
    printJson(io, { error: { ...body, ...(context ? { file: context } : {}), ...(hint ? { hint } : {}) } });
    return code;
  }
  if (err instanceof EmulatorError) {
    io.err(`trustlab: ${context && !err.message.includes(context) ? `${context}: ` : ''}${err.code}: ${err.message}\n`);
    if (hint) io.err(`  hint: ${hint}\n`);
  } else {
    const text = debug ? ((err as Error)?.stack ?? String(err)) : String((err as Error)?.message ?? err);
    io.err(`trustlab: internal error: ${text}\n  This is a bug in trustlab; please report it with the command you ran${debug ? '' : ' (run it again with --debug for the stack trace)'}.\n`);
  }
  return code;
}
