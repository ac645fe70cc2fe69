import { describe, expect, it } from 'vitest';
import { decodePacket, type DataPacket, type TftpPacket } from './packet.js';
import { ReadSession } from './read-session.js';

/** The sender's pure core: what it sends for each ACK and timeout, with no sockets or timers. */
const params = (blockSize = 512, windowSize = 1) => ({ blockSize, windowSize, timeoutMs: 1000 });
const sent = (step: { send: Uint8Array[] }): TftpPacket[] => step.send.map((b) => decodePacket(b));
const blocks = (step: { send: Uint8Array[] }): number[] => sent(step).map((p) => (p as DataPacket).block);
const ack = (block: number): TftpPacket => ({ type: 'ACK', block });

describe('ReadSession', () => {
  it('sends lock-step blocks and ends on the ACK of the short last block (1025 bytes → 3 blocks)', () => {
    const s = new ReadSession(new Uint8Array(1025), params(), [], 5);
    expect(blocks(s.start())).toEqual([1]);
    expect(blocks(s.onPacket(ack(1)))).toEqual([2]);
    const last = s.onPacket(ack(2));
    expect(sent(last)).toEqual([{ type: 'DATA', block: 3, data: new Uint8Array(1) }]);
    expect(s.onPacket(ack(3)).outcome).toEqual({ kind: 'complete' });
    expect(s.state).toBe('complete');
  });

  it('sends an empty final block when the size is a multiple of the block size (512 → 2 blocks)', () => {
    const s = new ReadSession(new Uint8Array(512), params(), [], 5);
    s.start();
    expect(sent(s.onPacket(ack(1)))).toEqual([{ type: 'DATA', block: 2, data: new Uint8Array(0) }]);
  });

  it('never answers a duplicate ACK (Sorcerer\'s Apprentice, RFC 1123 §4.2.3.1)', () => {
    const s = new ReadSession(new Uint8Array(5000), params(), [], 5);
    s.start();
    s.onPacket(ack(1));
    for (let i = 0; i < 5; i++) expect(s.onPacket(ack(1))).toEqual({ send: [], rearm: false });
    expect(blocks(s.onTimeout())).toEqual([2]);
    expect(s.retransmits).toBe(1);
    expect(blocks(s.onPacket(ack(2)))).toEqual([3]);
    expect(s.onPacket(ack(2)).send).toEqual([]);
  });

  it('negotiates with an OACK first, then starts at block 1 on ACK 0 (RFC 2347)', () => {
    const s = new ReadSession(new Uint8Array(10), params(), [{ name: 'tsize', value: '10' }], 5);
    expect(sent(s.start())).toEqual([{ type: 'OACK', options: [{ name: 'tsize', value: '10' }] }]);
    expect(s.onPacket(ack(1)).send).toEqual([]);
    expect(sent(s.onTimeout())).toEqual([{ type: 'OACK', options: [{ name: 'tsize', value: '10' }] }]);
    expect(blocks(s.onPacket(ack(0)))).toEqual([1]);
  });

  it('sends windows and goes back to the block after a mid-window ACK (RFC 7440)', () => {
    const s = new ReadSession(new Uint8Array(8 * 20), params(8, 4), [], 5);
    expect(blocks(s.start())).toEqual([1, 2, 3, 4]);
    expect(blocks(s.onPacket(ack(4)))).toEqual([5, 6, 7, 8]);
    expect(blocks(s.onPacket(ack(6)))).toEqual([7, 8, 9, 10]);
    expect(s.onPacket(ack(6)).send).toEqual([]);
    expect(s.onPacket(ack(200)).send).toEqual([]);
    expect(blocks(s.onTimeout())).toEqual([7, 8, 9, 10]);
  });

  it('wraps block numbers 65535 → 0 and keeps counting past it', () => {
    const s = new ReadSession(new Uint8Array(8 * 65540), params(8, 1), [], 5);
    s.start();
    let last: number[] = [];
    for (let n = 1; n <= 65537; n++) last = blocks(s.onPacket(ack(n % 65536)));
    expect(last).toEqual([65538 % 65536]);
    expect(s.acknowledgedBytes).toBe(8 * 65537);
  });

  it('fails after maxRetries timeouts, and on an ERROR or an illegal packet from the client', () => {
    const t = new ReadSession(new Uint8Array(10), params(), [], 2);
    t.start();
    expect(t.onTimeout().send).toHaveLength(1);
    expect(t.onTimeout().send).toHaveLength(1);
    expect(t.onTimeout().outcome).toMatchObject({ kind: 'failed', reason: 'timeout' });
    const e = new ReadSession(new Uint8Array(10), params(), [{ name: 'blksize', value: '8' }], 2);
    e.start();
    expect(e.onPacket({ type: 'ERROR', code: 8, message: 'no' }).outcome).toMatchObject({ kind: 'failed', reason: 'error-received', tftpCode: 8 });
    const i = new ReadSession(new Uint8Array(10), params(), [], 2);
    i.start();
    const step = i.onPacket({ type: 'DATA', block: 1, data: new Uint8Array(0) });
    expect(step.outcome).toMatchObject({ kind: 'failed', reason: 'illegal-packet', tftpCode: 4 });
    expect(sent(step)).toEqual([expect.objectContaining({ type: 'ERROR', code: 4 })]);
    expect(i.onPacket(ack(1))).toEqual({ send: [], rearm: false });
  });
});
