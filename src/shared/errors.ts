/**
 * The one error root of trustlab. Every error that crosses a module boundary is an
 * {@link EmulatorError} with a stable string `code`; callers and tests match on `code`,
 * never on message text. `docs/errors.md` lists every code with its meaning.
 *
 * Convention (conventions.md §6–7): malformed input and misuse throw; expected outcomes
 * (a signature that does not verify, a signer nobody trusts) are returned as results.
 */

/** Codes raised while decoding bytes. Each carries the byte offset where decoding stopped. */
export type DecodeErrorCode =
  | 'TRUNCATED'
  | 'TLV_BAD_LENGTH'
  | 'TLV_DUPLICATE_TAG'
  | 'TLV_UNEXPECTED_TAG'
  | 'TLV_BAD_STRING'
  | 'TVS_BAD_PROTOCOL'
  | 'TVS_BAD_VERSION'
  | 'TVS_FRAME_TOO_LARGE'
  | 'TVS_MALFORMED'
  | 'TVS_MISSING_ELEMENT'
  | 'TVS_UNEXPECTED_COMMAND'
  | 'CAPF_BAD_PROTOCOL'
  | 'CAPF_FRAME_TOO_LARGE'
  | 'CAPF_ELEMENT_OVERRUN'
  | 'CAPF_BAD_ELEMENT'
  | 'SIP_BAD_START_LINE'
  | 'SIP_BAD_HEADER'
  | 'SIP_TOO_MANY_HEADERS'
  | 'SIP_HEADER_TOO_LARGE'
  | 'SIP_MESSAGE_TOO_LARGE'
  | 'SIP_BAD_CONTENT_LENGTH'
  | 'SIP_MISSING_HEADER'
  | 'TLS_RECORD_MALFORMED'
  | 'TRUSTLIST_TOO_LARGE'
  | 'TRUSTLIST_TOO_MANY_RECORDS'
  | 'TRUSTLIST_HEADER_LENGTH'
  | 'TRUSTLIST_HEADER_OVERRUN'
  | 'TRUSTLIST_MISSING_TAG'
  | 'TRUSTLIST_RECORD_LENGTH'
  | 'XML_MALFORMED'
  | 'XML_TOO_LARGE'
  | 'TFTP_MALFORMED'
  | 'TFTP_UNKNOWN_OPCODE'
  | 'TFTP_REQUEST_TOO_LONG'
  | 'OCSP_MALFORMED'
  | 'OCSP_TOO_LARGE'
  | 'CRL_MALFORMED'
  | 'CRL_TOO_LARGE';

