import type { Command } from 'commander';
import { Lab } from '../../cluster/index.js';
import { isIssuedBy, parseCertificate, parseCsr, signCsr, toPem } from '../../pki/index.js';
import {
  crlUrlOf, enterpriseOf, issueDelegatedResponder, issuerOf, labRevocationSource, noteIssued, noteRevoked, ocspUrlOf, readLabCa, stateOf, updateLabCa,
  type ResponderMode,
} from '../../cluster/lab-ca.js';
import { CRL_REASON_NAMES, parseCrlReason, statusOf } from '../../revocation/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { readFileBytes, writeFileAtomic } from '../../shared/fs.js';
import { act, type CliContext } from '../context.js';
import { printJson } from '../io.js';
import { serveLabCa } from './serve-ca.js';
import { nextSignal } from './serve-common.js';
import { EXIT } from '../exit-codes.js';
import { reportError } from '../io.js';
import { labDir, type LabFlags } from '../lab-options.js';

/**
 * `trustlab ca sign|chain|revoke|crl|responder|url|show`: the lab's emulated enterprise
 * ("third-party") CA, so a runbook can take a CSR to a CA and bring the signed certificate back,
 * as with a real one — and have the CA revoke it, with OCSP and a CRL at the URLs its
 * certificates carry (served by `trustlab serve`).
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
    .option('--no-revocation-urls', 'leave out the AIA OCSP URI and the CRL Distribution Point')
    .action(act(ctx, async (csrFile: string, o: LabFlags & { output: string; years: string; withChain?: boolean; dropKeyUsage?: string; revocationUrls: boolean }) => {
      try {
        const lab = await Lab.open(labDir(o));
        const e = enterpriseOf(lab);
        const csr = parseCsr(await readFileBytes(csrFile, 1024 * 1024));
        const published = await readLabCa(lab.dir);
        const now = new Date(lab.clock.now());
        const cert = await signCsr(e.issuing, csr, {
          now, years: Number(o.years), ...(o.dropKeyUsage ? { dropKeyUsage: [o.dropKeyUsage] } : {}), serial: lab.random.bytes(16).map((b, i) => (i === 0 ? (b & 0x7f) | 0x10 : b)),
          ...(o.revocationUrls ? { ocspUrls: [ocspUrlOf(published)], crlUrls: [crlUrlOf(published, e.issuing)] } : {}),
        });
        await lab.saveLab();
        await updateLabCa(lab.dir, `ca sign ${csrFile}`, (j) => noteIssued(j, e.issuing, cert, now));
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
        const e = enterpriseOf(await Lab.open(labDir(o)));
        await writeFileAtomic(o.output, toPem(e.root.certificate.der) + (o.rootOnly ? '' : toPem(e.issuing.certificate.der)));
        io.out(`wrote ${o.output}\n`);
        return EXIT.OK;
      } catch (err) {
        return reportError(io, err, false);
      }
    }));

  ca.command('revoke')
    .description('revoke a certificate the lab CA issued; its OCSP answer becomes "revoked" and the next CRL lists it')
    .argument('<cert>', 'the certificate (PEM or DER)')
    .option('--reason <reason>', `CRL reason: ${CRL_REASON_NAMES.join(', ')}`, 'unspecified')
    .option('--lab <dir>', 'lab directory')
    .option('--json', 'print the revocation as JSON')
    .action(act(ctx, async (certFile: string, o: LabFlags & { reason: string; json?: boolean }) => {
      try {
        const reason = parseCrlReason(o.reason);
        if (!reason) throw new EmulatorError('USAGE', `--reason ${o.reason} is not a CRL reason; use one of ${CRL_REASON_NAMES.join(', ')}`);
        const lab = await Lab.open(labDir(o));
        const cert = parseCertificate(await readFileBytes(certFile, 1024 * 1024));
        const ca = issuerOf(lab, cert, isIssuedBy);
        if (!ca) throw new EmulatorError('CA_NOT_ISSUER', `${cert.subjectCucm} was issued by ${cert.issuerCucm}, not by the lab's enterprise CA; only its own certificates can be revoked`);
        const at = new Date(lab.clock.now());
        await updateLabCa(lab.dir, `ca revoke ${certFile}`, (j) => noteRevoked(j, ca, cert.serialHex, at, reason));
        if (o.json) printJson(io, { serial: cert.serialHex, subject: cert.subjectCucm, issuer: ca.name, revokedAt: at.toISOString(), reason });
        else io.out(`revoked ${cert.subjectCucm} (serial ${cert.serialHex}) at ${at.toISOString()}, reason ${reason}; OCSP answers "revoked" now, and the next CRL lists it\n`);
        return EXIT.OK;
      } catch (err) {
        return reportError(io, err, Boolean(o.json), certFile);
      }
    }));

  ca.command('crl')
    .description("write the CA's current certificate revocation list (DER, as its CRL Distribution Point serves it)")
    .requiredOption('-o, --output <file>', 'output file')
    .option('--root', 'the root CA\'s CRL instead of the issuing CA\'s')
    .option('--pem', 'PEM instead of DER')
    .option('--lab <dir>', 'lab directory')
    .action(act(ctx, async (o: LabFlags & { output: string; root?: boolean; pem?: boolean }) => {
      try {
        const lab = await Lab.open(labDir(o));
        const e = enterpriseOf(lab);
        const want = o.root ? e.root : e.issuing;
        const served = (await labRevocationSource(lab, 0).cas()).find((c) => c.name === want.name)!;
        const der = await served.crl();
        await writeFileAtomic(o.output, o.pem ? toPem(der, 'X509 CRL') : der);
        io.out(`wrote ${o.output}: CRL of ${want.name}, ${served.state.revoked.length} revoked, number ${served.state.crlNumber}\n`);
        return EXIT.OK;
      } catch (err) {
        return reportError(io, err, false);
      }
    }));

  ca.command('responder')
    .description('choose who signs OCSP answers: the CA itself, or a delegated responder certificate it issues (id-kp-OCSPSigning)')
    .argument('<mode>', 'ca | delegated')
    .option('--lab <dir>', 'lab directory')
    .action(act(ctx, async (mode: string, o: LabFlags) => {
      try {
        if (mode !== 'ca' && mode !== 'delegated') throw new EmulatorError('USAGE', `responder mode "${mode}" is neither ca nor delegated`);
        const lab = await Lab.open(labDir(o));
        const subject = await updateLabCa(lab.dir, `ca responder ${mode}`, async (j) => {
          j.responder = mode as ResponderMode;
          if (mode === 'delegated' && !j.delegated) await issueDelegatedResponder(lab, j);
          return mode === 'delegated' ? parseCertificate(j.delegated!.certPem).subjectCucm : enterpriseOf(lab).issuing.certificate.subjectCucm;
        });
        await lab.saveLab();
        io.out(`OCSP answers for the issuing CA are signed by ${subject}\n`);
        return EXIT.OK;
      } catch (err) {
        return reportError(io, err, false);
      }
    }));

  ca.command('url')
    .description('show or set the base URL of the CA\'s OCSP responder and CRL (certificates signed afterwards carry it)')
    .argument('[url]', 'new base URL, e.g. http://127.0.0.1:8880')
    .option('--lab <dir>', 'lab directory')
    .action(act(ctx, async (url: string | undefined, o: LabFlags) => {
      try {
        const lab = await Lab.open(labDir(o));
        if (url !== undefined) {
          let u: URL;
          try {
            u = new URL(url);
          } catch {
            throw new EmulatorError('USAGE', `${url} is not a URL; give one like http://127.0.0.1:8880`);
          }
          if (u.protocol !== 'http:') throw new EmulatorError('USAGE', 'OCSP and CRL are served over plain http (RFC 6960 §A.1, RFC 5280 §4.2.1.13)');
          await updateLabCa(lab.dir, `ca url ${url}`, (j) => {
            j.url = u.origin;
          });
        }
        const j = await readLabCa(lab.dir);
        io.out(`OCSP ${ocspUrlOf(j)}\nCRL  ${crlUrlOf(j, enterpriseOf(lab).issuing)}\n`);
        return EXIT.OK;
      } catch (err) {
        return reportError(io, err, false);
      }
    }));

  ca.command('show')
    .description('what the lab CA issued and revoked, where it publishes, and who signs its OCSP answers')
    .option('--lab <dir>', 'lab directory')
    .option('--json', 'as JSON')
    .action(act(ctx, async (o: LabFlags & { json?: boolean }) => {
      try {
        const lab = await Lab.open(labDir(o));
        const j = await readLabCa(lab.dir);
        const e = enterpriseOf(lab);
        const cas = [e.issuing, e.root].map((ca) => {
          const st = stateOf(j, ca);
          return { name: ca.name, subject: ca.certificate.subjectCucm, crl: crlUrlOf(j, ca), crlNumber: st.crlNumber, issued: st.issued.map((i) => ({ ...i, status: statusOf(st, i.serial).status })), revoked: st.revoked };
        });
        if (o.json) {
          printJson(io, { url: j.url, ocsp: ocspUrlOf(j), responder: j.responder, cas });
          return EXIT.OK;
        }
        io.out(`OCSP ${ocspUrlOf(j)} (signed by ${j.responder === 'delegated' ? 'a delegated responder' : 'the CA'})\n`);
        for (const c of cas) {
          io.out(`${c.name}: ${c.issued.length} issued, ${c.revoked.length} revoked, CRL #${c.crlNumber} at ${c.crl}\n`);
          for (const i of c.issued) io.out(`  ${i.status.padEnd(8)} ${i.serial}  ${i.subject}  (until ${i.notAfter.slice(0, 10)})\n`);
        }
        return EXIT.OK;
      } catch (err) {
        return reportError(io, err, Boolean(o.json));
      }
    }));

  ca.command('serve')
    .description("serve only the lab CA's OCSP responder and CRLs, at its URL (trustlab serve --lab also does, with the cluster)")
    .option('--lab <dir>', 'lab directory')
    .option('--json', 'log one JSON object per line')
    .action(act(ctx, async (o: LabFlags & { json?: boolean }) => {
      try {
        const lab = await Lab.open(labDir(o));
        const line = (text: string, event: object): void => io.out(o.json ? `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n` : `${new Date().toISOString()} ${text}\n`);
        const server = (await serveLabCa(lab, line, true))!;
        if (!o.json) io.out('Ctrl-C to stop\n');
        await nextSignal().signal;
        await server.close();
        return EXIT.OK;
      } catch (err) {
        return reportError(io, err, Boolean(o.json));
      }
    }));
}
