import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { EventBus } from '../../shared/events.js';
import { EmulatorError, isEmulatorError } from '../../shared/errors.js';
import { publishedSchema, readReport, runScenario, summaryText, writeReports, parseScenario, type FaultPlan, type RunEvent, type RunReport, type ScenarioProblem } from '../../scenario/index.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError, type CliIo } from '../io.js';
import { labDir } from '../lab-options.js';
import { int } from './serve-common.js';
import { RedisShards } from '../../dist/index.js';
import { availableParallelism } from 'node:os';

/**
 * Below this many phones a run keeps them in its own process, the easier one to debug; a small
 * run gains little from shards (decision 029 gives the one measurement).
 */
export const SHARD_THRESHOLD = 500;

/** One shard per core for a large fleet, none for a small one. */
export function defaultWorkers(phones: number): number {
  return phones >= SHARD_THRESHOLD ? availableParallelism() : 0;
}

/** The package root (where fixtures/ lives), from this module's location in src/ or dist/src/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export const BUILTIN_DIR = (): string => join(packageRoot(), 'fixtures', 'scenarios');

/** A scenario argument: a path, or the name of a built-in scenario (`sc-3`, `runbook-comparison`). */
function resolveScenario(arg: string): string {
  if (existsSync(arg)) return arg;
  const builtin = join(BUILTIN_DIR(), arg.endsWith('.yaml') ? arg : `${arg}.yaml`);
  if (existsSync(builtin)) return builtin;
  // A unique prefix names a built-in one too: `sc-04`, `migration`.
  const matches = builtinScenarios().filter((s) => s.id.startsWith(arg));
  if (matches.length === 1) return matches[0]!.file;
  const hint = matches.length > 1 ? `; it could be ${matches.map((m) => m.id).join(', ')}` : '; `trustlab scenarios` lists the built-in ones';
  throw new EmulatorError('IO_NOT_FOUND', `${arg}: no such file or built-in scenario${hint}`);
}

interface RunFlags {
  lab?: string;
  whatIf?: boolean;
  json?: boolean;
  quiet?: boolean;
  fault?: string[];
  stepTimeout?: string;
  workers?: string;
  redis?: string;
  shards?: string;
  bind?: string;
}

const FAULT_SERVICES = ['tftp', 'tvs', 'sip', 'capf', 'http', 'https', 'all'] as const;

/** `--fault tvs@3`, `--fault capf@2:A`, `--fault start:tvs@5:A/sub1`: a service stops (or starts) before a step. */
export function parseFault(text: string): FaultPlan {
  const m = /^(?:(stop|start):)?([a-z]+)@([0-9]+)(?::([A-Za-z0-9_-]+)(?:\/([A-Za-z0-9-]+))?)?$/.exec(text.trim());
  if (!m || !(FAULT_SERVICES as readonly string[]).includes(m[2]!)) {
    throw new EmulatorError('USAGE', `--fault "${text}" is not [stop:|start:]SERVICE@STEP[:CLUSTER[/NODE]] with SERVICE one of ${FAULT_SERVICES.join(', ')}; e.g. --fault tvs@3`);
  }
  const at = Number(m[3]);
  if (at < 1) throw new EmulatorError('USAGE', `--fault "${text}": steps are numbered from 1`);
  return { at, service: m[2] as FaultPlan['service'], ...(m[1] === 'start' ? { action: 'start' as const } : {}), ...(m[4] ? { cluster: m[4] } : {}), ...(m[5] ? { node: m[5] } : {}) };
}

