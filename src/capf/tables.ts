import { codeNames, nameOf, screamingSnake, type CodeNames } from '../shared/code-table.js';

/**
 * Code tables of the CAPF protocol, both ways (number ↔ name).
 *
 * Source: formats.md §5 (from usecallmanagernz/daemons `capfd`/`capfc`, commit 6c67d5d5) and
 * phone-behaviour.md CAPF-4. Commands 5–8, 16, 18–23 are defined by both programs but never
 * exchanged by them; they are listed so that a decoder can name what it sees.
 */

/**
 * Commands (header byte 1).
 *
 * ```
 *  1 AUTH_REQ         2 AUTH_RESP         3 KEY_GEN_REQ       4 KEY_GEN_RESP
 *  5 ENCRYPT_RESP     6 ENCRYPT_REQ       7 DECRYPT_REQ       8 DECRYPT_RESP
 *  9 STORE_CERT_REQ  10 STORE_CERT_RESP  11 FETCH_CERT_REQ   12 FETCH_CERT_RESP
 * 13 DELETE_CERT_REQ 14 DELETE_CERT_RESP 15 END_SESSION      16 RETRY_LATER
 * 17 REQUEST_IN_PROGRESS 18 STATUS_REQ   19 STATUS_RESP      20 ABORT_REQ
 * 21 ABORT_RESP      22 SIGN_CERT_REQ    23 SIGN_CERT_RESP
 * ```
 */
export const CapfCommand = {
  AuthReq: 1,
  AuthResp: 2,
  KeyGenReq: 3,
  KeyGenResp: 4,
  EncryptResp: 5,
  EncryptReq: 6,
  DecryptReq: 7,
  DecryptResp: 8,
  StoreCertReq: 9,
  StoreCertResp: 10,
  FetchCertReq: 11,
  FetchCertResp: 12,
  DeleteCertReq: 13,
  DeleteCertResp: 14,
  EndSession: 15,
  RetryLater: 16,
  RequestInProgress: 17,
  StatusReq: 18,
  StatusResp: 19,
  AbortReq: 20,
  AbortResp: 21,
  SignCertReq: 22,
  SignCertResp: 23,
} as const;
export type CapfCommand = (typeof CapfCommand)[keyof typeof CapfCommand];

/** capfd's spellings of the commands, for logs and events. */
export const CAPF_COMMAND_NAMES: CodeNames = codeNames(CapfCommand, screamingSnake);

/** `COMMAND_17`-style name for a command number, known or not. */
export function capfCommandName(command: number): string {
  return nameOf(CAPF_COMMAND_NAMES, command, (c) => `COMMAND_${c}`);
}

/**
 * Element tags: `tag u8 | length u16be | value` (formats.md §5).
 *
 * | Tag | Element | Value |
 * | --- | --- | --- |
 * | 1 | REASON | u8, {@link CapfReason} |
 * | 2 | REASON_INFO | text |
 * | 3 | CERTIFICATE_TYPE | u8, {@link CapfCertificateType} |
 * | 4 | CERTIFICATE | `01 | u16 len+2 | 00 | certType | DER` |
 * | 5 | CERTIFICATE_ID | opaque |
 * | 6 | SIGNED_DATA | raw RSA block or ECDSA signature (SHA-1) |
 * | 7 | VERSION | u8 (3) |
 * | 8 | AUTH_TYPE | u8, {@link CapfAuthType} |
 * | 9 | PUBLIC_KEY | DER SubjectPublicKeyInfo |
 * | 10 | KEY_SIZE | u16 bits |
 * | 11 | PASSWORD | NUL-terminated |
 * | 12 | RETRY_DELAY | opaque |
 * | 13 | DEVICE_NAME | NUL-terminated `SEP<MAC>` |
 * | 16 | SUDI_DATA | `00|u16|DER`, `01|u16|sig`, `03|u16|sig` |
 * | 17 | KEY_TYPE | u8, {@link CapfKeyType} |
 * | 18 | CURVE | u8, {@link CapfCurve} |
 * | 19 | DIGEST_TYPE | opaque |
 * | 20 | SHA2_SIGNED_DATA | `u8 hashAlg | u16 len | sig` |
 */
export const CapfElement = {
  Reason: 1,
  ReasonInfo: 2,
  CertificateType: 3,
  Certificate: 4,
  CertificateId: 5,
  SignedData: 6,
  Version: 7,
  AuthType: 8,
  PublicKey: 9,
  KeySize: 10,
  Password: 11,
  RetryDelay: 12,
  DeviceName: 13,
  SudiData: 16,
  KeyType: 17,
  Curve: 18,
  DigestType: 19,
  Sha2SignedData: 20,
} as const;
export type CapfElement = (typeof CapfElement)[keyof typeof CapfElement];

/** capfd's spellings of the elements. */
export const CAPF_ELEMENT_NAMES: CodeNames = codeNames(CapfElement, screamingSnake);

/**
 * END_SESSION / response reasons (formats.md §5; CAPF-4). capfd ends a successful install or
 * delete with 1, a session with nothing to do (or after a fetch) with 0, any failure with 7.
 */
export const CapfReason = {
  NoAction: 0,
  UpdateCertificate: 1,
  InvalidElement: 7,
  UnknownDevice: 9,
} as const;
export type CapfReason = (typeof CapfReason)[keyof typeof CapfReason];

/** AUTH_TYPE values (formats.md §5); the same numbers as the phone's `capfAuthMode` (CAPF-2). */
export const CapfAuthType = {
  None: 0,
  Password: 1,
  NoPassword: 2,
  Lsc: 3,
  Mic: 4,
} as const;
export type CapfAuthType = (typeof CapfAuthType)[keyof typeof CapfAuthType];

/** CERTIFICATE_TYPE values, also the last byte of the CERTIFICATE element's inner wrapper. */
export const CapfCertificateType = { Lsc: 1, Mic: 2 } as const;
export type CapfCertificateType = (typeof CapfCertificateType)[keyof typeof CapfCertificateType];

/** KEY_TYPE values. */
export const CapfKeyType = { Rsa: 0, Ec: 1 } as const;
export type CapfKeyType = (typeof CapfKeyType)[keyof typeof CapfKeyType];

/** CURVE values and their names (capfd: secp256r1, secp384r1, secp521r1). */
export const CapfCurve = { P256: 0, P384: 1, P521: 2 } as const;
export type CapfCurve = (typeof CapfCurve)[keyof typeof CapfCurve];
export const CAPF_CURVE_NAMES: Readonly<Record<number, 'P-256' | 'P-384' | 'P-521'>> = { 0: 'P-256', 1: 'P-384', 2: 'P-521' };

/** Hash algorithm byte in SHA2_SIGNED_DATA and SUDI blocks (capfd: 1 SHA-1, 2 SHA-256, 3 SHA-512). */
export const CapfHash = { Sha1: 1, Sha256: 2, Sha512: 3 } as const;
export type CapfHash = (typeof CapfHash)[keyof typeof CapfHash];
