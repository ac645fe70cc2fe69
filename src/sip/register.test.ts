import { describe, expect, it } from 'vitest';
import { ManualClock } from '../shared/clock.js';
import type { SipEvent } from './events.js';
import { parseSipMessage } from './parser.js';
import type { RegistrarDevice, RegistrarPolicy } from './policy.js';
import { handleSipRequest, type ConnectionFacts } from './register.js';
import { RegistrationTable } from './registrations.js';
import type { SipRequest } from './message.js';

/** REGISTER decisions without sockets (RFC 3261 §10.3; phone-behaviour.md TLS-1). */
const DEVICE = 'SEP001122334455';

function request(extra: { contact?: string; expires?: string | null; callId?: string; cseq?: string; drop?: string } = {}): SipRequest {
  const lines = [
    'REGISTER sip:cucm SIP/2.0',
    'Via: SIP/2.0/TLS 10.0.0.9;branch=z9hG4bK1',
    'From: <sip:1001@cucm>;tag=a',
    'To: <sip:1001@cucm>',
    `Call-ID: ${extra.callId ?? 'c1'}`,
    `CSeq: ${extra.cseq ?? '1 REGISTER'}`,
    `Contact: ${extra.contact ?? `<sip:x@10.0.0.9;transport=tls>;+u.sip!devicename.ccm.cisco.com="${DEVICE}"`}`,
    ...(extra.expires === null ? [] : [`Expires: ${extra.expires ?? '3600'}`]),
    'Content-Length: 0',
  ].filter((l) => !extra.drop || !l.startsWith(extra.drop));
  const m = parseSipMessage(new TextEncoder().encode(`${lines.join('\r\n')}\r\n\r\n`));
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}