export function registerRun(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  program
    .command('run')
    .description('run scenario files (or built-in scenarios by name) against emulated clusters and phones; writes lab/runs/<timestamp>/report.{json,html} and junit.xml')
    .argument('<scenario...>', 'YAML scenario files, or names listed by `trustlab scenarios`')
    .option('--lab <dir>', 'lab directory; runs go to <lab>/runs/<timestamp> (default: $TRUSTLAB_LAB or ./lab)')
    .option('--what-if', 'run without expectations and print the predicted outcome per population')
    .option('--quiet', 'print only the summary')
    .option('--json', 'print each run report as JSON')
    .option('--fault <plan>', 'inject a fault: [stop:|start:]SERVICE@STEP[:CLUSTER[/NODE]], e.g. tvs@3 stops TVS on every node before step 3 (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--workers <n>', `fleet shards in child processes: 0 keeps the phones in this process (default: one per core, ${availableParallelism()} here, for runs of ${SHARD_THRESHOLD} phones or more; 0 below that)`)
    .option('--redis <url>', 'hand the fleet shards to `trustlab worker` processes through BullMQ on this Redis (e.g. redis://127.0.0.1:6379); each shard is checkpointed there at every step and taken over if its worker dies')
    .option('--bind <addresses>', 'put the clusters\' nodes on these local addresses (comma-separated, one per node, clusters in order) instead of loopback blocks, so that `trustlab worker`s on other machines reach the servers')
    .option('--shards <n>', 'with --redis: how many shards to split each fleet into (default 2)')
    .option('--step-timeout <seconds>', 'wall-clock watchdog per step: a step whose phones are still busy on the network after this long fails with STEP_NOT_SETTLED (default 120 s plus 40 ms per phone)')
    .addHelpText('after', '\nExit codes: 0 every expectation held; 1 an expectation failed or a step was refused or did not settle; 2 a scenario file is invalid (nothing runs); 130 interrupted (the partial report is written).\nCtrl-C or SIGTERM stops the run within 2 s: servers close and the report says where it stopped.\nExample: trustlab run sc-04 migration-template my-runbook.yaml --lab lab\n         trustlab run sc-28 --fault capf@1   # what if CAPF is down when the phones boot')
    .action(act(ctx, async (files: string[], o: RunFlags) => {
      try {
        return await runAll(io, files, o);
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  program
    .command('scenarios')
    .description('list the built-in scenarios with a one-line description each')
    .option('--json', 'print the list as JSON')
    .option('--schema', 'print the scenario JSON Schema instead')
    .action(act(ctx, async (o: { json?: boolean; schema?: boolean }) => {
      if (o.schema) {
        printJson(io, publishedSchema());
        return EXIT.OK;
      }
      const list = builtinScenarios();
      if (o.json) printJson(io, list);
      else {
        const width = Math.max(...list.map((s) => s.id.length));
        for (const s of list) io.out(`${s.id.padEnd(width)}  ${s.description}\n`);
      }
      return EXIT.OK;
    }));

  program
    .command('report')
    .description('reprint a past run from its directory (lab/runs/<timestamp>)')
    .argument('<dir>', 'run directory')
    .option('--json', 'print report.json')
    .action(act(ctx, async (dir: string, o: { json?: boolean }) => {
      try {
        const r = await readReport(resolve(dir));
        if (o.json) printJson(io, r);
        else io.out(`${summaryText(r)}\nHTML report: ${join(resolve(dir), 'report.html')}\n`);
        return r.ok ? EXIT.OK : EXIT.NEGATIVE;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
}

export function builtinScenarios(): Array<{ id: string; name: string; description: string; file: string }> {
  const dir = BUILTIN_DIR();
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort(naturalOrder).map((f) => {
    const doc = parseYaml(readFileSync(join(dir, f), 'utf8')) as { name?: string; description?: string };
    return { id: basename(f, '.yaml'), name: doc.name ?? f, description: (doc.description ?? doc.name ?? '').split('\n')[0]!.trim(), file: join(dir, f) };
  });
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

async function runAll(io: CliIo, args: string[], o: RunFlags): Promise<number> {
  // Validate every file before running any (issue 7: nothing runs until the file validates).
  const scenarios = [];
  const problems: ScenarioProblem[] = [];
  for (const arg of args) {
    const file = resolveScenario(arg);
    const text = await readFile(file, 'utf8');
    try {
      scenarios.push({ file, text, scenario: parseScenario(text, relative(process.cwd(), file) || file) });
    } catch (e) {
      if (!isEmulatorError(e, 'SCENARIO_INVALID')) throw e;
      problems.push(...(e.details['problems'] as ScenarioProblem[]));
    }
  }
  if (problems.length) {
    const err = new EmulatorError('SCENARIO_INVALID', `${problems.length} problem(s); nothing was run:\n${problems.map((p) => `  ${p.file}:${p.line}:${p.column}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`).join('\n')}`, { details: { problems } });
    return reportError(io, err, Boolean(o.json));
  }
  const faults = (o.fault ?? []).map(parseFault);
  const stepTimeoutMs = o.stepTimeout !== undefined ? int(o.stepTimeout, '--step-timeout', 1, 86_400) * 1000 : undefined;
  const base = join(labDir(o), 'runs');
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) return;
    process.stderr.write(`\n${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: closing servers and writing the report (Ctrl-C again to force)\n`);
    abort.abort(new EmulatorError('INVALID_STATE', signal));
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let ok = true;
  try {
    for (const s of scenarios) {
      const runDir = join(base, `${new Date().toISOString().replace(/[:.]/g, '-')}-${basename(s.file, '.yaml')}`);
      const events = new EventBus<RunEvent>();
      const view = o.json || o.quiet ? undefined : liveView(io, s.scenario.name);
      if (view) events.onAny(view);
      const phones = s.scenario.fleets.reduce((a, f) => a + f.count, 0);
      const workers = o.workers !== undefined ? int(o.workers, '--workers', 0, 64) : defaultWorkers(phones);
      const redis = o.redis ? await RedisShards.open({ url: o.redis, shards: o.shards ? int(o.shards, '--shards', 1, 256) : 2 }) : undefined;
      const report = await runScenario(s.scenario, {
        runDir, events, workers, ...(o.bind ? { bind: o.bind.split(',').map((a) => a.trim()).filter(Boolean) } : {}), ...(redis ? { links: redis.links, group: redis, linksLabel: redis.label } : {}), signal: abort.signal, source: s.text, file: s.file, ...(o.whatIf ? { whatIf: true } : {}), ...(faults.length ? { faults } : {}), ...(stepTimeoutMs ? { stepTimeoutMs } : {}),
      // Closing the queues is bounded too: a Redis that went away must not keep the run from ending.
      }).finally(() => redis && Promise.race([redis.close(), new Promise((r) => setTimeout(r, 5000).unref())]));
      const files = await writeReports(runDir, report);
      ok &&= report.ok;
      if (o.json) printJson(io, { ...report, files });
      else io.out(`${summaryText(report)}\nReports: ${files.html}\n         ${files.json}, ${files.junit}\nOpen the HTML report in a browser: file://${files.html}\n\n`);
      if (abort.signal.aborted) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (abort.signal.aborted) return EXIT.INTERRUPTED;
  return ok ? EXIT.OK : EXIT.NEGATIVE;
}

/** Progress bars and a one-line summary per step, on stderr (a terminal only gets the bars). */
function liveView(io: CliIo, name: string): (e: RunEvent) => void {
  const tty = Boolean(process.stderr.isTTY);
  let lastDraw = 0;
  const bar = (label: string, done: number, total: number): void => {
    if (!tty) return;
    const now = Date.now();
    if (done < total && now - lastDraw < 80) return;
    lastDraw = now;
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : width;
    process.stderr.write(`\r  ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${done}/${total} ${label.slice(0, 50).padEnd(50)}`);
    if (done >= total) process.stderr.write('\r\x1b[K');
  };
  return (e) => {
    switch (e.type) {
      case 'run.setup':
        io.err(`${name}: ${e.message}\n`);
        return;
      case 'run.progress':
        bar(e.label, e.done, e.total);
        return;
      case 'step.start':
        return;
      case 'step.end': {
        const r = e.record;
        const tally = Object.values(r.tally).reduce<Record<string, number>>((a, t) => {
          for (const [k, v] of Object.entries(t)) a[k] = (a[k] ?? 0) + (v ?? 0);
          return a;
        }, {});
        const exp = r.expectations.length ? ` · expectations ${r.expectations.filter((x) => x.ok).length}/${r.expectations.length}${r.expectations.some((x) => !x.ok) ? ` ✗ ${r.expectations.filter((x) => !x.ok).map((x) => x.name).join('; ')}` : ''}` : '';
        io.err(`  ${String(r.index).padStart(2)}. ${r.title} → ${Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(', ')}${exp}${r.waiting ? ` · ${r.waiting.length} phone(s) wait for a timer (advance or settle lets it pass)` : ''}${r.error ? ` · ERROR ${r.error}` : ''}\n`);
        return;
      }
      case 'run.end':
        return;
    }
  };
}

export type { RunReport };
