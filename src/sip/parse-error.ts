import { DecodeError, type DecodeErrorCode, type EmulatorErrorOptions } from '../shared/errors.js';
import type { SipRequest } from './message.js';

/**
 * A malformed SIP message (conventions.md §6 names `SipParseError`). `status` is the response a
 * registrar should send when it still can (400 Bad Request, 513 Message Too Large; RFC 3261
 * §21.4.1, §21.5.9); `request` is whatever head was parsed before the problem, so that the
 * response can copy Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2). After a framing error
 * the stream cannot be resynchronised and the connection is closed.
 */
export type SipParseErrorCode = Extract<DecodeErrorCode, `SIP_${string}`>;

export class SipParseError extends DecodeError {
  declare readonly code: SipParseErrorCode;
  readonly status: 400 | 513;
  readonly request: SipRequest | undefined;

  constructor(code: SipParseErrorCode, offset: number, message: string, options: EmulatorErrorOptions & { request?: SipRequest } = {}) {
    super(code, offset, message, options);
    this.status = code === 'SIP_MESSAGE_TOO_LARGE' || code === 'SIP_HEADER_TOO_LARGE' ? 513 : 400;
    this.request = options.request;
  }

  override get name(): string {
    return 'SipParseError';
  }
}
