import { EmulatorError, type EmulatorErrorOptions, type ErrorCode } from '../src/shared/errors.js';
import { TftpErrorCode } from './constants.js';

/**
 * A failed TFTP transfer, as the client reports it (conventions.md §6): `code` is the stable
 * trustlab code to match on, `tftpCode` the RFC 1350 error number the peer sent (or the one the
 * client sent when it refused the peer's packet), absent for a timeout.
 */
export class TftpError extends EmulatorError {
  readonly tftpCode: number | undefined;

  constructor(code: ErrorCode, message: string, tftpCode?: number, options: EmulatorErrorOptions = {}) {
    super(code, message, { ...options, details: { ...(tftpCode !== undefined ? { tftpCode } : {}), ...options.details } });
    this.tftpCode = tftpCode;
  }

  override get name(): string {
    return 'TftpError';
  }
}

/** The trustlab code for an ERROR packet received from the peer. */
export function codeForRemoteError(tftpCode: number): ErrorCode {
  switch (tftpCode) {
    case TftpErrorCode.FILE_NOT_FOUND:
      return 'TFTP_NOT_FOUND';
    case TftpErrorCode.ACCESS_VIOLATION:
      return 'TFTP_ACCESS_VIOLATION';
    case TftpErrorCode.OPTION_REFUSED:
      return 'TFTP_OPTION_REFUSED';
    default:
      return 'TFTP_REMOTE_ERROR';
  }
}

/** The standard message text of each RFC 1350 / RFC 2347 error code. */
export const ERROR_MESSAGES: Readonly<Record<number, string>> = {
  0: 'Not defined',
  1: 'File not found',
  2: 'Access violation',
  3: 'Disk full or allocation exceeded',
  4: 'Illegal TFTP operation',
  5: 'Unknown transfer ID',
  6: 'File already exists',
  7: 'No such user',
  8: 'Option negotiation refused',
};
