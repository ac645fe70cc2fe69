import { isEmulatorError, type ErrorCode } from '../../shared/errors.js';
import { describeClusterEvent } from '../describe.js';
import type { OpResult } from '../events.js';
import type { AdminOutcome, AdminTerminal } from './types.js';
import { done, failed } from './types.js';

/** CUCM's generic failure trailer on the platform CLI (decision 031 §10). */
export const UNSUCCESSFUL = 'Executed command unsuccessfully';

/**
 * Lines that are trustlab's, not CUCM's, start with this: the model's account of what an
 * operation did (files rebuilt, restarts still owed), which CUCM shows in other places or not at all.
 */
export const NOTE = 'trustlab:';

/** Asks a yes/no question in CUCM's wording; true for y or yes. End of input is a no. */
export async function confirm(term: AdminTerminal, prompt: string): Promise<boolean> {
  const a = (await term.ask(prompt))?.trim().toLowerCase();
  return a === 'y' || a === 'yes';
}

/** CUCM's success lines, then the model's account of the operation, one note per event. */
export function reportOp(term: AdminTerminal, r: OpResult, success: readonly string[]): AdminOutcome {
  for (const l of success) term.write(`${l}\n`);
  for (const e of r.events) term.write(`${NOTE} ${describeClusterEvent(e)}\n`);
  return done(r.events);
}

/** A refusal: its reason, CUCM's failure trailer, and the stable code. */
export function refuse(term: AdminTerminal, code: ErrorCode, message: string): AdminOutcome {
  term.write(`${message}\n${UNSUCCESSFUL}\n`);
  return failed(code, message);
}

/** Runs a command; the model's refusals (the chapter's rules, a node without the file) become CLI refusals with their code. */
export async function attempt(term: AdminTerminal, work: () => Promise<AdminOutcome>): Promise<AdminOutcome> {
  try {
    return await work();
  } catch (e) {
    if (!isEmulatorError(e)) throw e;
    return refuse(term, e.code, e.message);
  }
}
