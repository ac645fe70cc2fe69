import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { generateKeyPair, issueCertificate, type CertificateInfo, type DnSpec, type KeyPair } from '../../pki/index.js';
import { writeFileAtomic } from '../../shared/fs.js';
import { buildTrustList, parseTrustList, renderShowItl, Role, summarize, verifyHeaderSignature, verifyTrustList } from '../../trustlist/index.js';
import { EXIT } from '../exit-codes.js';
import { reportError, type CliIo } from '../io.js';
import { act, type CliContext } from '../context.js';

/**
 * `trustlab demo`: the most complete real demonstration until the scenario runner exists.
 * It makes a CUCM 12.5 publisher's CallManager, ITLRecovery, TVS and CAPF certificates,
 * builds the ITL the TFTP service would serve (signed by ITLRecovery, phone-behaviour.md
 * CONT-2), prints it as `show itl` does, verifies it, and shows that one changed byte fails.
 */
export function registerDemo(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  program
    .command('demo')
    .description('build a CUCM 12.5-style ITL from fresh certificates, print it like `show itl`, and verify it')
    .option('--out <dir>', 'directory for ITLFile.tlv (default: a new temporary directory)')
    .action(act(ctx, async (o: { out?: string }) => {
      try {
        return await runDemo(io, o.out);
      } catch (e) {
        return reportError(io, e, false);
      }
    }));
}

const DOMAIN = 'lab.example';
const YEAR_MS = 365 * 24 * 3600 * 1000;

async function identity(cn: string, ou: string, now: Date): Promise<{ keys: KeyPair; certificate: CertificateInfo }> {
  const keys = await generateKeyPair({ type: 'rsa', bits: 2048 });
  const subject: DnSpec = [['C', 'US'], ['ST', 'CA'], ['L', 'San Jose'], ['O', 'trustlab'], ['OU', ou], ['CN', cn]];
  const certificate = await issueCertificate({ subject, keys, notBefore: now, notAfter: new Date(now.getTime() + 5 * YEAR_MS), hash: 'SHA-256' });
  return { keys, certificate };
}

async function runDemo(io: CliIo, outDir?: string): Promise<number> {
  const now = new Date();
  io.err('Generating RSA-2048 keys and self-signed certificates for publisher cucm-pub…\n');
  const [callManager, recovery, tvs, capf] = await Promise.all([
    identity(`cucm-pub.${DOMAIN}`, 'VTG', now),
    identity(`ITLRECOVERY_cucm-pub.${DOMAIN}`, 'VTG', now),
    identity(`cucm-pub.${DOMAIN}`, 'TVS', now),
    identity('CAPF-7e3f1c2a', 'VTG', now),
  ]);
  const host = { dnsName: 'cucm-pub', ipAddress: '10.10.10.11' };
  const bytes = buildTrustList({
    signer: { certificate: recovery.certificate, privateKey: recovery.keys.privateKey },
    records: [
      { role: Role.SAST, certificate: recovery.certificate, ...host },
      { role: Role.SAST, certificate: callManager.certificate, ...host },
      { role: Role.TFTP, certificate: callManager.certificate, ...host },
      { role: Role.TVS, certificate: tvs.certificate, ...host },
      { role: Role.CAPF, certificate: capf.certificate, ...host },
    ],
    timestamp: Math.floor(now.getTime() / 1000),
    filename: 'ITLFile.tlv',
  });
  const dir = outDir ?? (await mkdtemp(join(tmpdir(), 'trustlab-demo-')));
  const path = join(dir, 'ITLFile.tlv');
  await writeFileAtomic(path, bytes);

  const parsed = parseTrustList(bytes);
  const v = verifyHeaderSignature(bytes, parsed.list.header, parsed.signatureOffset, { records: parsed.list.records });
  io.out(`admin:show itl\n${renderShowItl(parsed.list, summarize(parsed.list, bytes, v))}\n`);

  const tampered = bytes.slice();
  const recordOffset = parsed.list.header.headerLength + 40;
  tampered[recordOffset]! ^= 0x01;
  const t = verifyTrustList(tampered);
  io.out(`Wrote ${path} (${bytes.length} bytes). Check it yourself:\n  npx trustlab itl verify ${path}\n  npx trustlab itl dump ${path} --json\n`);
  io.out(`Tamper check: flipping one bit at byte ${recordOffset} gives ${t.reason} (${t.message}).\n`);
  return v.valid && !t.valid ? EXIT.OK : EXIT.NEGATIVE;
}