/** Codes raised by builders, PKI helpers, file access and argument checks. */
export type OperationErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INTERNAL'
  | 'TIME_OUT_OF_RANGE'
  | 'TLV_VALUE_TOO_LONG'
  | 'TVS_TLS_FAILED'
  | 'TVS_AUTHORITY_FAILED'
  | 'TVS_NO_ANSWER'
  | 'TRUSTLIST_UNSUPPORTED_SIGNER_KEY'
  | 'TRUSTLIST_UNSUPPORTED_KEY_SIZE'
  | 'TRUSTLIST_UNSUPPORTED_DIGEST'
  | 'TRUSTLIST_KEY_MISMATCH'
  | 'PKI_BAD_CERTIFICATE'
  | 'PKI_BAD_KEY'
  | 'PKI_BAD_CSR'
  | 'IO_NOT_FOUND'
  | 'IO_TOO_LARGE'
  | 'USAGE'
  | 'IO_ERROR'
  | 'INVALID_STATE'
  | 'LAB_NOT_FOUND'
  | 'LAB_EXISTS'
  | 'LAB_FORMAT_TOO_NEW'
  | 'LAB_CORRUPT'
  | 'LAB_BUSY'
  | 'LAB_CONFLICT'
  | 'LAB_POOLED_KEYS'
  | 'CLUSTER_NOT_FOUND'
  | 'CLUSTER_EXISTS'
  | 'NODE_NOT_FOUND'
  | 'DEVICE_NOT_FOUND'
  | 'CERT_UNSUPPORTED_FORMAT'
  | 'CERT_KEY_TOO_LARGE'
  | 'CERT_WILDCARD'
  | 'CERT_EXPIRED'
  | 'CERT_PARAMS_INVALID'
  | 'CERT_NOT_FOUND'
  | 'TRUST_OLDER_DUPLICATE'
  | 'TRUST_PUBLISHER_ONLY'
  | 'IDENTITY_NOT_DELETABLE'
  | 'CSR_NOT_FOUND'
  | 'CSR_KEY_MISMATCH'
  | 'CHAIN_NOT_TRUSTED'
  | 'REUSE_REQUIRES_MULTI_SERVER'
  | 'MULTI_SERVER_NOT_SUPPORTED'
  | 'PUBLISHER_ONLY'
  | 'PARAM_NOT_IN_RELEASE'
  | 'CTL_NOT_MIXED'
  | 'BULK_NOTHING_TO_IMPORT'
  | 'BULK_MALFORMED'
  | 'BULK_UNIT_NOT_FOUND'
  | 'BULK_OLD_FORMAT'
  | 'BULK_TAMPERED'
  | 'PKCS12_MALFORMED'
  | 'PKCS12_BAD_PASSWORD'
  | 'LISTEN_FAILED'
  | 'FILE_ACCESS_DENIED'
  | 'TFTP_NOT_FOUND'
  | 'TFTP_ACCESS_VIOLATION'
  | 'TFTP_OPTION_REFUSED'
  | 'TFTP_REMOTE_ERROR'
  | 'TFTP_PROTOCOL_VIOLATION'
  | 'TFTP_TIMEOUT'
  | 'SCENARIO_INVALID'
  | 'SCENARIO_STEP_FAILED'
  | 'STEP_NOT_SETTLED'
  | 'INVALID_TRANSITION'
  | 'RUN_NOT_FOUND'
  | 'FINDING_INVALID'
  | 'CA_NOT_ISSUER'
  | 'CA_ALREADY_REVOKED'
  | 'SHARD_LOST'
  | 'SHARD_FAILED'
  | 'REDIS_UNAVAILABLE'
  | 'ADMIN_NOT_EMULATED'
  | 'SERVER_NOT_RUNNING';

export type ErrorCode = DecodeErrorCode | OperationErrorCode;

export interface EmulatorErrorOptions {
  cause?: unknown;
  /** Structured details for logs and `--json` output (never needed to match an error). */
  details?: Record<string, unknown>;
}

/** Root of every trustlab error. */
export class EmulatorError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: EmulatorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  override get name(): string {
    return 'EmulatorError';
  }

  /** A plain object for `--json` output and event payloads. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/**
 * Malformed bytes. `offset` is the absolute byte position in the input at which the
 * decoder found the problem (for a length that overruns, the position of the length's
 * element), so that a developer can look at `xxd -s OFFSET`.
 */
export class DecodeError extends EmulatorError {
  declare readonly code: DecodeErrorCode;
  readonly offset: number;

  constructor(code: DecodeErrorCode, offset: number, message: string, options: EmulatorErrorOptions = {}) {
    super(code, `${message} (at byte ${offset})`, { ...options, details: { offset, ...options.details } });
    this.offset = offset;
  }

  override get name(): string {
    return 'DecodeError';
  }
}

/**
 * An event the phone's machine has no edge for in its current phase (architecture.md: "an
 * event with no edge is an `INVALID_TRANSITION` finding, never ignored"), or an edge that ended
 * in a phase its table does not declare. Returned by the reducer as a finding, never thrown by
 * it; the runner fails the step and the phone fuzz target counts it.
 */
export class InvalidTransitionError extends EmulatorError {
  declare readonly code: 'INVALID_TRANSITION';
  constructor(readonly device: string, readonly region: string, readonly phase: string, readonly event: string, detail: string) {
    super('INVALID_TRANSITION', `${device}: ${event} in ${region} ${phase}: ${detail}`, { details: { device, region, phase, event } });
  }

  override get name(): string {
    return 'InvalidTransitionError';
  }
}

/** True when `err` is a trustlab error, optionally with one of the given codes. */
export function isEmulatorError(err: unknown, ...codes: ErrorCode[]): err is EmulatorError {
  return err instanceof EmulatorError && (codes.length === 0 || codes.includes(err.code));
}
