import type { CliIo } from './io.js';

/** What every command gets: where to write, and where to leave its exit code. */
export interface CliContext {
  io: CliIo;
  exitCode: number;
}

/**
 * Wraps a command action that returns its exit code. Commander ignores return values, so the
 * code is stored on the context for `runCli` to return.
 */
export function act<A extends unknown[]>(ctx: CliContext, fn: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    ctx.exitCode = await fn(...args);
  };
}
