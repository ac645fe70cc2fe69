import { createHash, X509Certificate } from 'node:crypto';
import {
  anchorOfCertificate, anchorOfRecord, decodeSignedFile, decodeTrustList, parseSignedFile, PHONE_ITL_SIZE_LIMIT, Role, verifySignedFile, verifyTrustList,
  type TrustAnchor, type TrustList,
} from '../../src/trustlist/index.js';
import { DecodeError } from '../../src/shared/errors.js';
import { parseCertificate } from '../../src/pki/index.js';
import { decodeDeviceConfig, type DeviceConfig } from '../../src/config/index.js';
import type { Flash, TrustListKind } from './types.js';

/**
 * The phone's trust decisions, as pure functions of its flash and the bytes it downloaded
 * (phone-behaviour.md §4 ITL-1..ITL-8, §5 CFG-1..CFG-4, CTL-3, CTL-5, SC-22). No I/O: when TVS
 * must be asked, the decision says so and the reducer turns it into an effect.
 */

export type TrustDecision =
  | { kind: 'unchanged' }
  | { kind: 'accept'; how: 'tofu' | 'known' | 'tvs' | 'tvs-cache' }
  | { kind: 'reject'; reason: string }
  | { kind: 'ask-tvs'; signer: Uint8Array };

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
/**
 * A fleet's phones hold the same few trust lists. Flash images keep them as base64 strings, which
 * {@link internFile} makes one shared string per distinct file, and decoding is memoised on that
 * string, so 10,000 phones cost one decode and one copy (bench/fleet.ts measures the memory).
 * The caches are bounded; a miss only costs a decode. Decoded lists are never mutated.
 */
const CACHE_LIMIT = 64;
const decoded = new Map<string, TrustList>();
const interned = new Map<string, string>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

/** A text (a config file) as one shared string per distinct content. */
export function internText(s: string): string {
  return interned.get(s) ?? remember(interned, s, s);
}

/** The base64 of a downloaded file, as one shared string per distinct content. */
export function internFile(bytes: Uint8Array): string {
  const s = Buffer.from(bytes).toString('base64');
  return interned.get(s) ?? remember(interned, s, s);
}

const decodeOrUndefined = (s: string | undefined): TrustList | undefined => (s ? (decoded.get(s) ?? remember(decoded, s, decodeTrustList(b64(s)))) : undefined);

export function installedCtl(flash: Flash): TrustList | undefined {
  return decodeOrUndefined(flash.ctl);
}

export function installedItl(flash: Flash): TrustList | undefined {
  return decodeOrUndefined(flash.itl);
}

function anchors(list: TrustList | undefined, roles: readonly number[]): TrustAnchor[] {
  const out: TrustAnchor[] = [];
  for (const r of list?.records ?? []) {
    if (!roles.includes(r.role)) continue;
    const a = anchorOfRecord(r);
    if (a) out.push(a);
  }
  return out;
}

/**
 * An ITL from a cluster prepared for rollback to pre-8.0: no TFTP and no TVS certificates
 * (ITL-8). A phone holding one is back to trust on first use.
 */
export function isEmptyItl(itl: TrustList | undefined): boolean {
  if (!itl) return true;
  return !itl.records.some((r) => r.certificate && (r.role === Role.TFTP || r.role === Role.CCM_TFTP || r.role === Role.TVS));
}

