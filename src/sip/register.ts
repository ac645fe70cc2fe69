import type { Clock } from '../shared/clock.js';
import { isNullCipher } from './cipher-policy.js';
import { SIP_DEFAULT_EXPIRES } from './constants.js';
import { ciscoDeviceName, parseAddress } from './contact.js';
import type { SipEvent, SipRefusal, SipTransport } from './events.js';
import { headerValue, headerValues, splitList, type SipHeader, type SipRequest } from './message.js';
import { certificateNamesDevice, type RegistrarPolicy } from './policy.js';
import type { RegistrationTable } from './registrations.js';
import { buildResponse, sipDate } from './response.js';

/**
 * REGISTER processing (RFC 3261 §10.3) with CUCM's device checks (phone-behaviour.md TLS-1,
 * TLS-4), as a function of the request and what the connection knows. No socket inside.
 *
 * - Only REGISTER: anything else is 405 with `Allow: REGISTER` (§21.4.6); a version other than
 *   SIP/2.0 is 505.
 * - To, From, Call-ID, CSeq (with method REGISTER) and Via are required (§8.1.1); else 400.
 * - The device is named by the Contact's `+u.sip!devicename.ccm.cisco.com` parameter (or the MAC
 *   in `+sip.instance`); none is 400, an unknown one 403.
 * - A secure profile (Authenticated, Encrypted) must come over TLS, an Encrypted one with a
 *   cipher that encrypts (TLS-1); each failure is 403 with its reason.
 * - Over TLS the client certificate must name the device (TAC 211304: CUCM compares the
 *   certificate's name with the device name, then the SAN with the security profile's name,
 *   and fails the connection with InvalidX509NameInCertificate, CISCO-CCM-MIB cause 11). CUCM
 *   closes the connection without a SIP answer, so the phone sees its REGISTER go unanswered.
 * - Expiry: the Contact's `expires`, else `Expires`, else the default, capped at the policy's
 *   maximum; 0 removes the binding (§10.2.2). A binding with the same Call-ID and a CSeq not
 *   lower is "out of order" (§10.3 step 7: "the update MUST be aborted and the request fails"),
 *   answered 500.
 * - 200 carries the binding's Contact with `expires`, `Expires` and `Date` (§10.3 step 8).
 */
export interface ConnectionFacts {
  transport: SipTransport;
  remote: string;
  cipher?: string;
  protocol?: string;
  /** The validated client certificate on TLS. */
  certificate?: { cn: string | undefined; subject: string; issuer: string; fingerprint256: string };
}

/** What to do with a request: answer it, or (`close`) drop the connection without an answer. */
export type RegisterResult = { response: Uint8Array; event: SipEvent; close?: undefined } | { response?: undefined; event: SipEvent; close: true };

