import type { Command } from 'commander';
import { parseTrustList, renderShowItl, summarize, verifyHeaderSignature } from '../../trustlist/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError } from '../io.js';
import { openCluster, withLabOptions, type LabFlags } from '../lab-options.js';

/** `trustlab show itl|ctl`: the admin CLI's `show itl` / `show ctl` on a modelled node. */
export function registerShow(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const show = program.command('show').description('show itl | show ctl, as the CUCM admin CLI prints them');
  for (const which of ['itl', 'ctl'] as const) {
    withLabOptions(show.command(which).description(`print the ${which.toUpperCase()} a node serves, marking the signer`))
      .option('--node <host>', 'TFTP node (default: the publisher)')
      .action(act(ctx, async (o: LabFlags & { node?: string }) => {
        try {
          const { cluster } = await openCluster(o);
          const node = o.node ?? cluster.publisher.hostname;
          cluster.node(node);
          const bytes = which === 'itl' ? cluster.itl(node) : cluster.ctl();
          if (!bytes) throw new EmulatorError('CERT_NOT_FOUND', 'CTL File not found. The cluster has never been in mixed mode; run trustlab utils ctl set-cluster mixed-mode');
          const parsed = parseTrustList(bytes);
          const v = verifyHeaderSignature(bytes, parsed.list.header, parsed.signatureOffset, { records: parsed.list.records });
          const s = summarize(parsed.list, bytes, v);
          if (o.json) printJson(io, { node, ...s });
          else io.out(renderShowItl(parsed.list, s));
          return EXIT.OK;
        } catch (e) {
          return reportError(io, e, Boolean(o.json));
        }
      }));
  }
}
