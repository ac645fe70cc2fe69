import { randomBytes, X509Certificate } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext, type SecureVersion, type TLSSocket } from 'node:tls';
import { headerValue, SipFramer, type SipMessage } from './index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { onAbort } from '../shared/lifecycle.js';

/**
 * The phone's side of SIP registration (phone-behaviour.md TLS-1..TLS-4; RFC 3261 §10):
 * a REGISTER over TCP (non-secure profile) or TLS (authenticated: NULL-SHA; encrypted: AES),
 * presenting the LSC if the phone has one, else its MIC (TLS-4), and accepting CUCM's
 * certificate only if it is one the phone's CTL or ITL holds (TLS-3) — never the system store.
 * The device is named in the Contact the way Cisco phones do
 * (`+u.sip!devicename.ccm.cisco.com="SEP…"`).
 */
export interface SipRegisterOptions {
  host: string;
  port: number;
  transport: 'tcp' | 'tls';
  mode: 'non-secure' | 'authenticated' | 'encrypted';
  deviceName: string;
  /** `CP-8861` etc., for the User-Agent. */
  productName: string;
  credential?: { certPem: string; keyPem: string; chainPem?: string };
  /**
   * A context made by {@link sipClientContext} for these options; a phone keeps one per
   * credential and mode, since parsing the key for every REGISTER costs more than the rest.
   */
  secureContext?: SecureContext;
  /** DER certificates CUCM may present (the CTL/ITL CCM, CCM+TFTP and TFTP records). */
  trustedServers: readonly Uint8Array[];
  tlsVersions?: readonly SecureVersion[];
  ec?: boolean;
  /** Largest RSA key the model accepts on the CallManager certificate. */
  maxRsaBits?: number;
  /**
   * The phone's time, to judge the validity of the certificate CUCM presents: with an expired
   * CallManager.pem "Encrypted/authenticated phones do not register" (TAC 214231, "Impact by the
   * Certificate Store"). Without it, validity is not checked.
   */
  now?: number;
  expiresSeconds?: number;
  localAddress?: string;
  timeoutMs?: number;
  clock?: Clock;
  /** Aborting closes the connection and ends with `aborted`. */
  signal?: AbortSignal;
}

export type SipRegisterResult =
  | { ok: true; expiresSeconds: number; cipher?: string }
  | { ok: false; reason: string; alert?: string; status?: number };

/**
 * Cipher suites offered by mode and model (TLS-1: authenticated uses NULL-SHA; TLS-5).
 *
 * @note `@SECLEVEL=0` in both: at OpenSSL's default level a context refuses a SHA-1-signed CA
 * in the phone's own chain ("ca md too weak"), and older models' MICs chain to exactly that (the
 * 7942's Cisco Manufacturing CA, CAPF-6). A phone's firmware applies no OpenSSL security level to
 * its own credential; the suites are listed explicitly, so the level lowers nothing else.
 */
function ciphersFor(mode: SipRegisterOptions['mode'], ec: boolean): string {
  if (mode === 'authenticated') return 'NULL-SHA:@SECLEVEL=0';
  const rsa = ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-SHA384', 'ECDHE-RSA-AES128-SHA256', 'AES256-SHA', 'AES128-SHA'];
  const ecdsa = ['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-SHA256'];
  return `${[...(ec ? ecdsa : []), ...rsa].join(':')}:@SECLEVEL=0`;
}

/** The phone's TLS client context for a REGISTER: its versions, the mode's suites, its credential. */
export function sipClientContext(o: Pick<SipRegisterOptions, 'tlsVersions' | 'mode' | 'ec' | 'credential'>): SecureContext {
  const versions = o.tlsVersions ?? ['TLSv1.2'];
  return createSecureContext({
    minVersion: versions[0]!,
    maxVersion: versions[versions.length - 1]!,
    ciphers: ciphersFor(o.mode, o.ec ?? false),
    ...(o.credential ? { cert: o.credential.certPem + (o.credential.chainPem ?? ''), key: o.credential.keyPem } : {}),
  });
}

/** OpenSSL alert text → the phone console line (TLS-4, MIG-7). */
function alertOf(err: Error): string | undefined {
  const m = /alert (?:number \d+|[a-z ]+)|sslv3 alert ([a-z ]+)/i.exec(err.message);
  if (!m) return undefined;
  const text = /unknown ca/i.test(err.message) ? 'unknown CA' : /certificate required/i.test(err.message) ? 'certificate required' : /handshake failure/i.test(err.message) ? 'handshake failure' : m[0];
  return `SECD: -STATE_SSL3_ALERT: SSL3 alert [read]:[fatal]:[${text}]`;
}

