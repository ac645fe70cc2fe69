import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { toPem, type KeySpec } from '../src/pki/index.js';
import { EventBus } from '../src/shared/events.js';
import type { TvsAuthority, TvsEvent, TvsIdentity, TvsRequestInfo, TvsVerdict } from '../tvs-sim/index.js';
import { selfSigned, type TestIdentity } from './helpers/pki.js';

/**
 * Shared pieces of the TVS socket tests: TVS identities made with the test PKI, a tiny
 * authority keyed by SHA-256 fingerprint (the key tvsd looks certificates up by), and an
 * event recorder.
 */

export interface TvsTestIdentity extends TestIdentity {
  identity: TvsIdentity;
  der: Uint8Array;
}

/** A self-signed TVS certificate (CN `<cn>`) with its PEM identity. Same `cn` → same key. */
export async function tvsIdentity(cn: string, spec?: KeySpec): Promise<TvsTestIdentity> {
  const id = await selfSigned(cn, spec);
  return {
    ...id,
    der: id.certificate.der,
    identity: { certPem: toPem(id.certificate.der), keyPem: id.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
  };
}

export const sha256 = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

/** A map from certificate fingerprint to verdict; records what it was asked. */
export class MapAuthority implements TvsAuthority {
  readonly entries = new Map<string, Omit<TvsVerdict, 'status'>>();
  readonly asked: Array<{ sha256: string; request: TvsRequestInfo }> = [];

  add(der: Uint8Array, roles: number[], ttlSeconds?: number): this {
    this.entries.set(sha256(der), { roles, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) });
    return this;
  }

  verify(certificate: Uint8Array, request: TvsRequestInfo): TvsVerdict {
    const fp = sha256(certificate);
    this.asked.push({ sha256: fp, request });
    const hit = this.entries.get(fp);
    return hit ? { status: 'valid', ...hit } : { status: 'invalid', roles: [] };
  }
}

/** Records every event on a bus. */
export function recorder(bus = new EventBus<TvsEvent>()): { bus: EventBus<TvsEvent>; events: TvsEvent[]; of<T extends TvsEvent['type']>(t: T): Array<Extract<TvsEvent, { type: T }>> } {
  const events: TvsEvent[] = [];
  bus.onAny((e) => events.push(e));
  return { bus, events, of: (t) => events.filter((e) => e.type === t) as never };
}

/** Resolves with the next event of `type` on `bus`. */
export function nextEvent<T extends TvsEvent['type']>(bus: EventBus<TvsEvent>, type: T, where: (e: Extract<TvsEvent, { type: T }>) => boolean = () => true): Promise<Extract<TvsEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = bus.on(type, (e) => {
      if (!where(e)) return;
      off();
      resolve(e);
    });
  });
}

/** Waits until `cond()` holds, polling on the event loop (no fixed sleeps). */
export async function until(cond: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export { once };
