import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { EmulatorError } from '../shared/errors.js';
import { writeFileAtomic } from '../shared/fs.js';
import { parseCertificate, signCertificate, toPem, type CertificateAuthority, type CertificateInfo } from '../pki/index.js';
import {
  buildCrl, emptyCaState, LAB_CA_HTTP_PORT, OID, recordIssued, revoke, type CaRevocationState, type CrlReasonName, type IssuedEntry,
  type OcspSigner, type RevocationCa, type RevocationSource,
} from '../revocation/index.js';
import { withLabLock } from './lab-lock.js';
import type { Lab } from './lab.js';

/**
 * The lab's enterprise CA as a publisher of revocation (issue 16 §3): what it issued and revoked
 * (`lab/pki/revocation.json`), where it publishes (the base URL its certificates' AIA and CRL
 * Distribution Point carry), and who signs its OCSP responses — the CA itself, or a delegated
 * responder certificate it issued with id-kp-OCSPSigning (RFC 6960 §4.2.2.2). Every change is a
 * read-modify-write under the lab lock (decision 023), so concurrent `ca sign` and `ca revoke`
 * lose nothing.
 */
export type ResponderMode = 'ca' | 'delegated';

export interface LabCaJson {
  format: 'trustlab-revocation';
  formatVersion: 1;
  /** Base URL: `<url>/ocsp` and `<url>/crl/<CA>.crl`. */
  url: string;
  responder: ResponderMode;
  /** The delegated responder (certificate and key PEM), issued on first use. */
  delegated?: { certPem: string; keyPem: string };
  cas: Record<string, CaRevocationState>;
}

export const DEFAULT_LAB_CA_URL = `http://127.0.0.1:${LAB_CA_HTTP_PORT}`;
const FILE = join('pki', 'revocation.json');

const fresh = (): LabCaJson => ({ format: 'trustlab-revocation', formatVersion: 1, url: DEFAULT_LAB_CA_URL, responder: 'ca', cas: {} });

export async function readLabCa(dir: string): Promise<LabCaJson> {
  const path = join(dir, FILE);
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch {
    return fresh();
  }
  let j: LabCaJson;
  try {
    j = JSON.parse(raw) as LabCaJson;
  } catch (cause) {
    throw new EmulatorError('LAB_CORRUPT', `${path} is not JSON; restore it or delete it (the CA then forgets what it revoked)`, { cause });
  }
  if (j.format !== 'trustlab-revocation' || typeof j.cas !== 'object' || typeof j.url !== 'string') throw new EmulatorError('LAB_CORRUPT', `${path} is not a trustlab revocation file`);
  return j;
}

/** Applies `fn` to the committed state under the lab lock and writes the result atomically. */
export async function updateLabCa<T>(dir: string, command: string, fn: (j: LabCaJson) => Promise<T> | T): Promise<T> {
  return withLabLock(dir, async () => {
    const j = await readLabCa(dir);
    const out = await fn(j);
    await writeFileAtomic(join(dir, FILE), JSON.stringify(j, null, 2) + '\n');
    return out;
  }, { command });
}

export function ocspUrlOf(j: LabCaJson): string {
  return `${j.url.replace(/\/+$/, '')}/ocsp`;
}

export function crlUrlOf(j: LabCaJson, ca: CertificateAuthority): string {
  return `${j.url.replace(/\/+$/, '')}/crl/${ca.name}.crl`;
}

export function stateOf(j: LabCaJson, ca: CertificateAuthority): CaRevocationState {
  return j.cas[ca.name] ?? emptyCaState();
}

export function noteIssued(j: LabCaJson, ca: CertificateAuthority, cert: CertificateInfo, at: Date): void {
  const e: IssuedEntry = { serial: cert.serialHex, subject: cert.subjectCucm, notAfter: cert.notAfter.toISOString(), issuedAt: at.toISOString() };
  j.cas[ca.name] = recordIssued(stateOf(j, ca), e);
}

export function noteRevoked(j: LabCaJson, ca: CertificateAuthority, serialHex: string, at: Date, reason: CrlReasonName): void {
  // A revocation changes the CA's CRL, so the next one carries the next number (RFC 5280 §5.2.3).
  const next = revoke(stateOf(j, ca), serialHex, at, reason);
  j.cas[ca.name] = { ...next, crlNumber: next.crlNumber + 1 };
}