function registerText(o: SipRegisterOptions, local: string, callId: string): Uint8Array {
  const via = o.transport === 'tls' ? 'TLS' : 'TCP';
  const aor = `sip:${o.deviceName}@${o.host}`;
  const lines = [
    `REGISTER sip:${o.host} SIP/2.0`,
    `Via: SIP/2.0/${via} ${local};branch=z9hG4bK${randomBytes(6).toString('hex')}`,
    'Max-Forwards: 70',
    `From: <${aor}>;tag=${randomBytes(4).toString('hex')}`,
    `To: <${aor}>`,
    `Call-ID: ${callId}`,
    'CSeq: 101 REGISTER',
    `Contact: <sip:${o.deviceName}@${local};transport=${via.toLowerCase()}>;+u.sip!devicename.ccm.cisco.com="${o.deviceName}"`,
    `Expires: ${o.expiresSeconds ?? 3600}`,
    `User-Agent: Cisco-${o.productName.replace('-', '')}/trustlab`,
    'Content-Length: 0',
    '',
    '',
  ];
  return new TextEncoder().encode(lines.join('\r\n'));
}

/** Sends one REGISTER on a new connection and waits for the final response. */
export function sipRegister(o: SipRegisterOptions): Promise<SipRegisterResult> {
  const clock = o.clock ?? systemClock;
  return new Promise((resolve) => {
    let done = false;
    let socket: Socket | TLSSocket;
    let detach = (): void => undefined;
    const finish = (r: SipRegisterResult): void => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      detach();
      socket?.destroy();
      resolve(r);
    };
    const timer = clock.setTimeout(() => finish({ ok: false, reason: 'timeout' }), o.timeoutMs ?? 10_000);
    detach = onAbort(o.signal, () => finish({ ok: false, reason: 'aborted' }));
    if (done) return;
    const framer = new SipFramer();
    const send = (): void => {
      const local = `${socket.localAddress ?? '0.0.0.0'}:${socket.localPort ?? 0}`;
      socket.write(registerText(o, local, `${randomBytes(8).toString('hex')}@${socket.localAddress ?? 'phone'}`));
    };
    const onData = (chunk: Buffer): void => {
      let messages: SipMessage[];
      try {
        messages = framer.push(new Uint8Array(chunk));
      } catch (e) {
        finish({ ok: false, reason: `malformed response (${(e as Error).message})` });
        return;
      }
      for (const m of messages) {
        if (m.kind !== 'response') continue;
        if (m.status < 200) continue;
        if (m.status === 200) {
          const exp = Number(headerValue(m, 'expires') ?? o.expiresSeconds ?? 3600);
          finish({ ok: true, expiresSeconds: Number.isFinite(exp) ? exp : 3600, ...(socket instanceof Object && 'getCipher' in socket ? { cipher: (socket as TLSSocket).getCipher()?.name } : {}) });
        } else {
          finish({ ok: false, reason: `${m.status} ${m.reason}`, status: m.status });
        }
      }
    };
    const onError = (e: Error & { code?: string }): void => {
      const alert = alertOf(e);
      finish({ ok: false, reason: e.code === 'ECONNREFUSED' ? 'connection refused' : alert ? `TLS handshake failed (${alert.replace(/^.*\[fatal\]:/, '')})` : e.message, ...(alert ? { alert } : {}) });
    };
    if (o.transport === 'tcp') {
      socket = netConnect({ host: o.host, port: o.port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) }, send);
    } else {
      socket = tlsConnect({
        host: o.host,
        port: o.port,
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
        rejectUnauthorized: false,
        secureContext: o.secureContext ?? sipClientContext(o),
      }, () => {
        const tls = socket as TLSSocket;
        const peer = tls.getPeerX509Certificate();
        const raw = peer ? new Uint8Array(peer.raw) : undefined;
        if (!raw || !o.trustedServers.some((t) => Buffer.from(t).equals(Buffer.from(raw)))) {
          finish({ ok: false, reason: `CUCM presented ${peer?.subject.replace(/\n/g, ', ') ?? 'no certificate'}, which is not in the phone's CTL/ITL (TLS-3)` });
          return;
        }
        if (o.now !== undefined && peer && (Date.parse(peer.validTo) < o.now || Date.parse(peer.validFrom) > o.now)) {
          finish({ ok: false, reason: `CUCM presented ${peer.subject.replace(/\n/g, ', ')}, which is ${Date.parse(peer.validTo) < o.now ? `expired (${peer.validTo})` : `not valid before ${peer.validFrom}`}` });
          return;
        }
        const bits = (peer as X509Certificate).publicKey.asymmetricKeyDetails?.modulusLength;
        if (bits && o.maxRsaBits && bits > o.maxRsaBits) {
          finish({ ok: false, reason: `CUCM's ${bits}-bit RSA key is larger than this model accepts (${o.maxRsaBits})` });
          return;
        }
        send();
      });
    }
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', () => finish({ ok: false, reason: 'connection closed before a response' }));
  });
}
