import type { RunReport } from '../../src/scenario/index.js';

/**
 * A report without what differs between two runs of the same seed by nature: wall-clock times
 * and where the phones ran. Everything else — every step's tallies and counters, every
 * expectation, every phone's final state and timeline — must be equal (decision 029).
 */
export function comparable(r: RunReport): unknown {
  const { startedAt: _s, finishedAt: _f, durationMs: _d, execution: _e, ...rest } = r as RunReport & { files?: unknown };
  delete (rest as { files?: unknown }).files;
  return { ...rest, steps: r.steps.map(({ durationMs: _x, ...s }) => s) };
}
