import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { fuzz, fuzzParallel, fuzzServed, fuzzServer, fuzzSetup, PROBE_EVERY, readFinding, replay, writeFinding, type Finding, type FuzzKind, type FuzzStatus } from '../../fuzz/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError, type CliIo } from '../io.js';

/**
 * `trustlab fuzz itl|ctl|sgn|tvs|tftp` and `trustlab fuzz repro FILE` (issue 8). The status line
 * goes to stderr; findings are written to --out as JSON (input, minimised input, seed, scene).
 * Exit 0: no findings; 1: findings; 2: bad input.
 */
const KINDS: readonly FuzzKind[] = ['itl', 'ctl', 'sgn', 'tvs', 'tftp'];

interface FuzzFlags {
  target: string;
  seed: string;
  runs?: string;
  time?: string;
  corpus?: string;
  out: string;
  json?: boolean;
  minimise: boolean;
  workers?: string;
  statusEvery?: string;
}

export function registerFuzz(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const group = program.command('fuzz').description('structure-aware fuzzing of ITL/CTL/.sgn files and of the TVS and TFTP codecs and servers, with oracles that catch crashes, false accepts and servers that stop answering');
  const run = group
    .command('run', { isDefault: true })
    .description('fuzz one input kind (the default: `trustlab fuzz itl …` means `trustlab fuzz run itl …`)')
    .argument('<kind>', `what to fuzz: ${KINDS.join(', ')}`)
    .option('--target <target>', 'codec (decoders: typed errors, stable re-encoding), phone (trust decisions vs an independent reference) or served (itl/ctl: mutants over TFTP to running virtual phones; tvs/tftp: mutants to a live server, which must keep answering a well-formed client)', 'codec')
    .option('--seed <seed>', 'seed: the same seed gives the same run', '1')
    .option('--runs <n>', 'stop after this many executions (default 10000, or unbounded with --time)')
    .option('--time <duration>', 'stop after this long, e.g. 60s, 5m')
    .option('--corpus <dir>', 'add the files in this directory to the seeds (the samples and a generated cluster are always used)')
    .option('--out <dir>', 'where findings are written', 'fuzz-findings')
    .option('--no-minimise', 'save findings without delta-debugging them')
    .option('--workers <n>', 'codec and phone targets: run N shards in worker threads (one per core is os.availableParallelism()); shard 0 keeps --seed, shard i uses SEED#wi, --runs is split between them', '1')
    .option('--json', 'print the final status and findings as JSON')
    .option('--status-every <seconds>', 'when stderr is not a terminal, print the status line this often (0: never)', '10')
    .addHelpText('after', '\nExamples:\n  trustlab fuzz itl --target phone --runs 100000 --seed 7\n  trustlab fuzz tftp --time 60s\n  trustlab fuzz repro fuzz-findings/finding-false-accept-0123abcd.json')
    .action(act(ctx, async (kind: string, o: FuzzFlags) => {
      try {
        return await runFuzz(io, kind, o);
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
  // `trustlab fuzz itl …` is `fuzz run itl …`: its options belong in `fuzz --help` too, where people look.
  group.addHelpText('after', () => `\nOptions of \`trustlab fuzz KIND\` (the default subcommand, fuzz run):\n${run.options.map((x) => `  ${x.flags.padEnd(26)} ${x.description}${x.defaultValue !== undefined && x.defaultValue !== false && x.defaultValue !== true ? ` (default: ${String(x.defaultValue)})` : ''}`).join('\n')}\n\nExamples:\n  trustlab fuzz itl --time 60s\n  trustlab fuzz itl --target phone --runs 100000 --seed 7\n  trustlab fuzz repro fuzz-findings/finding-….json\n`);
  group
    .command('repro')
    .description('replay a saved finding through the same oracle; exit 1 if it still reproduces')
    .argument('<file>', 'finding-*.json written by trustlab fuzz')
    .option('--json', 'print the result as JSON')
    .action(act(ctx, async (file: string, o: { json?: boolean }) => {
      try {
        const f = await readFinding(resolve(file));
        const r = replay(f);
        const reproduces = r.input.finding?.kind === f.kind;
        if (o.json) printJson(io, { finding: { id: f.id, kind: f.kind, fuzzKind: f.fuzzKind, target: f.target }, reproduces, input: r.input, ...(r.minimised ? { minimised: r.minimised } : {}) });
        else {
          io.out(`${f.kind} (${f.fuzzKind}, ${f.target} target, seed ${f.seed}, iteration ${f.iteration}, mutators ${f.mutators.join(' + ') || 'none'})\n`);
          io.out(`  saved:      ${f.message}\n`);
          io.out(`  replayed:   ${r.input.finding ? `${r.input.finding.kind}: ${r.input.finding.message}` : `no finding (${r.input.errorCode ? `refused with ${r.input.errorCode}` : r.input.accepted === false ? 'rejected' : 'accepted'})`}\n`);
          if (r.minimised) io.out(`  minimised:  ${r.minimised.finding ? `${r.minimised.finding.kind} (${Buffer.from(f.minimised!, 'base64').length} bytes)` : 'no longer reproduces'}\n`);
          io.out(reproduces ? 'still reproduces\n' : 'does not reproduce (fixed?)\n');
        }
        return reproduces ? EXIT.NEGATIVE : EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
}

function parseDuration(s: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new EmulatorError('USAGE', `--time ${s}: use a duration like 60s, 5m or 1h`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's'];
}

function corpusFiles(dir: string): Uint8Array[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new EmulatorError('IO_NOT_FOUND', `--corpus ${dir}: no such directory`);
  return readdirSync(dir).map((f) => join(dir, f)).filter((p) => statSync(p).isFile() && statSync(p).size <= 1024 * 1024).map((p) => new Uint8Array(readFileSync(p)));
}

async function runFuzz(io: CliIo, kind: string, o: FuzzFlags): Promise<number> {
  if (!KINDS.includes(kind as FuzzKind)) throw new EmulatorError('USAGE', `unknown fuzz kind "${kind}"; use one of ${KINDS.join(', ')}`);
  const k = kind as FuzzKind;
  if (!['codec', 'phone', 'served'].includes(o.target)) throw new EmulatorError('USAGE', `--target must be codec, phone or served, not "${o.target}"`);
  if (o.target === 'phone' && (k === 'tvs' || k === 'tftp')) throw new EmulatorError('USAGE', `${k} has the codec and served targets: a phone decides on files, not on ${k} messages`);
  if (o.target === 'served' && k === 'sgn') throw new EmulatorError('USAGE', 'the served target fuzzes ITL and CTL files; use --target phone for .sgn');
  const runs = o.runs !== undefined ? Number(o.runs) : undefined;
  if (runs !== undefined && (!Number.isInteger(runs) || runs < 1)) throw new EmulatorError('USAGE', `--runs must be a positive whole number, not "${o.runs}"`);
  const timeMs = o.time ? parseDuration(o.time) : undefined;
  const out = resolve(o.out);
  const abort = new AbortController();
  const onSig = (): void => abort.abort();
  process.once('SIGINT', onSig);
  const tty = Boolean(process.stderr.isTTY) && !o.json;
  const every = Number(o.statusEvery ?? '10');
  if (!Number.isFinite(every) || every < 0) throw new EmulatorError('USAGE', `--status-every is a number of seconds, not "${o.statusEvery}"`);
  // Not a terminal (a CI log, a pipe): one plain line every --status-every seconds instead of a redrawn one.
  let lastPlain = Date.now();
  const line = (s: FuzzStatus): void => {
    const text = `${k}/${o.target}  ${s.execs} execs  ${Math.round(s.execsPerSecond)}/s  findings ${s.findings}  error codes ${s.errorCodes.length}  coverage ${s.features}  corpus ${s.corpus}${o.target !== 'codec' ? `  accepted ${s.accepted}` : ''}`;
    if (tty) process.stderr.write(`\r${text}\x1b[K`);
    else if (!o.json && every > 0 && Date.now() - lastPlain >= every * 1000) {
      lastPlain = Date.now();
      io.err(`${text}\n`);
    }
  };
  const workers = Number(o.workers ?? '1');
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new EmulatorError('USAGE', `--workers must be a whole number from 1 to 64, not "${o.workers}"`);
  if (workers > 1 && o.target === 'served') throw new EmulatorError('USAGE', '--workers applies to the codec and phone targets; the served target drives one set of servers');
  // With workers each shard builds its own; this process needs none.
  const setup = workers > 1 ? undefined : await fuzzSetup({ seed: o.seed });
  const findings: Array<{ finding: Finding; path: string }> = [];
  const onFinding = async (f: Finding): Promise<void> => {
    mkdirSync(out, { recursive: true });
    const path = await writeFinding(out, f);
    findings.push({ finding: f, path });
    if (tty) process.stderr.write('\n');
    if (!o.json) io.err(`finding: ${f.kind}: ${f.message}\n  saved to ${path}\n`);
  };
  try {
    const common = { seed: o.seed, onStatus: line, onFinding, signal: abort.signal, ...(runs !== undefined ? { runs } : {}), ...(timeMs !== undefined ? { timeMs } : {}) };
    const result = !setup
      ? await fuzzParallel({ ...common, kind: k, target: o.target as 'codec', workers, minimise: o.minimise, ...(process.env.TRUSTLAB_KEYPOOL ? { keyPoolDir: process.env.TRUSTLAB_KEYPOOL } : {}), ...(o.corpus ? { corpus: corpusFiles(o.corpus) } : {}) })
      : o.target === 'served' && (k === 'tvs' || k === 'tftp')
      ? await fuzzServer({ ...common, setup, kind: k })
      : o.target === 'served'
      ? await fuzzServed({ ...common, setup, kind: k as 'itl' })
      : await fuzz({ ...common, setup, kind: k, target: o.target as 'codec', minimise: o.minimise, ...(o.corpus ? { corpus: corpusFiles(o.corpus) } : {}) });
    if (tty) process.stderr.write('\n');
    const s = result.status;
    if (o.json) printJson(io, { kind: k, target: o.target, seed: o.seed, workers, status: s, findings: findings.map((f) => ({ ...f.finding, path: f.path })) });
    else {
      io.out(`${k} ${o.target}: ${s.execs} executions in ${(s.elapsedMs / 1000).toFixed(1)} s (${Math.round(s.execsPerSecond)}/s), seed ${o.seed}${workers > 1 ? `, ${workers} workers` : ''}\n`);
      io.out(`  findings: ${s.findings}${Object.keys(s.byKind).length ? ` (${Object.entries(s.byKind).map(([a, b]) => `${a} ×${b}`).join(', ')})` : ''}\n`);
      if (o.target === 'codec') io.out(`  distinct error codes: ${s.errorCodes.join(', ') || 'none'}\n  coverage features: ${s.features}, corpus ${s.corpus}\n`);
      else if (k !== 'tvs' && k !== 'tftp') io.out(`  mutants accepted: ${s.accepted}${o.target === 'phone' ? `, refused though the reference accepts: ${s.disagreements}` : ''}\n`);
      else io.out(`  server replies seen: ${s.replies?.join(', ') || 'none'}\n  the server answered a well-formed client correctly every ${PROBE_EVERY} mutants and drained its ${k === 'tftp' ? 'transfers' : 'connections'} afterwards${s.findings ? ', except as reported' : ''}\n`);
      if (findings.length) io.out(`  written to ${out}; replay with trustlab fuzz repro FILE\n`);
    }
    return findings.length ? EXIT.NEGATIVE : EXIT.OK;
  } finally {
    process.off('SIGINT', onSig);
    setup?.dispose();
  }
}