function setup(devices: Record<string, RegistrarDevice>, max = 3600) {
  const clock = new ManualClock();
  const expired: string[] = [];
  const table = new RegistrationTable(clock, (r) => expired.push(r.deviceName));
  const policy: RegistrarPolicy = {
    identity: () => ({ rsa: { certPem: '', keyPem: '' } }),
    cipherPolicy: () => 'all-rsa-preferred',
    callManagerTrust: () => [],
    device: (n) => devices[n],
    registrationExpirySeconds: () => max,
  };
  const tls: ConnectionFacts = { transport: 'tls', remote: '10.0.0.9:5', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', certificate: { cn: DEVICE, subject: `CN=${DEVICE}`, issuer: 'CN=CAPF', fingerprint256: 'AA' } };
  const run = (req: SipRequest, conn: ConnectionFacts = tls) => {
    const r = handleSipRequest(req, conn, policy, table, clock);
    if (!r.response) return { status: 0, text: '', closed: true, event: r.event as SipEvent };
    return { status: Number(/^SIP\/2\.0 (\d+)/.exec(new TextDecoder().decode(r.response))![1]), text: new TextDecoder().decode(r.response), closed: false, event: r.event as SipEvent };
  };
  return { clock, table, expired, run, tls };
}

describe('REGISTER handling', () => {
  it('binds the device, echoes Contact with expires, and sends Expires and Date', () => {
    const { run, table, clock } = setup({ [DEVICE]: { profile: 'encrypted' } });
    const r = run(request());
    expect(r.status).toBe(200);
    expect(r.text).toContain(`Contact: <sip:x@10.0.0.9;transport=tls>;+u.sip!devicename.ccm.cisco.com="${DEVICE}";expires=3600\r\n`);
    expect(r.text).toContain('Expires: 3600\r\n');
    expect(r.text).toContain(`Date: ${new Date(clock.now()).toUTCString()}\r\n`);
    expect(r.text).toContain('Via: SIP/2.0/TLS 10.0.0.9;branch=z9hG4bK1\r\n');
    expect(r.text).toContain('CSeq: 1 REGISTER\r\n');
    expect(r.text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
    expect(table.get(DEVICE)).toMatchObject({ aor: 'sip:1001@cucm', cseq: 1, profile: 'encrypted', cipher: 'ECDHE-RSA-AES256-GCM-SHA384' });
    expect(r.event).toMatchObject({ type: 'sip.register', deviceName: DEVICE, expires: 3600 });
  });

  it('caps the lifetime at the policy maximum and prefers the Contact expires parameter', () => {
    const { run } = setup({ [DEVICE]: { profile: 'non-secure' } }, 120);
    expect(run(request({ expires: '7200' })).text).toContain('Expires: 120\r\n');
    const r = run(request({ contact: `<sip:x@h>;expires=60;+u.sip!devicename.ccm.cisco.com="${DEVICE}"`, cseq: '2 REGISTER' }));
    expect(r.text).toContain('Expires: 60\r\n');
    expect(r.text).toMatch(/Contact: <sip:x@h>;\+u\.sip!devicename\.ccm\.cisco\.com="SEP001122334455";expires=60\r\n/);
  });

  it('expires the binding on the injected clock and reports it', () => {
    const { run, table, clock, expired } = setup({ [DEVICE]: { profile: 'encrypted' } });
    run(request({ expires: '60' }));
    clock.advance(59_000);
    expect(table.get(DEVICE)).toBeDefined();
    clock.advance(1_000);
    expect(table.get(DEVICE)).toBeUndefined();
    expect(expired).toEqual([DEVICE]);
  });

  it('Expires: 0 removes the binding; Contact: * with Expires: 0 removes every binding of the AOR', () => {
    const { run, table } = setup({ [DEVICE]: { profile: 'encrypted' } });
    run(request());
    expect(run(request({ expires: '0', cseq: '2 REGISTER' })).event).toMatchObject({ type: 'sip.unregister', deviceName: DEVICE });
    expect(table.get(DEVICE)).toBeUndefined();
    run(request({ cseq: '3 REGISTER' }));
    expect(run(request({ contact: '*', expires: '0', cseq: '4 REGISTER' })).status).toBe(200);
    expect(table.size).toBe(0);
    expect(run(request({ contact: '*', expires: '10', cseq: '5 REGISTER' })).status).toBe(400);
  });

  it('finds the device from +sip.instance when the Cisco parameter is absent', () => {
    const { run, table } = setup({ [DEVICE]: { profile: 'encrypted' } });
    expect(run(request({ contact: '<sip:x@h>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-001122334455>"' })).status).toBe(200);
    expect(table.get(DEVICE)).toBeDefined();
  });

  it.each([
    ['an unknown device', {}, request(), 403, 'unknown device'],
    ['no device name', { [DEVICE]: { profile: 'encrypted' } }, request({ contact: '<sip:x@h>' }), 400, 'missing device name'],
    ['no Call-ID', { [DEVICE]: { profile: 'encrypted' } }, request({ drop: 'Call-ID' }), 400, 'malformed request'],
    ['CSeq of another method', { [DEVICE]: { profile: 'encrypted' } }, request({ cseq: '1 INVITE' }), 400, 'malformed request'],
    ['a non-numeric Expires', { [DEVICE]: { profile: 'encrypted' } }, request({ expires: 'soon' }), 400, 'malformed request'],
  ] as const)('answers %s with %i', (_n, devices, req, status, reason) => {
    const { run } = setup(devices as Record<string, RegistrarDevice>);
    const r = run(req);
    expect(r.status).toBe(status);
    expect(r.event).toMatchObject({ type: 'sip.refused', stage: 'sip', reason, status });
  });

  it('applies the device profile: secure needs TLS, encrypted needs a real cipher', () => {
    const { run, tls } = setup({ [DEVICE]: { profile: 'encrypted' } });
    expect(run(request(), { transport: 'tcp', remote: 'r' }).event).toMatchObject({ reason: 'secure profile requires TLS', status: 403 });
    expect(run(request(), { ...tls, cipher: 'NULL-SHA' }).event).toMatchObject({ reason: 'encryption required', status: 403 });
    expect(run(request()).status).toBe(200);
  });

  it.each([
    ['the device name', DEVICE, 200],
    ['a Cisco MIC/LSC name, <model>-SEP<MAC>', `CP-8861-${DEVICE}`, 200],
    ['in lower case', `cp-8861-${DEVICE.toLowerCase()}`, 200],
    ['another device', 'SEP999999999999', 0],
    ['another device with a model prefix', 'CP-8861-SEP999999999999', 0],
    ['a name that only contains the device name', `${DEVICE}-EVIL`, 0],
  ] as const)('binds the TLS certificate to the device by name (TAC 211304): CN %s', (_n, cn, status) => {
    const { run, tls } = setup({ [DEVICE]: { profile: 'encrypted' } });
    const r = run(request(), { ...tls, certificate: { ...tls.certificate!, cn } });
    expect(r.status).toBe(status);
    if (status === 0) {
      expect(r.closed).toBe(true);
      expect(r.event).toMatchObject({ type: 'sip.refused', reason: 'invalid X.509 name', deviceName: DEVICE, detail: `TLS InvalidX509NameInCertificate, Rcvd=${cn}, Expected=${DEVICE}` });
    }
  });

  it('a device whose name check is switched off takes any trusted certificate (the lab\'s lax mode)', () => {
    const { run, tls } = setup({ [DEVICE]: { profile: 'encrypted', checkCertificateName: false } });
    expect(run(request(), { ...tls, certificate: { ...tls.certificate!, cn: 'SEP999999999999' } }).status).toBe(200);
  });

  it('refuses a replayed CSeq within the same Call-ID (§10.3 step 7) but takes a new Call-ID', () => {
    const { run } = setup({ [DEVICE]: { profile: 'encrypted' } });
    expect(run(request({ cseq: '5 REGISTER' })).status).toBe(200);
    expect(run(request({ cseq: '5 REGISTER' })).event).toMatchObject({ reason: 'out of order', status: 500 });
    expect(run(request({ cseq: '6 REGISTER' })).status).toBe(200);
    expect(run(request({ cseq: '1 REGISTER', callId: 'c2' })).status).toBe(200);
  });
});