export function handleSipRequest(req: SipRequest, conn: ConnectionFacts, policy: RegistrarPolicy, table: RegistrationTable, clock: Clock): RegisterResult {
  const refuse = (status: number, reason: SipRefusal, detail?: string, deviceName?: string, headers: SipHeader[] = []): RegisterResult => ({
    response: buildResponse(req, status, { headers }),
    event: {
      type: 'sip.refused', stage: 'sip', reason, remote: conn.remote, transport: conn.transport, status,
      ...(deviceName ? { deviceName } : {}), ...(detail ? { detail } : {}),
    },
  });
  if (req.version !== 'SIP/2.0') return refuse(505, 'version not supported', req.version);
  if (req.method !== 'REGISTER') return refuse(405, 'method not allowed', req.method, undefined, [{ name: 'Allow', value: 'REGISTER' }]);
  const missing = ['to', 'from', 'call-id', 'cseq', 'via'].filter((h) => headerValue(req, h) === undefined);
  if (missing.length) return refuse(400, 'malformed request', `missing ${missing.join(', ')}`);
  const cseq = /^([0-9]{1,10})\s+(\S+)$/.exec(headerValue(req, 'cseq')!);
  if (!cseq || cseq[2] !== 'REGISTER' || Number(cseq[1]) > 0x7fffffff) return refuse(400, 'malformed request', 'CSeq is not "<number> REGISTER"');
  const to = parseAddress(headerValue(req, 'to')!);
  if (!to) return refuse(400, 'malformed request', 'unparseable To');
  const expiresHeader = headerValue(req, 'expires');
  if (expiresHeader !== undefined && !/^[0-9]{1,10}$/.test(expiresHeader)) return refuse(400, 'malformed request', 'Expires is not a number');
  const contacts = headerValues(req, 'contact').flatMap(splitList);
  const callId = headerValue(req, 'call-id')!;
  const seq = Number(cseq[1]);

  if (contacts.length === 1 && contacts[0] === '*') {
    if (expiresHeader !== '0') return refuse(400, 'malformed request', 'Contact: * needs Expires: 0 (§10.2.2)');
    const gone = table.list().filter((r) => r.aor === to.uri);
    for (const r of gone) table.delete(r.deviceName);
    return {
      response: buildResponse(req, 200, { headers: [{ name: 'Date', value: sipDate(clock.now()) }] }),
      event: { type: 'sip.unregister', remote: conn.remote, transport: conn.transport, deviceName: gone.map((r) => r.deviceName).join(',') },
    };
  }
  const contactText = contacts[0];
  const contact = contactText === undefined ? undefined : parseAddress(contactText);
  if (!contactText || !contact) return refuse(400, 'missing device name', 'no Contact');
  const deviceName = ciscoDeviceName(contact);
  if (!deviceName) return refuse(400, 'missing device name', 'Contact has no +u.sip!devicename.ccm.cisco.com or +sip.instance');

  const device = policy.device(deviceName);
  if (!device) return refuse(403, 'unknown device', undefined, deviceName);
  const secure = device.profile !== 'non-secure';
  if (secure && conn.transport !== 'tls') return refuse(403, 'secure profile requires TLS', `${device.profile} profile`, deviceName);
  if (device.profile === 'encrypted' && isNullCipher(conn.cipher)) return refuse(403, 'encryption required', `cipher ${conn.cipher}`, deviceName);
  if (device.checkCertificateName !== false && conn.transport === 'tls' && !certificateNamesDevice(conn.certificate?.cn, deviceName)) {
    return {
      event: {
        type: 'sip.refused', stage: 'sip', reason: 'invalid X.509 name', remote: conn.remote, transport: conn.transport, deviceName,
        detail: `TLS InvalidX509NameInCertificate, Rcvd=${conn.certificate?.cn ?? '(no certificate)'}, Expected=${deviceName}`,
      },
      close: true,
    };
  }

  const max = policy.registrationExpirySeconds?.() ?? SIP_DEFAULT_EXPIRES;
  const asked = contact.params.has('expires') && /^[0-9]{1,10}$/.test(contact.params.get('expires')!)
    ? Number(contact.params.get('expires'))
    : expiresHeader !== undefined ? Number(expiresHeader) : undefined;
  const granted = asked === undefined ? max : Math.min(asked, max);

  const existing = table.get(deviceName);
  if (existing && existing.callId === callId && seq <= existing.cseq) return refuse(500, 'out of order', `CSeq ${seq} ≤ ${existing.cseq}`, deviceName);

  const now = clock.now();
  const date = { name: 'Date', value: sipDate(now) };
  if (granted === 0) {
    table.delete(deviceName);
    return {
      response: buildResponse(req, 200, { headers: [date] }),
      event: { type: 'sip.unregister', remote: conn.remote, transport: conn.transport, deviceName },
    };
  }
  table.set({
    deviceName, aor: to.uri, contact: contactText, transport: conn.transport, remote: conn.remote, profile: device.profile,
    callId, cseq: seq, registeredAt: now, expiresAt: now + granted * 1000,
    ...(conn.cipher ? { cipher: conn.cipher } : {}), ...(conn.protocol ? { protocol: conn.protocol } : {}),
    ...(conn.certificate ? { certificate: { subject: conn.certificate.subject, issuer: conn.certificate.issuer, fingerprint256: conn.certificate.fingerprint256 } } : {}),
  });
  const echoed = `${contactText.replace(/;\s*expires\s*=\s*[0-9]*/gi, '')};expires=${granted}`;
  return {
    response: buildResponse(req, 200, { headers: [{ name: 'Contact', value: echoed }, { name: 'Expires', value: String(granted) }, date] }),
    event: {
      type: 'sip.register', remote: conn.remote, transport: conn.transport, deviceName, profile: device.profile,
      aor: to.uri, contact: contactText, expires: granted, ...(conn.cipher ? { cipher: conn.cipher } : {}),
    },
  };
}
