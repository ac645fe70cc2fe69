import type { AddressInfo } from 'node:net';
import type { TftpEvent } from '../../../tftp-sim/index.js';
import { EmulatorError } from '../../shared/errors.js';
import type { HttpFileEvent } from '../../ucm/index.js';

/** Shared by `serve tftp` and `serve --lab`: log lines, signal handling, port parsing. */

/** A one-line description of a TFTP event, or undefined for events not logged. */
export function describeTftp(e: TftpEvent, verbose: boolean): string | undefined {
  const who = (p: { address: string; port: number }): string => `${p.address}:${p.port}`;
  switch (e.type) {
    case 'tftp.listening':
      return `tftp listening on udp ${addr(e.address)}`;
    case 'tftp.request':
      return undefined;
    case 'tftp.complete':
      return `tftp ${who(e.client)} RRQ ${e.file} ${e.mode} ${e.bytes} B blksize=${e.blockSize} window=${e.windowSize} ${e.durationMs} ms${e.retransmits ? ` ${e.retransmits} retransmitted` : ''} ok`;
    case 'tftp.error':
      return `tftp ${who(e.client)} ${e.file ?? '-'} ERROR ${e.tftpCode} ${e.direction === 'sent' ? 'sent' : 'from client'} (${e.reason}): ${e.message}`;
    case 'tftp.timeout':
      return `tftp ${who(e.client)} RRQ ${e.file} timed out after ${e.retransmits} retransmissions, ${e.bytesAcknowledged} B acknowledged`;
    case 'tftp.rejected':
      return verbose ? `tftp ${who(e.client)} stray datagram answered with ERROR ${e.tftpCode} (${e.reason}): ${e.message}` : undefined;
  }
}

/** A one-line description of an HTTP file-service event. */
export function describeHttp(e: HttpFileEvent): string {
  if (e.type === 'http.listening') return `http listening on tcp ${addr(e.address)}`;
  return `http ${e.client.address}:${e.client.port} ${e.method} ${e.path} ${e.status} ${e.bytes} B ${e.durationMs} ms${e.reason ? ` (${e.reason})` : ''}`;
}

function addr(a: AddressInfo): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** The next SIGINT or SIGTERM; `cancel` removes the handlers (the default action comes back). */
export function nextSignal(): { signal: Promise<NodeJS.Signals>; cancel: () => void } {
  let cancel: () => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals): void => {
      cancel();
      resolve(s);
    };
    cancel = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
  return { signal, cancel };
}

export function int(v: string, flag: string, min: number, max: number): number {
  const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new EmulatorError('USAGE', `${flag} must be a whole number in ${min}–${max}, not "${v}"`);
  return n;
}
