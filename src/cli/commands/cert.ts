import type { Command } from 'commander';
import { PURPOSES, parseStoreName, requireHash, type CertFilter, type Purpose } from '../../cluster/index.js';
import { readFileBytes, writeFileAtomic } from '../../shared/fs.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError } from '../io.js';
import { openCluster, printResult, withLabOptions, type LabFlags } from '../lab-options.js';
import { table } from './cluster.js';
import { registerCertRevocation } from './cert-revocation.js';
import { checkAndRecord } from '../../cluster/serve/index.js';
import { registerCertMonitor } from './cert-monitor.js';
import { revocationOf } from '../../cluster/index.js';
import { looksLikePem, parseCertificate, pemCertificates } from '../../pki/index.js';

/**
 * `trustlab cert …`: OS Administration › Security › Certificate Management, one subcommand per
 * button — list/find, generate (self-signed), csr, upload, delete, regenerate, reuse, download.
 */
export function parsePurpose(s: string): Purpose {
  const p = PURPOSES.find((x) => x.toLowerCase() === s.toLowerCase());
  if (!p) throw new EmulatorError('USAGE', `unknown certificate purpose "${s}"; use one of ${PURPOSES.join(', ')}`);
  return p;
}

function parseDistribution(s: string | undefined): 'node' | 'multi-server' | undefined {
  if (s === undefined) return undefined;
  if (s === 'node' || s === 'multi-server') return s;
  throw new EmulatorError('USAGE', `--distribution must be node or multi-server, not "${s}"`);
}

function int(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n)) throw new EmulatorError('USAGE', `${what} must be a whole number, not "${s}"`);
  return n;
}

/** `--find cn=…`, `--find expires-before=2027-01-01`, `--find keytype=EC`, `--find type=tomcat-trust`. */
function parseFind(list: string[]): CertFilter {
  const f: CertFilter = {};
  for (const item of list) {
    const [k, v] = item.split('=', 2) as [string, string | undefined];
    if (v === undefined) throw new EmulatorError('USAGE', `--find takes FIELD=VALUE (cn, expires-before, expires-within, keytype, type, node), not "${item}"`);
    switch (k.toLowerCase()) {
      case 'cn': case 'common-name': f.cn = v; break;
      case 'type': case 'purpose': case 'store': f.type = v; break;
      case 'node': f.node = v; break;
      case 'keytype': case 'key-type': {
        const t = v.toUpperCase();
        if (t !== 'RSA' && t !== 'EC') throw new EmulatorError('USAGE', `keytype must be RSA or EC, not "${v}"`);
        f.keyType = t;
        break;
      }
      case 'expires-before': case 'expiry': {
        const d = new Date(v);
        if (Number.isNaN(d.getTime())) throw new EmulatorError('USAGE', `expires-before needs a date like 2027-01-31, not "${v}"`);
        f.expiresBefore = d;
        break;
      }
      case 'expires-within': {
        const m = /^(\d+)d$/.exec(v);
        if (!m) throw new EmulatorError('USAGE', `expires-within takes days like 30d, not "${v}"`);
        f.expiresBefore = new Date(Date.now() + Number(m[1]) * 86400_000);
        break;
      }
      default: throw new EmulatorError('USAGE', `unknown --find field "${k}"; use cn, expires-before, expires-within, keytype, type or node`);
    }
  }
  return f;
}

const collect = (v: string, p: string[] = []): string[] => [...p, v];

/** Serials of the certificates in an uploaded file (PEM chain or one DER). */
function certsIn(data: Uint8Array): string[] {
  try {
    const text = Buffer.from(data).toString('latin1');
    return looksLikePem(data) ? pemCertificates(text).map((d) => parseCertificate(d).serialHex) : [parseCertificate(data).serialHex];
  } catch {
    return [];
  }
}

