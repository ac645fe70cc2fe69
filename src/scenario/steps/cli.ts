import { Type } from '@sinclair/typebox';
import { runAdminLine, type AdminTerminal } from '../../cluster/index.js';
import { EmulatorError } from '../../shared/errors.js';
import type { ScenarioContext } from '../context.js';
import { applyResets } from './common.js';
import { defineStep } from './registry.js';
import { CertRef, ClusterName, Enum, NodeName, Obj, Opt, Str } from './schemas.js';

/** Report lines kept from one line's output (a `show itl` of a large ITL runs to hundreds). */
const MAX_OUTPUT_LINES = 200;

/** The cluster a `cli:` line runs on: the one it names, or the scenario's only cluster. */
function clusterOf(ctx: ScenarioContext, name: string | undefined): string {
  if (name) return name;
  const names = [...ctx.clusters.keys()];
  if (names.length !== 1) throw new EmulatorError('INVALID_ARGUMENT', `this scenario has ${names.length} clusters; say which: cli: { cluster: ${names[0] ?? 'A'}, line: "…" }`);
  return names[0]!;
}

/**
 * `cli:` — one CUCM admin CLI line, verbatim (decision 031): the same command table as
 * `trustlab admin -c`, on the cluster model and, for `utils service stop|start`, the node's real
 * servers. Confirmations are answered as `answer` says (yes by default); `paste` is the
 * certificate `set cert import trust` asks for. A refusal fails the step with its code, so
 * `expect-error` can name it.
 */
export const cli = defineStep({
  name: 'cli',
  summary: 'Run one CUCM admin CLI line verbatim (`set cert regen CallManager`, `utils service restart Cisco Tftp`), on a node (default the publisher); confirmations are answered yes.',
  args: Type.Union([
    Str('the CLI line, run on the publisher of the scenario\'s only cluster'),
    Obj({
      line: Str('the CLI line, as typed at the admin: prompt'),
      cluster: Opt(ClusterName),
      node: Opt(NodeName),
      answer: Opt(Enum(['yes', 'no'] as const, 'the answer to the line\'s confirmation prompt (default yes)')),
      paste: Opt(CertRef),
    }),
  ], { description: 'a CLI line, or the line with the node to run it on' }),
  example: { cluster: 'A', node: 'sub', line: 'utils service restart Cisco Tftp' },
  run: async (ctx, a) => {
    const o = typeof a === 'string' ? { line: a } : a;
    const name = clusterOf(ctx, o.cluster);
    const rc = ctx.requireCluster(name);
    const node = o.node ?? rc.cluster.publisher.hostname;
    const out: string[] = [];
    const term: AdminTerminal = {
      write: (t) => void out.push(t),
      ask: async (prompt) => {
        out.push(`${prompt}${o.answer ?? 'yes'}\n`);
        return o.answer ?? 'yes';
      },
      paste: async (prompt) => {
        out.push(prompt);
        return o.paste ? ctx.certificate(o.paste) : undefined;
      },
    };
    const outcome = await runAdminLine({ cluster: rc.cluster, node, servers: rc.servers }, o.line, term);
    if (outcome.status === 'failed') throw new EmulatorError(outcome.code, `${o.line}: ${outcome.message}`);
    const text = out.join('').split('\n').filter((l) => l.trim() !== '');
    const lines = [`${name} ${node} admin:${o.line}`, ...text.slice(0, MAX_OUTPUT_LINES), ...(text.length > MAX_OUTPUT_LINES ? [`… ${text.length - MAX_OUTPUT_LINES} more lines`] : [])];
    if (outcome.status === 'cancelled') lines.push(`${name}: not done (answered ${o.answer})`);
    else lines.push(...(await applyResets(ctx, name, outcome.events)));
    return lines;
  },
});

export const CLI_STEPS = [cli] as const;
