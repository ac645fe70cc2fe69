import { verify } from 'node:crypto';
import { decodeTrustList, signedBytes, encodeTrustListWithOffsets, PHONE_ITL_SIZE_LIMIT, Role } from '../../src/trustlist/index.js';
import { stripLeadingZeros, parseCertificate } from '../../src/pki/index.js';
import { PRODUCTION_SUBJECT, type PhoneSubject } from '../../src/fuzz/index.js';
import { reduce, type Flash } from '../../phones/index.js';

/**
 * Deliberately broken phone verifiers — test fixtures, never product code — that the fuzzer's
 * oracles must catch (issue 8 "Must show"). Each delegates to the real decisions except for its
 * one bug.
 */
const hex = (b: Uint8Array): string => Buffer.from(stripLeadingZeros(b)).toString('hex');

function sastRecords(b64: string | undefined): Uint8Array[] {
  if (!b64) return [];
  return decodeTrustList(Buffer.from(b64, 'base64')).records.filter((r) => r.role === Role.SAST && r.certificate).map((r) => r.certificate!);
}

/** Bug 1: verifies with SHA-1 whatever digest id the header names. */
export const IGNORES_DIGEST_ID: PhoneSubject = {
  ...PRODUCTION_SUBJECT,
  decideTrustList(kind, bytes, flash: Flash, sbd, now) {
    let l;
    try {
      l = decodeTrustList(bytes);
    } catch {
      return PRODUCTION_SUBJECT.decideTrustList(kind, bytes, flash, sbd, now);
    }
    // Everything but the digest check is the real phone's (the 64 KB limit included).
    if ([1, 2, 3].includes(l.header.digest) || (kind === 'ITL' && bytes.length > PHONE_ITL_SIZE_LIMIT)) return PRODUCTION_SUBJECT.decideTrustList(kind, bytes, flash, sbd, now);
    const enc = encodeTrustListWithOffsets(l);
    const data = signedBytes(bytes, enc.signatureOffset, l.header.signature.length);
    const firstUse = !flash.itl && !flash.ctl;
    const candidates = firstUse ? l.records.filter((r) => r.role === Role.SAST && r.certificate).map((r) => r.certificate!) : [...sastRecords(flash.ctl), ...sastRecords(flash.itl)];
    for (const der of candidates) {
      const c = parseCertificate(der);
      if (hex(c.serial) === hex(l.header.signerSerial) && verify('sha1', data, c.publicKey, l.header.signature)) return { kind: 'accept', how: firstUse ? 'tofu' : 'known' };
    }
    return { kind: 'reject', reason: 'signature check failed' };
  },
};

/** Bug 2: trusts a file whose first SAST record is a trusted certificate, without checking the signature. */
export const TRUSTS_FIRST_SAST: PhoneSubject = {
  ...PRODUCTION_SUBJECT,
  decideTrustList(kind, bytes, flash: Flash, sbd, now) {
    try {
      const l = decodeTrustList(bytes);
      const first = l.records.find((r) => r.role === Role.SAST && r.certificate)?.certificate;
      const trusted = [...sastRecords(flash.ctl), ...sastRecords(flash.itl)].map((d) => Buffer.from(d).toString('hex'));
      if (first && trusted.includes(Buffer.from(first).toString('hex'))) {
        const current = kind === 'CTL' ? flash.ctl : flash.itl;
        if (current && Buffer.from(current, 'base64').equals(Buffer.from(bytes))) return { kind: 'unchanged' };
        return { kind: 'accept', how: 'known' };
      }
    } catch {
      // fall through to the real decision
    }
    return PRODUCTION_SUBJECT.decideTrustList(kind, bytes, flash, sbd, now);
  },
};

/**
 * Bug 3: a phone machine whose TVS table has lost its answer edge — the answer to a TVS question
 * about a trust list's signer arrives while the table looks it up in the wrong phase. The phone
 * target must report the INVALID_TRANSITION.
 */
export const TVS_EDGE_MISSING: PhoneSubject = {
  ...PRODUCTION_SUBJECT,
  reduce(state, event, model, decisions) {
    const broken = state.phase === 'tvs' && event.type === 'tvs.result' ? { ...state, phase: 'itl' as const } : state;
    return reduce(broken, event, model, decisions);
  },
};
