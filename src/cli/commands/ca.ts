import type { Command } from 'commander';
import { Lab } from '../../cluster/index.js';
import { parseCsr, signCsr, toPem } from '../../pki/index.js';
import { readFileBytes, writeFileAtomic } from '../../shared/fs.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { reportError } from '../io.js';
import { labDir, type LabFlags } from '../lab-options.js';

/**
 * `trustlab ca sign|chain`: the lab's emulated enterprise ("third-party") CA, so a runbook can
 * take a CSR to a CA and bring the signed certificate back, as with a real one.
 */
export function registerCa(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const ca = program.command('ca').description("the lab's emulated enterprise CA: sign CSRs, export its chain");

  ca.command('sign')
    .description('sign a CSR with the enterprise issuing CA, copying the extensions it requests')
    .argument('<csr>', 'CSR file (PEM or DER)')
    .requiredOption('-o, --output <file>', 'signed certificate (PEM)')
    .option('--lab <dir>', 'lab directory (default: $TRUSTLAB_LAB or ./lab)')
    .option('--years <n>', 'validity in years', '2')
    .option('--with-chain', 'append the issuing and root CA certificates to the output')
    .option('--drop-key-usage <usage>', 'simulate a CA template that strips a key usage (e.g. dataEncipherment)')
    .action(act(ctx, async (csrFile: string, o: LabFlags & { output: string; years: string; withChain?: boolean; dropKeyUsage?: string }) => {
      try {
        const lab = await Lab.open(labDir(o));
        const e = lab.cas.enterprise!;
        const csr = parseCsr(await readFileBytes(csrFile, 1024 * 1024));
        const cert = await signCsr(e.issuing, csr, { now: new Date(lab.clock.now()), years: Number(o.years), ...(o.dropKeyUsage ? { dropKeyUsage: [o.dropKeyUsage] } : {}), serial: lab.random.bytes(16).map((b, i) => (i === 0 ? (b & 0x7f) | 0x10 : b)) });
        await lab.saveLab();
        await writeFileAtomic(o.output, toPem(cert.der) + (o.withChain ? toPem(e.issuing.certificate.der) + toPem(e.root.certificate.der) : ''));
        io.out(`wrote ${o.output}: ${cert.subjectCucm}, issued by ${cert.issuerCucm}\n`);
        return EXIT.OK;
      } catch (err) {
        return reportError(io, err, false, csrFile);
      }
    }));

  ca.command('chain')
    .description('write the enterprise CA certificates (root, then issuing) to upload to a trust store')
    .requiredOption('-o, --output <file>', 'output PEM')
    .option('--lab <dir>', 'lab directory')
    .option('--root-only', 'only the root certificate')
    .action(act(ctx, async (o: LabFlags & { output: string; rootOnly?: boolean }) => {
      try {
        const e = (await Lab.open(labDir(o))).cas.enterprise!;
        await writeFileAtomic(o.output, toPem(e.root.certificate.der) + (o.rootOnly ? '' : toPem(e.issuing.certificate.der)));
        io.out(`wrote ${o.output}\n`);
        return EXIT.OK;
      } catch (err) {
        return reportError(io, err, false);
      }
    }));
}
