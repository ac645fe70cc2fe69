import { basename } from 'node:path';
import type { Command } from 'commander';
import { readFileBytes, writeFileAtomic } from '../../shared/fs.js';
import { EmulatorError } from '../../shared/errors.js';
import {
  anchorOfCertificate, buildTrustList, MAX_TRUSTLIST_BYTES, parseRole, parseTrustList, renderShowItl, Role, roleName,
  summarize, verifyHeaderSignature, WRITABLE_DIGESTS, type DigestName, type RecordSpec, type TrustAnchor, type VerifyResult,
} from '../../trustlist/index.js';
import type { CertificateInfo } from '../../pki/index.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError } from '../io.js';
import { act, type CliContext } from '../context.js';
import { readCertificate, readCertificates, readKey } from '../inputs.js';

/**
 * `trustlab itl dump|verify|build`: read, check and write ITL/CTL files as CUCM does
 * (formats.md §1). Works for CTL files too; the file name inside decides how it is labelled.
 */

async function anchorsFrom(paths: readonly string[]): Promise<TrustAnchor[]> {
  const out: TrustAnchor[] = [];
  for (const p of paths) for (const c of await readCertificates(p)) out.push(anchorOfCertificate(c));
  return out;
}

async function readList(file: string) {
  const bytes = await readFileBytes(file, MAX_TRUSTLIST_BYTES + 1);
  const parsed = parseTrustList(bytes);
  return { bytes, parsed };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerItl(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const itl = program.command('itl').description('read, verify and build ITL/CTL trust-list files (ITLFile.tlv, CTLFile.tlv)');

  itl
    .command('dump')
    .description('print a trust list the way CUCM `show itl` / `show ctl` does, marking the record that signed it')
    .argument('<file>', 'ITLFile.tlv, CTLFile.tlv, ITLSEP<MAC>.tlv …')
    .option('--json', 'print the structure as JSON')
    .option('--trust <cert.pem>', 'check the signer against this certificate (repeatable; PEM bundles allowed)', collect, [])
    .action(act(ctx, async (file: string, o: { json?: boolean; trust: string[] }) => {
      try {
        const { bytes, parsed } = await readList(file);
        const v = await verifyWith(bytes, parsed, o.trust);
        const summary = summarize(parsed.list, bytes, v);
        if (o.json) printJson(io, summary);
        else io.out(renderShowItl(parsed.list, summary));
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json), file);
      }
    }));

  itl
    .command('verify')
    .description('verify the signature; exit 0 valid, 1 invalid or untrusted signer, 2 malformed file')
    .argument('<file>', 'trust-list file')
    .option('--trust <cert.pem>', 'accept only signers among these certificates (repeatable; PEM bundles allowed)', collect, [])
    .option('--json', 'print the result as JSON')
    .action(act(ctx, async (file: string, o: { json?: boolean; trust: string[] }) => {
      try {
        const { bytes, parsed } = await readList(file);
        const v = await verifyWith(bytes, parsed, o.trust);
        const signer = v.signer?.record != null ? parsed.list.records[v.signer.record] : undefined;
        if (o.json) {
          printJson(io, { file, valid: v.valid, reason: v.reason, message: v.message, digest: v.digest, signer: v.signer ?? null, signerSubject: signer?.subject ?? (v.valid ? parsed.list.header.signerName : null) });
        } else if (v.valid) {
          const who = signer ? `record #${v.signer!.record! + 1} (${roleName(signer.role)} ${signer.subject ?? ''})` : `trusted certificate ${parsed.list.header.signerName}`;
          io.out(`${file}: VALID: ${v.message}, signed by ${who}\n`);
        } else {
          io.out(`${file}: ${v.reason}: ${v.message}\n`);
        }
        return v.valid ? EXIT.OK : EXIT.NEGATIVE;
      } catch (e) {
        return reportError(io, e, Boolean(o.json), file);
      }
    }));

  itl
    .command('build')
    .description('build and sign an ITL/CTL in CUCM\'s byte layout')
    .requiredOption('--signer-cert <cert.pem>', 'certificate of the signer (RSA: CallManager or ITLRecovery)')
    .requiredOption('--signer-key <key.pem>', 'private key of the signer')
    .option('--record <ROLE=CERT[,dns=HOST][,ip=A.B.C.D]>', 'a record: role (SAST, CCM, CCM+TFTP, TFTP, CAPF, APP-SERVER, TVS or a number) and certificate (repeatable)', collect, [])
    .option('--placeholder <ROLE[,dns=HOST][,ip=A.B.C.D]>', 'a record without certificate, as in a CTL moved to non-secure mode (repeatable)', collect, [])
    .option('--no-signer-record', 'do not add the signer as the first SAST record when no --record names it')
    .option('--digest <sha1|sha512>', 'digest of the signature', 'sha1')
    .option('--filename <name>', 'file name written in the header (tag 14); per-MAC files still say ITLFile.tlv', 'ITLFile.tlv')
    .option('--timestamp <unix-seconds>', 'header timestamp (tag 15); default now')
    .option('--dialect <cucm|certutils>', 'byte layout: CUCM (default) or certutils', 'cucm')
    .option('--json', 'print a summary of the written file as JSON')
    .requiredOption('-o, --output <file>', 'where to write the file (written atomically)')
    .action(act(ctx, async (o: BuildFlags) => {
      try {
        const spec = await buildSpec(o);
        const bytes = buildTrustList(spec.options);
        await writeFileAtomic(o.output, bytes);
        const parsed = parseTrustList(bytes);
        const v = verifyHeaderSignature(bytes, parsed.list.header, parsed.signatureOffset, { records: parsed.list.records });
        const summary = summarize(parsed.list, bytes, v);
        if (o.json) printJson(io, { output: o.output, addedSignerRecord: spec.addedSigner, ...summary });
        else {
          if (spec.addedSigner) io.err('note: added the signer as SAST record #1 (CUCM lists the ITL signer as SAST); pass --no-signer-record to leave it out\n');
          io.out(`wrote ${o.output}: ${bytes.length} bytes, ${summary.records.length} records, signed by ${summary.signer.name} (${summary.digest})\n`);
          for (const w of summary.warnings) io.err(`warning: ${w}\n`);
        }
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
}

interface BuildFlags {
  signerCert: string;
  signerKey: string;
  record: string[];
  placeholder: string[];
  signerRecord: boolean;
  digest: string;
  filename: string;
  timestamp?: string;
  dialect: string;
  json?: boolean;
  output: string;
}

function usage(message: string): EmulatorError {
  return new EmulatorError('USAGE', message);
}

/** Splits `ROLE=CERT,dns=H,ip=A` (or `ROLE,dns=…` for placeholders). */
function parseRecordFlag(flag: string, withCert: boolean): { role: number; cert?: string; dnsName?: string; ipAddress?: string } {
  const [head, ...opts] = flag.split(',');
  let roleText = head ?? '';
  let cert: string | undefined;
  if (withCert) {
    const eq = roleText.indexOf('=');
    if (eq < 0) throw usage(`--record "${flag}" must look like ROLE=CERT.pem[,dns=HOST][,ip=A.B.C.D]`);
    cert = roleText.slice(eq + 1);
    roleText = roleText.slice(0, eq);
  }
  const role = parseRole(roleText);
  if (role === undefined) throw usage(`unknown role "${roleText}" in "${flag}"; use SAST, CCM, CCM+TFTP, TFTP, CAPF, APP-SERVER, TVS or a number`);
  const out: { role: number; cert?: string; dnsName?: string; ipAddress?: string } = { role, ...(cert !== undefined ? { cert } : {}) };
  for (const o of opts) {
    const [k, v] = o.split('=', 2) as [string, string | undefined];
    if (v === undefined) throw usage(`"${o}" in "${flag}" must be dns=HOST or ip=A.B.C.D`);
    if (k === 'dns') out.dnsName = v;
    else if (k === 'ip') out.ipAddress = v;
    else throw usage(`unknown record option "${k}" in "${flag}"; use dns= or ip=`);
  }
  return out;
}

async function buildSpec(o: BuildFlags) {
  if (!WRITABLE_DIGESTS.includes(o.digest as DigestName)) throw usage(`--digest must be sha1 or sha512, not "${o.digest}"`);
  if (o.dialect !== 'cucm' && o.dialect !== 'certutils') throw usage(`--dialect must be cucm or certutils, not "${o.dialect}"`);
  const timestamp = o.timestamp === undefined ? Math.floor(Date.now() / 1000) : Number(o.timestamp);
  if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp > 0xffffffff) throw usage(`--timestamp must be Unix seconds, not "${o.timestamp}"`);
  const signerCert = await readCertificate(o.signerCert);
  const privateKey = await readKey(o.signerKey);
  const records: RecordSpec[] = [];
  for (const flag of o.record) {
    const r = parseRecordFlag(flag, true);
    const certificate: CertificateInfo = await readCertificate(r.cert!);
    records.push({ role: r.role, certificate, ...(r.dnsName !== undefined ? { dnsName: r.dnsName } : {}), ...(r.ipAddress !== undefined ? { ipAddress: r.ipAddress } : {}) });
  }
  for (const flag of o.placeholder) {
    const r = parseRecordFlag(flag, false);
    records.push({ role: r.role, ...(r.dnsName !== undefined ? { dnsName: r.dnsName } : {}), ...(r.ipAddress !== undefined ? { ipAddress: r.ipAddress } : {}) });
  }
  const hasSigner = records.some((r) => r.role === Role.SAST && r.certificate?.sha256 === signerCert.sha256);
  const addedSigner = o.signerRecord && !hasSigner;
  if (addedSigner) records.unshift({ role: Role.SAST, certificate: signerCert });
  return {
    addedSigner,
    options: {
      signer: { certificate: signerCert, privateKey },
      records,
      timestamp,
      digest: o.digest as DigestName,
      filename: o.filename || basename(o.output),
      dialect: o.dialect as 'cucm' | 'certutils',
    },
  };
}

async function verifyWith(bytes: Uint8Array, parsed: ReturnType<typeof parseTrustList>, trust: readonly string[]): Promise<VerifyResult> {
  const trusted = trust.length ? await anchorsFrom(trust) : undefined;
  return verifyHeaderSignature(bytes, parsed.list.header, parsed.signatureOffset, { records: parsed.list.records, ...(trusted ? { trusted } : {}) });
}
