import { codeNames, nameOf, screamingSnake, type CodeNames } from '../src/shared/code-table.js';

/**
 * Command, element and status codes of the TVS protocol, both ways (number ↔ name).
 *
 * Source: formats.md §4.2 (tvsd/tvsc constants, usecallmanagernz/daemons) and
 * phone-behaviour.md TVS-4 (Cisco log names `TVS_MSG_QUERY_CERT_REQ`/`_RES` for 3/4, and
 * element 3 carrying the subject DN in Cisco's query style).
 */

/**
 * Header byte 2. tvsd uses 1/2; Cisco's own TVS logs 3/4 (phone-behaviour.md TVS-4).
 *
 * ```
 * 0 NONE   1 VERIFY_REQUEST   2 VERIFY_RESPONSE   3 QUERY_REQUEST   4 QUERY_RESPONSE
 * ```
 */
export const TvsCommand = {
  None: 0,
  VerifyRequest: 1,
  VerifyResponse: 2,
  QueryRequest: 3,
  QueryResponse: 4,
} as const;
export type TvsCommand = (typeof TvsCommand)[keyof typeof TvsCommand];

/** Command names as tvsd spells its constants. */
export const TVS_COMMAND_NAMES: CodeNames = codeNames(TvsCommand, screamingSnake);

/**
 * Element tags: `tag u8 | length u16be | value`.
 *
 * ```
 * 1 DEVICE_NAME   0x01 + ASCII "CP-<model>-SEP<MAC>", no NUL          phone → TVS
 * 2 CERTIFICATE   DER X.509                                             phone → TVS (and query answers)
 * 3 SUBJECT       subject DN of the certificate asked about (Cisco)     phone → TVS
 * 7 STATUS        1 byte: 0 valid, 1 invalid/unknown                    TVS → phone
 * 8 ROLES         one role code per byte (formats.md §1.5)              TVS → phone
 * 9 TTL           u32be seconds the phone may cache the answer          TVS → phone
 * ```
 */
export const TvsElementTag = {
  DeviceName: 1,
  Certificate: 2,
  Subject: 3,
  Status: 7,
  Roles: 8,
  Ttl: 9,
} as const;
export type TvsElementTag = (typeof TvsElementTag)[keyof typeof TvsElementTag];

/** Element names as tvsd spells its constants (3 is ours: Cisco's log shows no name). */
export const TVS_ELEMENT_NAMES: CodeNames = codeNames(TvsElementTag, screamingSnake);

/** STATUS (element 7) values. tvsc treats anything but 0 as invalid; so does the client here. */
export const TvsStatus = {
  Valid: 0,
  Invalid: 1,
} as const;

/** The byte tvsc and phones put before the device name in DEVICE_NAME (meaning unknown). */
export const DEVICE_NAME_PREFIX = 0x01;

/** The command's name, or `COMMAND(n)`. */
export function tvsCommandName(code: number): string {
  return nameOf(TVS_COMMAND_NAMES, code, (c) => `COMMAND(${c})`);
}

/** The response command for a request command (1 → 2, 3 → 4). */
export function responseCommandFor(request: number): number {
  return request === TvsCommand.QueryRequest ? TvsCommand.QueryResponse : TvsCommand.VerifyResponse;
}
