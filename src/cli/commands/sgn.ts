import { basename } from 'node:path';
import type { Command } from 'commander';
import { readFileBytes, writeFileAtomic } from '../../shared/fs.js';
import { EmulatorError } from '../../shared/errors.js';
import {
  anchorOfCertificate, anchorOfRecord, buildSignedFile, decodeTrustList, MAX_SGN_BYTES, MAX_TRUSTLIST_BYTES, parseSignedFile,
  Role, verifyHeaderSignature, WRITABLE_DIGESTS, type DigestName, type TrustAnchor,
} from '../../trustlist/index.js';
import { toHex } from '../../bytes/index.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError } from '../io.js';
import { act, type CliContext } from '../context.js';
import { fromFile, readCertificate, readCertificates, readKey } from '../inputs.js';

/**
 * `trustlab sgn sign|verify|strip`: signed files such as `SEP<MAC>.cnf.xml.sgn` (formats.md §2).
 * `.enc.sgn` (encrypted configs) is not supported yet.
 */
export function registerSgn(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const sgn = program.command('sgn').description('sign, verify and strip signed files (SEP<MAC>.cnf.xml.sgn and other .sgn files)');

  sgn
    .command('sign')
    .description('prepend a signed header to a file, as CUCM\'s TFTP service does for configs')
    .argument('<file>', 'the file to sign (kept unmodified after the header)')
    .requiredOption('--signer-cert <cert.pem>', 'signer certificate (the TFTP node\'s CallManager certificate)')
    .requiredOption('--signer-key <key.pem>', 'signer private key')
    .option('--digest <sha1|sha512>', 'digest of the signature', 'sha1')
    .option('--filename <name>', 'name written in the header (tag 14); default: the output\'s file name')
    .option('--timestamp <unix-seconds>', 'header timestamp; default now')
    .option('-o, --output <file>', 'output file; default <file>.sgn (written atomically)')
    .option('--json', 'print a summary as JSON')
    .action(act(ctx, async (file: string, o: { signerCert: string; signerKey: string; digest: string; filename?: string; timestamp?: string; output?: string; json?: boolean }) => {
      try {
        if (!WRITABLE_DIGESTS.includes(o.digest as DigestName)) throw new EmulatorError('USAGE', `--digest must be sha1 or sha512, not "${o.digest}"`);
        const timestamp = o.timestamp === undefined ? Math.floor(Date.now() / 1000) : Number(o.timestamp);
        if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp > 0xffffffff) throw new EmulatorError('USAGE', `--timestamp must be Unix seconds, not "${o.timestamp}"`);
        const payload = await readFileBytes(file, MAX_SGN_BYTES - 4096);
        const output = o.output ?? `${file}.sgn`;
        const certificate = await readCertificate(o.signerCert);
        const bytes = buildSignedFile({
          signer: { certificate, privateKey: await readKey(o.signerKey) },
          payload,
          filename: o.filename ?? basename(output),
          timestamp,
          digest: o.digest as DigestName,
        });
        await writeFileAtomic(output, bytes);
        const summary = { output, bytes: bytes.length, headerLength: bytes.length - payload.length, payloadBytes: payload.length, signer: certificate.subjectCucm, serial: certificate.serialHex, digest: o.digest };
        if (o.json) printJson(io, summary);
        else io.out(`wrote ${output}: ${summary.headerLength}-byte header + ${payload.length}-byte payload, signed by ${certificate.subjectCucm} (${o.digest})\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json), file);
      }
    }));

  sgn
    .command('verify')
    .description('verify a signed file against a trusted certificate or an ITL/CTL; exit 0 valid, 1 not, 2 malformed')
    .argument('<file>', 'the .sgn file')
    .option('--trust <cert.pem>', 'trusted signer certificate (repeatable; PEM bundles allowed)', (v: string, p: string[] = []) => [...p, v], [])
    .option('--itl <ITLFile.tlv>', 'trust the TFTP and CCM+TFTP records of this ITL or CTL, as a phone does (repeatable)', (v: string, p: string[] = []) => [...p, v], [])
    .option('--json', 'print the result as JSON')
    .action(act(ctx, async (file: string, o: { trust: string[]; itl: string[]; json?: boolean }) => {
      try {
        if (!o.trust.length && !o.itl.length) throw new EmulatorError('USAGE', 'a .sgn file carries no certificate: pass --trust CERT.pem or --itl ITLFile.tlv');
        const anchors: TrustAnchor[] = [];
        for (const p of o.trust) for (const c of await readCertificates(p)) anchors.push(anchorOfCertificate(c));
        for (const p of o.itl) {
          const list = await fromFile(p, async () => decodeTrustList(await readFileBytes(p, MAX_TRUSTLIST_BYTES + 1)));
          for (const r of list.records) {
            const a = r.role === Role.TFTP || r.role === Role.CCM_TFTP ? anchorOfRecord(r) : undefined;
            if (a) anchors.push(a);
          }
        }
        const bytes = await readFileBytes(file, MAX_SGN_BYTES + 1);
        const { file: f, signatureOffset } = parseSignedFile(bytes);
        const v = verifyHeaderSignature(bytes, f.header, signatureOffset, { trusted: anchors });
        if (o.json) printJson(io, { file, valid: v.valid, reason: v.reason, message: v.message, digest: v.digest, filename: f.header.filename, signer: { name: f.header.signerName, serial: toHex(f.header.signerSerial), issuer: f.header.signerIssuer }, payloadBytes: f.payload.length });
        else io.out(`${file}: ${v.valid ? 'VALID' : v.reason}: ${v.message}${v.valid ? `, signed by ${f.header.signerName}` : ''}\n`);
        return v.valid ? EXIT.OK : EXIT.NEGATIVE;
      } catch (e) {
        return reportError(io, e, Boolean(o.json), file);
      }
    }));

  sgn
    .command('strip')
    .description('write the original file inside a .sgn (no verification; use `sgn verify` first)')
    .argument('<file>', 'the .sgn file')
    .option('-o, --output <file>', 'output file (default: <file> without .sgn; - for stdout)')
    .action(act(ctx, async (file: string, o: { output?: string }) => {
      try {
        const payload = parseSignedFile(await readFileBytes(file, MAX_SGN_BYTES + 1)).file.payload;
        const output = o.output ?? (file.endsWith('.sgn') ? file.slice(0, -4) : `${file}.stripped`);
        if (output === '-') {
          io.outBytes(payload);
        } else {
          await writeFileAtomic(output, payload);
          io.out(`wrote ${output}: ${payload.length} bytes\n`);
        }
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, false, file);
      }
    }));
}