/** True when the phone holds no trust list that constrains it (ITL-1, ITL-8). */
export function trustsOnFirstUse(flash: Flash): boolean {
  return !flash.ctl && isEmptyItl(installedItl(flash));
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** TVS-5: a cached TVS answer with one of the roles, still valid at `now`. */
export function tvsCacheHit(flash: Flash, cert: Uint8Array, roles: readonly number[], now: number): boolean {
  const fp = sha256(cert);
  return flash.tvsCache.some((e) => e.sha256 === fp && e.expiresAt > now && e.roles.some((r) => roles.includes(r)));
}

/**
 * Whether to install a downloaded CTL or ITL (ITL-1..ITL-5, CTL-3, CTL-5, SC-22):
 *
 * - the same bytes as installed: unchanged (ITL-9 "Match");
 * - malformed, or an ITL over 64 KB (FMT-6): rejected;
 * - no CTL and no (or an empty) ITL: trust on first use, if the file is self-consistent;
 * - otherwise the signer must be known: for an ITL the CTL's SAST and CCM+TFTP records when a CTL
 *   is installed (it takes precedence), else the ITL's SAST records; for a CTL the installed CTL's
 *   SAST records, else the ITL's. A known signer with a bad signature, an unknown digest or a
 *   header that names another signer is rejected outright — never TVS, never first use;
 * - an unknown signer goes to TVS (cache first), which must return SAST.
 */
export function decideTrustList(kind: TrustListKind, bytes: Uint8Array, flash: Flash, sbd: boolean, now: number): TrustDecision {
  const current = kind === 'CTL' ? flash.ctl : flash.itl;
  if (current && Buffer.from(current, 'base64').equals(Buffer.from(bytes))) return { kind: 'unchanged' };
  let list: TrustList;
  try {
    list = decodeTrustList(bytes);
  } catch (e) {
    if (e instanceof DecodeError) return { kind: 'reject', reason: `malformed ${kind} (${e.code} at byte ${e.offset})` };
    throw e;
  }
  if (kind === 'ITL' && bytes.length > PHONE_ITL_SIZE_LIMIT) return { kind: 'reject', reason: `ITL of ${bytes.length} bytes exceeds 64 KB` };
  const ctl = installedCtl(flash);
  const itl = installedItl(flash);
  const tofu = !ctl && isEmptyItl(itl);
  if (tofu) {
    const self = verifyTrustList(bytes);
    return self.valid ? { kind: 'accept', how: 'tofu' } : { kind: 'reject', reason: `first ${kind} does not verify (${self.reason})` };
  }
  const trusted = kind === 'ITL'
    ? ctl ? anchors(ctl, [Role.SAST, Role.CCM_TFTP]) : anchors(itl, [Role.SAST])
    : ctl ? anchors(ctl, [Role.SAST]) : anchors(itl, [Role.SAST]);
  const v = verifyTrustList(bytes, { trusted });
  if (v.valid) return { kind: 'accept', how: 'known' };
  if (v.reason !== 'SIGNER_NOT_TRUSTED') return { kind: 'reject', reason: `${kind} signature check failed: ${v.reason}` };
  const self = verifyTrustList(bytes);
  if (!self.valid) return { kind: 'reject', reason: `${kind} does not verify under its own signer (${self.reason})` };
  // TVS is asked about the certificate whose key verified the signature — not merely a record
  // with the serial the header names, which a forger can copy next to their own (found by
  // `trustlab fuzz itl --target phone`, mutator duplicate-sast-other-key).
  const signer = self.signer?.source === 'record' ? list.records[self.signer.index]?.certificate : undefined;
  if (!signer) return { kind: 'reject', reason: `${kind} signer ${list.header.signerName} is not in the file` };
  if (!sbd) return { kind: 'reject', reason: `${kind} signer ${list.header.signerName} is unknown and this model has no TVS (TVS-7)` };
  if (tvsCacheHit(flash, signer, [Role.SAST], now)) return { kind: 'accept', how: 'tvs-cache' };
  return { kind: 'ask-tvs', signer };
}

/** The SAST record the header names (the certificate TVS is asked about). */
export function signerRecord(list: TrustList): Uint8Array | undefined {
  const serial = Buffer.from(list.header.signerSerial).toString('hex');
  return list.records.find((r) => r.role === Role.SAST && r.certificate && r.serial && Buffer.from(r.serial).toString('hex') === serial)?.certificate;
}

function vouchedAnchor(der: Uint8Array): TrustAnchor[] {
  try {
    return [anchorOfCertificate(parseCertificate(der))];
  } catch {
    return [];
  }
}

/** The roles a config signer needs (CFG-2). */
export const CONFIG_SIGNER_ROLES = [Role.TFTP, Role.CCM_TFTP];

export type ConfigDecision =
  | { kind: 'accept'; config: DeviceConfig; xml: string }
  | { kind: 'reject'; reason: string; signerUnknown: boolean }
  | { kind: 'ask-tvs'; subject: string };

/**
 * Whether to apply a downloaded config (CFG-2..CFG-4, ITL-8): a signed config must be signed by a
 * TFTP or CCM+TFTP record of the CTL or ITL, or by a certificate TVS vouches for with one of those
 * roles; an unsigned one is taken only by a phone without trust lists or with an empty ITL.
 */
export function decideConfig(bytes: Uint8Array, signed: boolean, flash: Flash, vouched?: Uint8Array[]): ConfigDecision {
  let payload = bytes;
  if (signed) {
    try {
      payload = decodeSignedFile(bytes).payload;
    } catch (e) {
      if (e instanceof DecodeError) return { kind: 'reject', reason: `malformed signed config (${e.code} at byte ${e.offset})`, signerUnknown: false };
      throw e;
    }
    if (!trustsOnFirstUse(flash)) {
      const trusted = [...anchors(installedCtl(flash), [Role.CCM_TFTP, Role.TFTP]), ...anchors(installedItl(flash), CONFIG_SIGNER_ROLES)];
      // A vouched certificate counts as the signer only under the identity it carries (decision 026).
      const extra = (vouched ?? []).flatMap((der) => vouchedAnchor(der));
      const v = verifySignedFile(bytes, [...trusted, ...extra]);
      if (!v.valid) {
        if (v.reason === 'SIGNER_NOT_TRUSTED' && !vouched) return { kind: 'ask-tvs', subject: parseSignedFile(bytes).file.header.signerName };
        return { kind: 'reject', reason: `config signature check failed: ${v.reason}`, signerUnknown: v.reason === 'SIGNER_NOT_TRUSTED' };
      }
    }
  } else if (!trustsOnFirstUse(flash)) {
    return { kind: 'reject', reason: 'unsigned config refused: the phone holds a trust list (BOOT-2)', signerUnknown: false };
  }
  const xml = Buffer.from(payload).toString('utf8');
  try {
    return { kind: 'accept', config: decodeDeviceConfig(xml), xml };
  } catch (e) {
    if (e instanceof DecodeError) return { kind: 'reject', reason: `config is not usable XML (${e.code}: ${e.message})`, signerUnknown: false };
    throw e;
  }
}

/** Certificates the phone accepts from CUCM in TLS: CTL CCM/CCM+TFTP records and ITL TFTP-role records (TLS-2, TLS-3). */
/** Whether a DER certificate carries an EC key (certificates the phone cannot parse count as not EC). */
const keyTypes = new WeakMap<Uint8Array, string | undefined>();

function certificateKeyType(der: Uint8Array): string | undefined {
  if (keyTypes.has(der)) return keyTypes.get(der);
  let t: string | undefined;
  try {
    t = new X509Certificate(der).publicKey.asymmetricKeyType;
  } catch {
    t = undefined;
  }
  keyTypes.set(der, t);
  return t;
}

export function callManagerAnchors(flash: Flash): Uint8Array[] {
  const ctl = installedCtl(flash);
  const itl = installedItl(flash)?.records ?? [];
  const isEc = (c: Uint8Array): boolean => certificateKeyType(c) === 'ec';
  // TLS-3: with a CTL (mixed mode) the CTL's CCM records decide; TLS-2: CallManager-ECDSA is
  // learnt from the ITL, so its EC records still count.
  if (ctl) {
    const out = ctl.records.filter((r) => r.certificate && (r.role === Role.CCM || r.role === Role.CCM_TFTP)).map((r) => r.certificate!);
    for (const r of itl) if (r.certificate && (r.role === Role.CCM || r.role === Role.CCM_TFTP || r.role === Role.TFTP) && isEc(r.certificate)) out.push(r.certificate);
    return out;
  }
  return itl.filter((r) => r.certificate && (r.role === Role.CCM || r.role === Role.CCM_TFTP || r.role === Role.TFTP)).map((r) => r.certificate!);
}

/** TVS-role records of the ITL: the only certificates a TVS server may present (TVS-3). */
export function tvsAnchors(flash: Flash): Uint8Array[] {
  return (installedItl(flash)?.records ?? []).filter((r) => r.role === Role.TVS && r.certificate).map((r) => r.certificate!);
}

/** CAPF-role records of the CTL and ITL (CAPF-3, SC-28). */
export function capfAnchors(flash: Flash): Uint8Array[] {
  return [...(installedCtl(flash)?.records ?? []), ...(installedItl(flash)?.records ?? [])].filter((r) => r.role === Role.CAPF && r.certificate).map((r) => r.certificate!);
}

export type ServerDecision = { kind: 'trusted'; by: 'trust-list' | 'tvs-cache' } | { kind: 'ask-tvs' } | { kind: 'reject'; reason: string };

/**
 * Whether to trust the certificate an HTTPS service (the corporate directory, EM, a MIDlet)
 * presents (TVS-1, TVS-5, TVS-6, SC-23): a certificate carried by the CTL or ITL is trusted as it
 * is; otherwise a TVS answer cached with the APP-SERVER role, still within its TTL; otherwise TVS
 * must be asked, which a model without Security by Default cannot do (TVS-7).
 */
export function decideServerCertificate(cert: Uint8Array, flash: Flash, sbd: boolean, now: number): ServerDecision {
  const der = Buffer.from(cert);
  const lists = [...(installedCtl(flash)?.records ?? []), ...(installedItl(flash)?.records ?? [])];
  if (lists.some((r) => r.certificate && der.equals(Buffer.from(r.certificate)))) return { kind: 'trusted', by: 'trust-list' };
  if (tvsCacheHit(flash, cert, [Role.APP_SERVER], now)) return { kind: 'trusted', by: 'tvs-cache' };
  if (!sbd) return { kind: 'reject', reason: 'the server certificate is not in the trust list and this model has no TVS (TVS-7)' };
  return { kind: 'ask-tvs' };
}

/**
 * The trust decisions the machine takes, as one injectable bundle: production by default; the
 * fuzzer's planted-bug tests pass their own, which the fuzzer must then catch through the machine.
 */
export interface TrustDecisions {
  decideTrustList: typeof decideTrustList;
  decideConfig: typeof decideConfig;
}

export const PRODUCTION_DECISIONS: TrustDecisions = { decideTrustList, decideConfig };
