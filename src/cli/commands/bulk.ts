import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BULK_TYPES, bulkConsolidate, bulkExport, readConsolidated, type BulkType } from '../../cluster/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError } from '../io.js';
import { openCluster, printResult, withLabOptions, type LabFlags } from '../lab-options.js';

/**
 * `trustlab bulk export|consolidate|import` (Security › Bulk Certificate Management): a
 * directory stands in for the SFTP server all clusters share.
 */
export function registerBulk(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const bulk = program.command('bulk').description('bulk certificate management through a shared directory (the SFTP server)');

  withLabOptions(bulk.command('export').description("export the cluster's TFTP (CallManager), CAPF and ITLRecovery certificates"))
    .requiredOption('--dir <sftp-dir>', 'shared directory standing in for the SFTP server')
    .action(act(ctx, async (o: LabFlags & { dir: string }) => {
      try {
        const { lab, cluster } = await openCluster(o);
        const m = await bulkExport(cluster.state, resolve(o.dir), new Date(lab.clock.now()));
        if (o.json) printJson(io, m);
        else io.out(`exported ${m.certificates.length} certificates of ${m.cluster} to ${resolve(o.dir, m.cluster)}: ${m.certificates.map((c) => `${c.type}:${c.node}`).join(', ')}\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  bulk.command('consolidate')
    .description('combine every cluster export in the directory into consolidated.json')
    .requiredOption('--dir <sftp-dir>', 'shared directory')
    .option('--json', 'print the bundle summary as JSON')
    .action(act(ctx, async (o: { dir: string; json?: boolean }) => {
      try {
        const b = await bulkConsolidate(resolve(o.dir), new Date());
        const summary = { clusters: b.clusters, certificates: b.certificates.map((c) => ({ cluster: c.cluster, type: c.type, node: c.node })) };
        if (o.json) printJson(io, summary);
        else io.out(`consolidated ${b.certificates.length} certificates from ${b.clusters.join(', ')} into ${resolve(o.dir, 'consolidated.json')}\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(bulk.command('import').description("import the other clusters' certificates into this cluster's trust stores"))
    .requiredOption('--dir <sftp-dir>', 'shared directory holding consolidated.json')
    .option('--type <type>', `certificate type: ${BULK_TYPES.join(', ')} or ALL (repeatable)`, (v: string, p: string[] = []) => [...p, v], [])
    .action(act(ctx, async (o: LabFlags & { dir: string; type: string[] }) => {
      try {
        const wanted = o.type.length ? o.type : ['TFTP'];
        const types: BulkType[] = wanted.includes('ALL') ? [...BULK_TYPES] : wanted.map((t) => {
          const found = BULK_TYPES.find((x) => x.toLowerCase() === t.toLowerCase().replace('itlrecovery', 'itl_recovery'));
          if (!found) throw new EmulatorError('USAGE', `--type must be ${BULK_TYPES.join(', ')} or ALL, not "${t}"`);
          return found;
        });
        const { cluster } = await openCluster(o);
        const bundle = await readConsolidated(resolve(o.dir));
        printResult(io, await cluster.bulkImport(bundle.certificates, types), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
}
