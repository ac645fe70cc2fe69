import type { Duplex } from 'node:stream';
import type { Clock } from '../shared/clock.js';
import { isEmulatorError } from '../shared/errors.js';
import type { SipEvent } from './events.js';
import { SipFramer } from './framer.js';
import type { SipLimits } from './parser.js';
import { SipParseError } from './parse-error.js';
import type { RegistrarPolicy } from './policy.js';
import { handleSipRequest, type ConnectionFacts } from './register.js';
import type { RegistrationTable } from './registrations.js';
import { buildResponse } from './response.js';

/**
 * The SIP side of one connection, TCP or TLS alike: frame the stream, answer each REGISTER, and
 * on a framing error answer if the head was readable (400, or 513 for an oversize message) and
 * close, since the stream cannot be resynchronised (RFC 3261 §18.3).
 */
export interface SipStreamContext {
  conn: ConnectionFacts;
  policy: RegistrarPolicy;
  table: RegistrationTable;
  clock: Clock;
  limits: SipLimits;
  emit(event: SipEvent): void;
  /** Called for every complete request (restarts the idle deadline; partial bytes do not). */
  onRequest(): void;
}

export function serveSipStream(stream: Duplex, ctx: SipStreamContext): void {
  const framer = new SipFramer(ctx.limits);
  let broken = false;
  stream.on('data', (chunk: Buffer) => {
    if (broken) return;
    let messages;
    try {
      messages = framer.push(chunk);
    } catch (err) {
      broken = true;
      onFramingError(stream, ctx, err);
      return;
    }
    for (const m of messages) {
      if (m.kind !== 'request') continue;
      ctx.onRequest();
      let result: ReturnType<typeof handleSipRequest>;
      try {
        result = handleSipRequest(m, ctx.conn, ctx.policy, ctx.table, ctx.clock);
      } catch (err) {
        // The model threw (a bug upstream): answer 500 rather than drop the phone silently.
        result = {
          response: buildResponse(m, 500),
          event: { type: 'sip.refused' as const, stage: 'sip' as const, reason: 'malformed request' as const, remote: ctx.conn.remote, transport: ctx.conn.transport, status: 500, detail: (err as Error).message },
        };
      }
      ctx.emit(result.event);
      if (result.close) {
        broken = true;
        stream.destroy();
        return;
      }
      if (!stream.destroyed) stream.write(result.response);
    }
  });
}

function onFramingError(stream: Duplex, ctx: SipStreamContext, err: unknown): void {
  const e = err instanceof SipParseError ? err : undefined;
  const status = e?.status ?? 400;
  ctx.emit({
    type: 'sip.refused', stage: 'sip', reason: status === 513 ? 'message too large' : 'malformed request', remote: ctx.conn.remote,
    transport: ctx.conn.transport, ...(e?.request ? { status } : {}), detail: isEmulatorError(err) ? `${err.code}: ${err.message}` : String(err),
  });
  if (e?.request && !stream.destroyed) stream.end(buildResponse(e.request, status));
  else stream.end();
}
