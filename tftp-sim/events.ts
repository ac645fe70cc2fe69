import type { AddressInfo } from 'node:net';
import type { Peer } from './transport.js';
import type { TftpOption } from './packet.js';

/**
 * What the TFTP server tells its subscribers (conventions.md §12). Each request is announced
 * by one `tftp.request` (unless it is a retransmission of a running one) and ends in exactly one
 * `tftp.complete`, `tftp.error` or `tftp.timeout`, whether it was refused at once (not found,
 * access violation, server busy) or failed mid-transfer; so a subscriber that logs those three
 * types logs each transfer on one line. `tftp.rejected` covers stray datagrams.
 */
export type TftpEvent =
  | { type: 'tftp.listening'; address: AddressInfo }
  | {
      type: 'tftp.request';
      transferId: number;
      client: Peer;
      opcode: 'RRQ' | 'WRQ';
      file: string;
      mode: string;
      options: TftpOption[];
    }
  | {
      type: 'tftp.complete';
      transferId: number;
      client: Peer;
      file: string;
      mode: 'octet' | 'netascii';
      bytes: number;
      blocks: number;
      blockSize: number;
      windowSize: number;
      /** DATA or OACK datagrams sent again after a timeout. */
      retransmits: number;
      durationMs: number;
    }
  | {
      type: 'tftp.error';
      transferId: number;
      client: Peer;
      file?: string;
      /** RFC 1350 error code, sent to the client (`direction: 'sent'`) or received from it. */
      tftpCode: number;
      direction: 'sent' | 'received';
      /** Why, in a word: `not-found`, `access-violation`, `busy`, `malformed`, `unknown-tid`, … */
      reason: string;
      message: string;
    }
  | {
      /**
       * A datagram answered with an ERROR that neither starts nor ends a transfer: garbage or a
       * non-request on the request port (ERROR 4), a packet from the wrong TID (ERROR 5).
       */
      type: 'tftp.rejected';
      /** The transfer whose socket got a packet from the wrong TID. */
      transferId?: number;
      client: Peer;
      tftpCode: number;
      reason: 'malformed' | 'not-a-request' | 'unknown-tid';
      message: string;
    }
  | {
      type: 'tftp.timeout';
      transferId: number;
      client: Peer;
      file: string;
      retransmits: number;
      bytesAcknowledged: number;
    };

/** The `type` of any TFTP event, for `EventBus.on`. */
export type TftpEventType = TftpEvent['type'];
