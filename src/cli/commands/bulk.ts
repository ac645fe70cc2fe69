import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { BULK_TYPES, bulkConsolidate, bulkExport, bulkList, CONSOLIDATED_FILE, DEFAULT_BULK_PASSWORD, readConsolidated, TRUST_STORES, type BulkType, type BulkUnit, type TrustStoreName } from '../../cluster/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError } from '../io.js';
import { openCluster, printResult, withLabOptions, type LabFlags } from '../lab-options.js';

/**
 * `trustlab bulk export|consolidate|list|import` (Security › Bulk Certificate Management): a
 * directory stands in for the SFTP server all clusters share, holding CUCM's PKCS#12 files
 * (docs/decisions/013-bulk-directory.md).
 */
interface DirFlags {
  dir: string;
  password?: string;
  json?: boolean;
}

const repeat = (v: string, p: string[] = []): string[] => [...p, v];

/** --password, else TRUSTLAB_BULK_PASSWORD, else trustlab's default. */
function passwordOption(): Option {
  return new Option('--password <password>', `PKCS#12 password (Cisco does not document CUCM's; default "${DEFAULT_BULK_PASSWORD}")`).env('TRUSTLAB_BULK_PASSWORD');
}

function parseTypes(wanted: readonly string[], fallback: readonly BulkType[]): BulkType[] {
  if (wanted.length === 0) return [...fallback];
  if (wanted.some((t) => t.toUpperCase() === 'ALL')) return [...BULK_TYPES];
  return wanted.map((t) => {
    const found = BULK_TYPES.find((x) => x.toLowerCase().replace('_', '') === t.toLowerCase().replace(/[_-]/g, ''));
    if (!found) throw new EmulatorError('USAGE', `--type must be ${BULK_TYPES.join(', ')} or ALL, not "${t}"`);
    return found;
  });
}

const unitLine = (u: BulkUnit): string => `  ${u.unit.padEnd(28)} ${u.type.padEnd(12)} ${u.subject}  serial ${u.serial}  until ${u.notAfter.slice(0, 10)}\n`;

export function registerBulk(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const bulk = program.command('bulk').description('bulk certificate management through a shared directory (the SFTP server), in CUCM\'s PKCS#12 files');

  withLabOptions(bulk.command('export').description("export the cluster's certificates, one PKCS#12 file per node and type (<node>_tftp.p12, <node>_capf.p12, <node>_itlrecovery.p12, <node>_tomcat.p12)"))
    .requiredOption('--dir <sftp-dir>', 'shared directory standing in for the SFTP server')
    .option('--type <type>', `certificate type: ${BULK_TYPES.join(', ')} or ALL (repeatable; default ALL)`, repeat, [])
    .addOption(passwordOption())
    .action(act(ctx, async (o: LabFlags & DirFlags & { type: string[] }) => {
      try {
        const types = parseTypes(o.type, BULK_TYPES);
        const { cluster } = await openCluster(o);
        const m = await bulkExport(cluster.state, resolve(o.dir), { types, ...(o.password !== undefined ? { password: o.password } : {}) });
        if (o.json) printJson(io, m);
        else io.out(`exported ${m.files.length} PKCS#12 files of ${m.cluster} to ${m.dir}:\n${m.files.map((f) => `  ${f.file}\n`).join('')}`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  bulk.command('consolidate')
    .description(`combine every PKCS#12 file in the directory into ${CONSOLIDATED_FILE}`)
    .requiredOption('--dir <sftp-dir>', 'shared directory')
    .addOption(passwordOption())
    .option('--json', 'print what was consolidated as JSON')
    .action(act(ctx, async (o: DirFlags) => {
      try {
        const b = await bulkConsolidate(resolve(o.dir), o.password !== undefined ? { password: o.password } : {});
        if (o.json) printJson(io, b);
        else io.out(`consolidated ${b.units.length} certificates into ${resolve(o.dir, b.file)}:\n${b.units.map(unitLine).join('')}`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  bulk.command('list')
    .description('show every PKCS#12 file in the directory and the units it holds (works on a real CUCM export too)')
    .requiredOption('--dir <sftp-dir>', 'shared directory')
    .addOption(passwordOption())
    .option('--json', 'print the files and units as JSON')
    .action(act(ctx, async (o: DirFlags) => {
      try {
        const files = await bulkList(resolve(o.dir), o.password !== undefined ? { password: o.password } : {});
        if (o.json) printJson(io, files);
        else io.out(files.length ? files.map((f) => `${f.file}\n${f.units.map(unitLine).join('')}`).join('') : `${resolve(o.dir)} holds no PKCS#12 files\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(bulk.command('import').description(`import the other clusters' certificates from ${CONSOLIDATED_FILE} into this cluster's trust stores`))
    .requiredOption('--dir <sftp-dir>', `shared directory holding ${CONSOLIDATED_FILE}`)
    .option('--type <type>', `certificate type: ${BULK_TYPES.join(', ')} or ALL (repeatable; default TFTP)`, repeat, [])
    .option('--unit <unit>', 'import only this unit, e.g. bpub_tftp (repeatable; see bulk list)', repeat, [])
    .addOption(new Option('--store <store>', "put every chosen certificate in this trust store only, instead of the guide's stores for its type").choices([...TRUST_STORES]))
    .addOption(passwordOption())
    .action(act(ctx, async (o: LabFlags & DirFlags & { type: string[]; unit: string[]; store?: string }) => {
      try {
        const types = parseTypes(o.type, ['TFTP']);
        const { cluster } = await openCluster(o);
        const certs = await readConsolidated(resolve(o.dir), o.password !== undefined ? { password: o.password } : {});
        printResult(io, await cluster.bulkImport(certs, { types, ...(o.unit.length ? { units: o.unit } : {}), ...(o.store ? { store: o.store as TrustStoreName } : {}) }), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
}