export function registerCert(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const cert = program.command('cert').description('certificate management: list, generate, csr, upload, delete, regenerate, reuse, download, revocation, monitor');
  registerCertRevocation(cert, ctx);
  registerCertMonitor(cert, program, ctx);

  withLabOptions(cert.command('list').description('list identity and trust certificates (Find Certificate List where …)'))
    .option('--usage <usage>', 'identity or trust')
    .option('--find <FIELD=VALUE>', 'filter: cn=, expires-before=YYYY-MM-DD, expires-within=30d, keytype=RSA|EC, type=PURPOSE|STORE, node= (repeatable)', collect, [])
    .action(act(ctx, async (o: LabFlags & { usage?: string; find: string[] }) => {
      try {
        if (o.usage && o.usage !== 'identity' && o.usage !== 'trust') throw new EmulatorError('USAGE', `--usage must be identity or trust, not "${o.usage}"`);
        const { cluster } = await openCluster(o);
        const checks = cluster.state.revocationChecks ?? [];
        const revocation = (serial: string): string => {
          const mine = checks.filter((c) => c.serial === serial);
          return mine.length ? [...new Set(mine.map((c) => c.status))].join('/') : '-';
        };
        const rows = cluster.certificates({ ...parseFind(o.find), ...(o.usage ? { usage: o.usage as 'identity' | 'trust' } : {}) }).map((r) => ({ ...r, revocation: revocation(r.serial) }));
        if (o.json) printJson(io, rows);
        else io.out(table(['USAGE', 'TYPE', 'NAME', 'NODES', 'KEY', 'EXPIRES', 'SOURCE', 'REVOCATION'], rows.map((r) => [r.usage, r.type, r.name, r.nodes.join(','), `${r.keyType} ${r.keyBits}`, r.notAfter.slice(0, 10), r.source, r.revocation])) + `${rows.length} certificate${rows.length === 1 ? '' : 's'}\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  const genOptions = (c: Command): Command => c
    .requiredOption('--node <host>', 'node to generate on (CAPF and ITLRecovery: the publisher)')
    .option('--distribution <d>', 'node or multi-server (SAN of every node)')
    .option('--key-length <bits>', 'RSA 1024/2048/3072/4096 or EC 256/384 (the purpose decides the key type)')
    .option('--hash <alg>', 'SHA256, SHA384 or SHA512 (at least as strong as the key; FIPS mode needs SHA256)');

  withLabOptions(genOptions(cert.command('generate').description('generate a new self-signed certificate (Table 6)').argument('<purpose>', PURPOSES.join(', '))))
    .option('--validity <years>', '5, 10 or 20 (ITLRecovery also 15); default 5')
    .action(act(ctx, async (purpose: string, o: LabFlags & { node: string; distribution?: string; keyLength?: string; hash?: string; validity?: string }) => {
      try {
        const { cluster } = await openCluster(o);
        const keyLength = int(o.keyLength, '--key-length');
        const hash = requireHash(o.hash);
        const validityYears = int(o.validity, '--validity');
        const distribution = parseDistribution(o.distribution);
        const r = await cluster.generate({ purpose: parsePurpose(purpose), node: o.node, ...(distribution ? { distribution } : {}), ...(keyLength !== undefined ? { keyLength } : {}), ...(hash ? { hash } : {}), ...(validityYears !== undefined ? { validityYears } : {}) });
        printResult(io, r, o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(cert.command('regenerate').description('regenerate a certificate with the same key length (overwrites a CA-signed one)').argument('<purpose>', PURPOSES.join(', ')).requiredOption('--node <host>', 'node'))
    .action(act(ctx, async (purpose: string, o: LabFlags & { node: string }) => {
      try {
        const { cluster } = await openCluster(o);
        printResult(io, await cluster.regenerate(parsePurpose(purpose), o.node), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(genOptions(cert.command('csr').description('generate a certificate signing request (overwrites any earlier CSR for it)').argument('<purpose>', PURPOSES.filter((p) => p !== 'ITLRecovery').join(', '))))
    .option('--include-ou', 'include the Organization Unit in the subject')
    .option('-o, --output <file>', 'also write the CSR (PEM) to this file')
    .action(act(ctx, async (purpose: string, o: LabFlags & { node: string; distribution?: string; keyLength?: string; hash?: string; includeOu?: boolean; output?: string }) => {
      try {
        const { cluster } = await openCluster(o);
        const keyLength = int(o.keyLength, '--key-length');
        const hash = requireHash(o.hash);
        const distribution = parseDistribution(o.distribution);
        const p = parsePurpose(purpose);
        const r = await cluster.csr({ purpose: p, node: o.node, ...(distribution ? { distribution } : {}), ...(keyLength !== undefined ? { keyLength } : {}), ...(hash ? { hash } : {}), ...(o.includeOu ? { includeOu: true } : {}) });
        const pending = cluster.state.csrs.find((c) => c.purpose === p && c.node === o.node)!;
        if (o.output) await writeFileAtomic(o.output, pending.csrPem);
        printResult(io, r, o.json, { csr: pending.csrPem });
        if (!o.json && !o.output) io.out(pending.csrPem);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(cert.command('upload').description('upload a trust certificate or chain (--store) or the CA-signed certificate for a CSR (--purpose)').argument('<file>', 'PEM (may hold a chain) or DER'))
    .requiredOption('--node <host>', 'node to upload on')
    .option('--store <store>', 'trust store, e.g. CallManager-trust, tomcat-trust, Phone-SAST-trust, CAPF-trust')
    .option('--purpose <purpose>', 'identity purpose whose pending CSR this certificate answers')
    .option('--description <text>', 'description shown in the certificate list')
    .action(act(ctx, async (file: string, o: LabFlags & { node: string; store?: string; purpose?: string; description?: string }) => {
      try {
        if (!o.store === !o.purpose) throw new EmulatorError('USAGE', 'pass exactly one of --store STORE (trust certificate) or --purpose PURPOSE (CA-signed identity)');
        const data = await readFileBytes(file, 1024 * 1024);
        const { lab, cluster } = await openCluster(o);
        let r;
        if (o.store) {
          const store = parseStoreName(o.store);
          if (!store) throw new EmulatorError('USAGE', `unknown trust store "${o.store}"`);
          r = await cluster.uploadTrust({ store, node: o.node, data, ...(o.description ? { description: o.description } : {}) });
        } else {
          r = await cluster.uploadIdentity({ purpose: parsePurpose(o.purpose!), node: o.node, data });
        }
        // "Every time there's a certificate uploaded … system checks for its status" (14SU3+).
        const rs = revocationOf(cluster.state);
        const uploaded = new Set(certsIn(data));
        const checks = rs.ocspEnabled || rs.crlEnabled ? await checkAndRecord(cluster, new Date(lab.clock.now()), 'upload', (t) => t.node === o.node && uploaded.has(t.certificate.serialHex)) : [];
        printResult(io, r, o.json, checks.length ? { revocation: checks } : {});
        if (!o.json) for (const c of checks) io.out(`${c.status === 'good' ? '✓' : '!'} revocation check of ${c.subject}: ${c.status}${c.by ? ` (${c.by})` : ''}${c.code ? ` ${c.code}` : ''}${c.message ? `: ${c.message}` : ''}\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json), file);
      }
    }));

  withLabOptions(cert.command('delete').description('delete a trust certificate (identity certificates cannot be deleted)').argument('<name>', 'certificate name in the store (its CN, as `cert list` shows, without .pem)'))
    .requiredOption('--store <store>', 'trust store')
    .requiredOption('--node <host>', 'node')
    .action(act(ctx, async (name: string, o: LabFlags & { store: string; node: string }) => {
      try {
        const { cluster } = await openCluster(o);
        const store = parseStoreName(o.store) ?? PURPOSES.find((p) => p.toLowerCase() === o.store.toLowerCase()) ?? o.store;
        printResult(io, await cluster.deleteTrust({ store, node: o.node, name: name.replace(/\.pem$/, '') }), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(cert.command('reuse').description('reuse the tomcat multi-server SAN certificate for CallManager (tomcat-ECDSA for CallManager-ECDSA)').argument('<tomcat-type>', 'tomcat or tomcat-ECDSA'))
    .action(act(ctx, async (which: string, o: LabFlags) => {
      try {
        const w = which.toLowerCase() === 'tomcat' ? 'tomcat' : which.toLowerCase() === 'tomcat-ecdsa' ? 'tomcat-ECDSA' : undefined;
        if (!w) throw new EmulatorError('USAGE', `reuse takes tomcat or tomcat-ECDSA, not "${which}"`);
        const { cluster } = await openCluster(o);
        printResult(io, await cluster.reuse(w), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(cert.command('download').description('write an identity certificate (PEM) to a file, e.g. to send a CSR or bulk-import by hand').argument('<purpose>', PURPOSES.join(', ')), false)
    .requiredOption('--node <host>', 'node')
    .requiredOption('-o, --output <file>', 'output file')
    .option('--with-key', 'also write the private key (for `utils itl reset remotekey` recovery files)')
    .action(act(ctx, async (purpose: string, o: LabFlags & { node: string; output: string; withKey?: boolean }) => {
      try {
        const { cluster } = await openCluster(o);
        const p = parsePurpose(purpose);
        const id = cluster.state.identities.find((i) => i.purpose === p && i.nodes.includes(o.node));
        if (!id) throw new EmulatorError('CERT_NOT_FOUND', `${o.node} has no ${p} certificate`);
        await writeFileAtomic(o.output, o.withKey ? id.certPem + id.keyPem : id.certPem, o.withKey ? 0o600 : 0o644);
        io.out(`wrote ${o.output}\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, false);
      }
    }));
}
