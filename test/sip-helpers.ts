import { connect as tcpConnect, type Socket } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { CipherPolicyName, RegistrarDevice, RegistrarIdentity, RegistrarPolicy } from '../src/sip/index.js';

/**
 * Helpers for the registrar tests: an in-test {@link RegistrarPolicy} (plain fields standing in
 * for the cluster model), a Cisco-style REGISTER, and a one-shot SIP-over-TLS/TCP client built on
 * node:tls that reports the response or the TLS error code.
 */
export class TestRegistrarPolicy implements RegistrarPolicy {
  readonly devices = new Map<string, RegistrarDevice>();
  policy: CipherPolicyName = 'all-rsa-preferred';
  capf: string[] | undefined;
  expiry: number | undefined;

  constructor(public id: RegistrarIdentity, public trust: string[]) {}

  identity(): RegistrarIdentity {
    return this.id;
  }
  cipherPolicy(): CipherPolicyName {
    return this.policy;
  }
  callManagerTrust(): readonly string[] {
    return this.trust;
  }
  capfTrust(): readonly string[] {
    return this.capf ?? [];
  }
  device(name: string): RegistrarDevice | undefined {
    return this.devices.get(name);
  }
  registrationExpirySeconds(): number {
    return this.expiry ?? 3600;
  }
}

let seq = 0;

/** A REGISTER as a Cisco SIP phone sends it (device name in the Contact's Cisco parameter). */
export function registerText(device: string, options: { expires?: number; callId?: string; cseq?: number; transport?: string; extraHeaders?: string[] } = {}): string {
  const n = ++seq;
  const mac = device.replace(/^SEP/, '').toLowerCase();
  return [
    'REGISTER sip:127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/${options.transport ?? 'TLS'} 127.0.0.1:5099;branch=z9hG4bK${n}abc`,
    `From: <sip:1001@127.0.0.1>;tag=${mac}${n}`,
    'To: <sip:1001@127.0.0.1>',
    `Call-ID: ${options.callId ?? `${mac}-${n}@127.0.0.1`}`,
    'Max-Forwards: 70',
    `CSeq: ${options.cseq ?? 101} REGISTER`,
    'User-Agent: Cisco-CP8845/14.2.1',
    `Contact: <sip:${mac}@127.0.0.1:5099;transport=tls>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-${mac}>";+u.sip!devicename.ccm.cisco.com="${device}";+u.sip!model.ccm.cisco.com="36670"`,
    `Expires: ${options.expires ?? 3600}`,
    ...(options.extraHeaders ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

export type SipClientResult =
  | { ok: true; response: string; cipher?: string; protocol?: string; serverCertificate?: Uint8Array }
  | { ok: false; code: string; message: string; cipher?: string };

/**
 * Sends `payload` once `ready` fires and resolves with the first response head (and whatever
 * `facts` reads off the socket then), or the error.
 */
function sendForHead<S extends Socket>(s: S, ready: 'connect' | 'secureConnect', payload: string | Uint8Array, facts: (s: S) => Partial<SipClientResult & { ok: true }> = () => ({})): Promise<SipClientResult> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const finish = (r: SipClientResult): void => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(r);
    };
    s.on(ready, () => s.write(payload));
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) finish({ ...facts(s), ok: true, response: buf });
    });
    s.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, code: err.code ?? 'ERROR', message: err.message }));
    s.on('close', () => finish(buf ? { ok: true, response: buf } : { ok: false, code: 'CLOSED', message: 'closed without a response' }));
  });
}

/** Opens TLS, sends `payload` (default a REGISTER) and resolves with the first response head, or the error. */
export function tlsSend(port: number, tlsOptions: ConnectionOptions, payload: string | Uint8Array): Promise<SipClientResult> {
  return sendForHead(connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...tlsOptions }), 'secureConnect', payload, (s: TLSSocket) => {
    const cipher = s.getCipher()?.name;
    const protocol = s.getProtocol() ?? undefined;
    const peer = s.getPeerX509Certificate();
    return { ...(cipher ? { cipher } : {}), ...(protocol ? { protocol } : {}), ...(peer ? { serverCertificate: new Uint8Array(peer.raw) } : {}) };
  });
}

/** Same over plain TCP (5060). */
export function tcpSend(port: number, payload: string | Uint8Array): Promise<SipClientResult> {
  return sendForHead(tcpConnect({ host: '127.0.0.1', port }), 'connect', payload);
}

/** The status line's code of a response text. */
export function statusOf(response: string): number {
  return Number(/^SIP\/2\.0 (\d{3})/.exec(response)?.[1] ?? 0);
}

/** Polls `predicate` on the event loop until it holds (state, not time: no threshold asserted). */
export async function until(predicate: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
