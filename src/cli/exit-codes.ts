import { EmulatorError, type ErrorCode } from '../shared/errors.js';

/**
 * Exit codes of every `trustlab` command (README "Exit codes"):
 * 0 success; 1 a negative outcome (signature invalid, signer not trusted, expectation failed);
 * 2 malformed or unusable input (the error code is printed); 64 usage error; 66 an input file
 * does not exist; 70 internal error (a bug: please report it); 74 standard output cannot be written
 * (bin/trustlab.js; a closed pipe is 0, as the reader asked for no more); 130 interrupted by Ctrl-C or SIGTERM
 * (the shell's 128 + SIGINT).
 */
export const EXIT = { OK: 0, NEGATIVE: 1, BAD_INPUT: 2, USAGE: 64, NO_INPUT: 66, INTERNAL: 70, IO_ERROR: 74, INTERRUPTED: 130 } as const;

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof EmulatorError)) return EXIT.INTERNAL;
  if (err.code === 'IO_NOT_FOUND') return EXIT.NO_INPUT;
  if (err.code === 'USAGE' || err.code === 'INVALID_ARGUMENT') return EXIT.USAGE;
  if (err.code === 'SERVER_NOT_RUNNING') return EXIT.NEGATIVE;
  return EXIT.BAD_INPUT;
}

/** What to do next, per error code (shown under the error message). */
const HINTS: Partial<Record<ErrorCode, string>> = {
  TRUNCATED: 'the file ends early; was a transfer cut short? Compare its size with the original.',
  TRUSTLIST_HEADER_LENGTH: 'this does not look like an ITL/CTL or .sgn file (tag 2, the header length, is wrong).',
  TRUSTLIST_HEADER_OVERRUN: 'a header element runs past the declared header length; `xxd` the bytes at the offset shown.',
  TRUSTLIST_RECORD_LENGTH: 'a record element runs past its record length; `xxd` the bytes at the offset shown.',
  TLV_UNEXPECTED_TAG: 'this does not look like an ITL/CTL file at that point; is it an .sgn file? Try `trustlab sgn verify`.',
  TRUSTLIST_TOO_LARGE: 'the file is larger than any trust list trustlab reads (1 MiB); is this the right file?',
  IO_TOO_LARGE: 'the file is larger than this command reads; is this the right file?',
  PKI_BAD_CERTIFICATE: 'pass an X.509 certificate in PEM or DER form.',
  PKI_BAD_KEY: 'pass the private key in PEM (PKCS#8, PKCS#1 or SEC1) or DER PKCS#8, unencrypted.',
  TRUSTLIST_KEY_MISMATCH: 'check that --signer-key belongs to --signer-cert: compare `openssl x509 -noout -pubkey -in CERT` with `openssl pkey -pubout -in KEY`.',
  TRUSTLIST_UNSUPPORTED_SIGNER_KEY: 'sign with an RSA certificate (CallManager or ITLRecovery); ECDSA certificates can only be records.',
  TRUSTLIST_UNSUPPORTED_KEY_SIZE: 'sign with an RSA key of 1024, 2048 or 4096 bits.',
  IO_NOT_FOUND: 'check the path.',
  REDIS_UNAVAILABLE: 'start Redis (`redis-server --port 6379`) or check the --redis URL.',
  SERVER_NOT_RUNNING: 'start the servers with the command above, then run this again.',
  SHARD_LOST: 'with --redis, start another `trustlab worker`; otherwise see the message for why the shard process ended.',
};

export function hintFor(err: unknown): string | undefined {
  return err instanceof EmulatorError ? HINTS[err.code] : undefined;
}