/** The lab's enterprise CA (every lab has one; `Lab` creates it with the manufacturing CAs). */
export function enterpriseOf(lab: Lab): { root: CertificateAuthority; issuing: CertificateAuthority } {
  const e = lab.cas.enterprise;
  if (!e) throw new EmulatorError('LAB_CORRUPT', `${lab.dir}/pki/cas.json has no enterprise CA`);
  return e;
}

/** The enterprise CA (issuing first, then root) that issued `cert`, if either did. */
export function issuerOf(lab: Lab, cert: CertificateInfo, isIssued: (c: CertificateInfo, by: CertificateInfo) => boolean): CertificateAuthority | undefined {
  const e = enterpriseOf(lab);
  return [e.issuing, e.root].find((ca) => isIssued(cert, ca.certificate));
}

/** Issues the delegated OCSP responder certificate under the issuing CA (EKU OCSPSigning, no-check). */
export async function issueDelegatedResponder(lab: Lab, j: LabCaJson): Promise<void> {
  const ca = enterpriseOf(lab).issuing;
  const keys = await lab.pool.take({ type: 'rsa', bits: 2048 }, 'identity');
  const now = new Date(lab.clock.now());
  const cert = await signCertificate({
    subject: [['C', 'US'], ['O', 'trustlab Enterprise'], ['OU', 'trustlab emulation'], ['CN', 'trustlab Enterprise OCSP Responder']],
    publicKey: keys.publicKey,
    signer: { privateKey: ca.keys.privateKey, certificate: ca.certificate },
    notBefore: new Date(now.getTime() - 24 * 3600_000),
    notAfter: new Date(now.getTime() + 2 * 365 * 24 * 3600_000),
    hash: 'SHA-256',
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: [OID.ocspSigning],
    ocspNoCheck: true,
    serial: lab.random.bytes(16).map((b, i) => (i === 0 ? (b & 0x7f) | 0x10 : b)),
  });
  j.delegated = { certPem: toPem(cert.der), keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
  noteIssued(j, ca, cert, now);
}

function delegatedSigner(j: LabCaJson): OcspSigner | undefined {
  if (!j.delegated) return undefined;
  const privateKey = createPrivateKey(j.delegated.keyPem);
  return { certificate: parseCertificate(j.delegated.certPem), privateKey, include: true };
}

function caSigner(ca: CertificateAuthority): OcspSigner {
  return { certificate: ca.certificate, privateKey: ca.keys.privateKey, include: false };
}

/**
 * What the lab CA's HTTP endpoints answer from: re-read from disk at most every `recheckMs`, so
 * that `ca revoke` in another terminal reaches a running `serve`. The delegated responder signs
 * only for the issuing CA that issued it; the root always signs for itself.
 */
export function labRevocationSource(lab: Lab, recheckMs = 200): RevocationSource {
  let cached: { at: number; cas: RevocationCa[] } | undefined;
  const crls = new Map<string, { key: string; at: number; der: Promise<Uint8Array> }>();
  return {
    async cas() {
      if (cached && performance.now() - cached.at < recheckMs) return cached.cas;
      const j = await readLabCa(lab.dir);
      const e = enterpriseOf(lab);
      const delegated = j.responder === 'delegated' ? delegatedSigner(j) : undefined;
      const cas = [e.issuing, e.root].map((ca): RevocationCa => {
        const state = stateOf(j, ca);
        return {
          name: ca.name,
          certificate: ca.certificate,
          state,
          signer: ca === e.issuing && delegated ? delegated : caSigner(ca),
          crl: () => {
            // One CRL per state of the CA, reissued when half its 24 h validity has passed, so
            // that repeated downloads agree and thisUpdate never precedes a listed revocation.
            const now = lab.clock.now();
            const key = `${state.crlNumber}:${state.revoked.length}`;
            const hit = crls.get(ca.name);
            if (hit && hit.key === key && now - hit.at < 12 * 3600_000) return hit.der;
            const thisUpdate = new Date(Math.floor(now / 1000) * 1000);
            const der = buildCrl({ ca: { certificate: ca.certificate, privateKey: ca.keys.privateKey }, state, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 24 * 3600_000) });
            crls.set(ca.name, { key, at: now, der });
            return der;
          },
        };
      });
      cached = { at: performance.now(), cas };
      return cas;
    },
  };
}
