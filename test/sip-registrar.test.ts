import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../src/shared/events.js';
import { SipRegistrar, type SipEvent } from '../src/sip/index.js';
import { DEVICE, labPki, testLeaf, type LabPki, type TestCert } from './sip-pki.js';
import { registerText, statusOf, tcpSend, TestRegistrarPolicy, tlsSend } from './sip-helpers.js';

/**
 * The registrar over real TLS/TCP on 127.0.0.1 with node:tls as the phone: certificate selection
 * by cipher (TLS-2), client-certificate validation against CallManager-trust (TLS-4), device
 * profiles (TLS-1), cipher policies (TLS-5, SC-24) and model changes between connections.
 */
let pki: LabPki;
let lsc: TestCert;
let policy: TestRegistrarPolicy;
let registrar: SipRegistrar;
let tlsPort: number;
let tcpPort: number;
const events: SipEvent[] = [];

const phone = (c: TestCert) => ({ cert: c.certPem, key: c.keyPem });
const refusals = () => events.filter((e): e is Extract<SipEvent, { type: 'sip.refused' }> => e.type === 'sip.refused');

beforeAll(async () => {
  pki = await labPki();
  lsc = await testLeaf(DEVICE, pki.capf, { label: 'phone-lsc' });
  policy = new TestRegistrarPolicy(
    { rsa: { certPem: pki.callManager.certPem, keyPem: pki.callManager.keyPem }, ecdsa: { certPem: pki.callManagerEc.certPem, keyPem: pki.callManagerEc.keyPem } },
    [pki.capf.certPem, pki.mfgRoot.certPem],
  );
  const bus = new EventBus<SipEvent>();
  bus.onAny((e) => events.push(e));
  registrar = new SipRegistrar({ policy, tlsPort: 0, tcpPort: 0, events: bus });
  tlsPort = (await registrar.listen()).port;
  tcpPort = registrar.addresses.tcp!.port;
});

afterAll(() => registrar.close());

beforeEach(() => {
  events.length = 0;
  policy.policy = 'all-rsa-preferred';
  policy.trust = [pki.capf.certPem, pki.mfgRoot.certPem];
  policy.devices.clear();
  policy.devices.set(DEVICE, { profile: 'encrypted' });
});

describe('client certificate (TLS-4)', () => {
  it('accepts an LSC issued by the CAPF certificate in CallManager-trust: 200 OK with Expires and Contact', async () => {
    const r = await tlsSend(tlsPort, phone(lsc), registerText(DEVICE));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(statusOf(r.response)).toBe(200);
    expect(r.response).toMatch(/\r\nExpires: 3600\r\n/);
    expect(r.response).toMatch(/\r\nContact: <sip:001122334455@127\.0\.0\.1:5099;transport=tls>;.*;expires=3600\r\n/);
    expect(r.response).toMatch(/\r\nTo: <sip:1001@127\.0\.0\.1>;tag=[0-9a-f]+\r\n/);
    expect(registrar.registrations.get(DEVICE)).toMatchObject({ transport: 'tls', profile: 'encrypted' });
    const accepted = events.find((e) => e.type === 'sip.tls.accepted');
    expect(accepted).toMatchObject({ certificate: { subject: expect.stringContaining(`CN=${DEVICE}`), anchor: expect.stringContaining('CN=CAPF-1a2b3c4d') } });
    expect(events.find((e) => e.type === 'sip.register')).toMatchObject({ deviceName: DEVICE, expires: 3600, profile: 'encrypted' });
  });

  it('accepts a MIC sent with its intermediate, chained to the manufacturing root', async () => {
    const r = await tlsSend(tlsPort, { cert: pki.mic.certPem + pki.mfgSub.certPem, key: pki.mic.keyPem }, registerText(DEVICE));
    expect(r.ok && statusOf(r.response)).toBe(200);
  });

  it('refuses a MIC whose intermediate is not sent and not trusted ("unknown CA" alert)', async () => {
    const r = await tlsSend(tlsPort, phone(pki.mic), registerText(DEVICE));
    expect(r).toMatchObject({ ok: false, code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' });
    expect(refusals()[0]).toMatchObject({ stage: 'tls', reason: 'unknown CA', alert: 48 });
  });

  it('refuses a certificate from an untrusted CA with alert unknown_ca (48) and never registers', async () => {
    const r = await tlsSend(tlsPort, phone(pki.rogueLeaf), registerText(DEVICE));
    expect(r).toMatchObject({ ok: false, code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' });
    expect(refusals()).toEqual([expect.objectContaining({ reason: 'unknown CA', alert: 48 })]);
    expect(events.some((e) => e.type === 'sip.register')).toBe(false);
  });

  it('refuses a phone without a certificate ("certificate required", handshake_failure)', async () => {
    const r = await tlsSend(tlsPort, {}, registerText(DEVICE));
    expect(r).toMatchObject({ ok: false, code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' });
    expect(refusals()[0]).toMatchObject({ reason: 'certificate required', alert: 40 });
  });

  it('SC-16: an LSC from another cluster\'s CAPF is refused until that CAPF is in CallManager-trust', async () => {
    const foreign = await testLeaf(DEVICE, pki.otherCapf, { label: 'phone-lsc' });
    expect(await tlsSend(tlsPort, phone(foreign), registerText(DEVICE))).toMatchObject({ ok: false, code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' });
    policy.trust = [...policy.trust, pki.otherCapf.certPem];
    const r = await tlsSend(tlsPort, phone(foreign), registerText(DEVICE));
    expect(r.ok && statusOf(r.response)).toBe(200);
  });

  it('removing the CAPF certificate from CallManager-trust refuses the next handshake', async () => {
    policy.trust = [pki.mfgRoot.certPem];
    expect(await tlsSend(tlsPort, phone(lsc), registerText(DEVICE))).toMatchObject({ ok: false, code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' });
  });
});

describe('server certificate chosen by cipher (TLS-2)', () => {
  it('presents CallManager for ECDHE-RSA and CallManager-ECDSA for ECDHE-ECDSA', async () => {
    const rsa = await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'ECDHE-RSA-AES256-GCM-SHA384', maxVersion: 'TLSv1.2' }, registerText(DEVICE));
    expect(rsa.ok && rsa.serverCertificate && new X509Certificate(rsa.serverCertificate).subject).toContain('CN=cucm-pub.lab.example');
    const ec = await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384', maxVersion: 'TLSv1.2' }, registerText(DEVICE));
    expect(ec.ok && ec.serverCertificate && new X509Certificate(ec.serverCertificate).subject).toContain('CN=cucm-pub-EC.lab.example');
    expect(ec.ok && ec.cipher).toBe('ECDHE-ECDSA-AES256-GCM-SHA384');
  });

  it('prefers RSA under "All Ciphers RSA Preferred" and ECDSA under "All Ciphers ECDSA Preferred"', async () => {
    const offer = { ...phone(lsc), ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384', maxVersion: 'TLSv1.2' as const };
    expect((await tlsSend(tlsPort, offer, registerText(DEVICE)))).toMatchObject({ ok: true, cipher: 'ECDHE-RSA-AES256-GCM-SHA384' });
    policy.policy = 'all-ecdsa-preferred';
    expect((await tlsSend(tlsPort, offer, registerText(DEVICE)))).toMatchObject({ ok: true, cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
  });

  it('a regenerated CallManager certificate is presented from the next connection', async () => {
    const fresh = await testLeaf('cucm-pub-regenerated.lab.example', undefined, { label: 'callmanager-2' });
    const before = policy.id;
    policy.id = { ...before, rsa: { certPem: fresh.certPem, keyPem: fresh.keyPem } };
    try {
      const r = await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' }, registerText(DEVICE));
      expect(r.ok && r.serverCertificate && new X509Certificate(r.serverCertificate).subject).toContain('regenerated');
    } finally {
      policy.id = before;
    }
  });
});

describe('cipher policies (TLS-5, SC-24)', () => {
  it('Authenticated mode registers over NULL-SHA under "All Ciphers RSA Preferred"', async () => {
    policy.devices.set(DEVICE, { profile: 'authenticated' });
    const r = await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'NULL-SHA:@SECLEVEL=0', maxVersion: 'TLSv1.2' }, registerText(DEVICE));
    expect(r).toMatchObject({ ok: true, cipher: 'NULL-SHA' });
    expect(r.ok && statusOf(r.response)).toBe(200);
  });

  it('"Strongest" leaves an Authenticated (NULL-SHA) phone without a shared cipher', async () => {
    policy.policy = 'strongest-rsa-preferred';
    const r = await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'NULL-SHA:@SECLEVEL=0', maxVersion: 'TLSv1.2' }, registerText(DEVICE));
    expect(r).toMatchObject({ ok: false, code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' });
    expect(refusals()[0]).toMatchObject({ stage: 'tls', reason: 'no shared cipher' });
    const aes128 = await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' }, registerText(DEVICE));
    expect(aes128.ok).toBe(false);
    const aes256 = await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'ECDHE-RSA-AES256-GCM-SHA384', maxVersion: 'TLSv1.2' }, registerText(DEVICE));
    expect(aes256.ok && statusOf(aes256.response)).toBe(200);
  });

  it('"ECDSA Only" refuses a phone that offers only RSA suites and takes one that offers ECDSA', async () => {
    policy.policy = 'ecdsa-only';
    expect(await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA', maxVersion: 'TLSv1.2' }, registerText(DEVICE))).toMatchObject({ ok: false });
    expect(refusals()[0]).toMatchObject({ reason: 'no shared cipher' });
    expect(await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'ECDHE-ECDSA-AES128-SHA256', maxVersion: 'TLSv1.2' }, registerText(DEVICE))).toMatchObject({ ok: true, cipher: 'ECDHE-ECDSA-AES128-SHA256' });
  });

  it('"Medium" refuses AES128-SHA; "All" allows it, down to TLS 1.0 (7900 series, TLS-6)', async () => {
    policy.policy = 'medium-rsa-preferred';
    expect(await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'AES128-SHA', maxVersion: 'TLSv1.2' }, registerText(DEVICE))).toMatchObject({ ok: false });
    policy.policy = 'all-rsa-preferred';
    const r = await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'AES128-SHA:@SECLEVEL=0', minVersion: 'TLSv1', maxVersion: 'TLSv1' }, registerText(DEVICE));
    expect(r).toMatchObject({ ok: true, cipher: 'AES128-SHA', protocol: 'TLSv1' });
  });

  it('TLS 1.3 is not offered by default (CUCM SIP before 15SU2)', async () => {
    const r = await tlsSend(tlsPort, { ...phone(lsc), minVersion: 'TLSv1.3' }, registerText(DEVICE));
    expect(r.ok).toBe(false);
    expect(refusals()[0]).toMatchObject({ reason: 'protocol version' });
  });
});

describe('device security profile (TLS-1)', () => {
  it('an unknown device gets 403 after a good handshake', async () => {
    policy.devices.clear();
    const r = await tlsSend(tlsPort, phone(lsc), registerText(DEVICE));
    expect(r.ok && statusOf(r.response)).toBe(403);
    expect(refusals()[0]).toMatchObject({ stage: 'sip', reason: 'unknown device', status: 403, deviceName: DEVICE });
  });

  it('Encrypted refuses a NULL cipher with 403; Authenticated accepts AES', async () => {
    const nul = await tlsSend(tlsPort, { ...phone(lsc), ciphers: 'NULL-SHA:@SECLEVEL=0', maxVersion: 'TLSv1.2' }, registerText(DEVICE));
    expect(nul.ok && statusOf(nul.response)).toBe(403);
    expect(refusals()[0]).toMatchObject({ reason: 'encryption required' });
    policy.devices.set(DEVICE, { profile: 'authenticated' });
    const aes = await tlsSend(tlsPort, phone(lsc), registerText(DEVICE));
    expect(aes.ok && statusOf(aes.response)).toBe(200);
  });

  it('a trusted certificate for another device is refused: the connection closes unanswered (InvalidX509NameInCertificate)', async () => {
    policy.devices.set('SEP00AABBCCDDEE', { profile: 'encrypted' });
    const r = await tlsSend(tlsPort, phone(lsc), registerText('SEP00AABBCCDDEE'));
    expect(r).toMatchObject({ ok: false, code: 'CLOSED' });
    expect(refusals()[0]).toMatchObject({ reason: 'invalid X.509 name', deviceName: 'SEP00AABBCCDDEE' });
    const ok = await tlsSend(tlsPort, phone(lsc), registerText(DEVICE));
    expect(ok.ok && statusOf(ok.response)).toBe(200);
  });

  it('TCP 5060 registers a non-secure phone and refuses a secure profile', async () => {
    policy.devices.set(DEVICE, { profile: 'non-secure' });
    const r = await tcpSend(tcpPort, registerText(DEVICE, { transport: 'TCP' }));
    expect(r.ok && statusOf(r.response)).toBe(200);
    expect(registrar.registrations.get(DEVICE)?.transport).toBe('tcp');
    policy.devices.set(DEVICE, { profile: 'authenticated' });
    const s = await tcpSend(tcpPort, registerText(DEVICE, { transport: 'TCP' }));
    expect(s.ok && statusOf(s.response)).toBe(403);
    expect(refusals()[0]).toMatchObject({ reason: 'secure profile requires TLS', transport: 'tcp' });
  });

  it('a malformed REGISTER gets 400 and a non-REGISTER 405', async () => {
    policy.devices.set(DEVICE, { profile: 'non-secure' });
    const bad = await tcpSend(tcpPort, registerText(DEVICE).replace(/Call-ID: [^\r]*\r\n/, ''));
    expect(bad.ok && statusOf(bad.response)).toBe(400);
    const opt = await tcpSend(tcpPort, 'OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP x;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    expect(opt.ok && statusOf(opt.response)).toBe(405);
    expect(opt.ok && opt.response).toMatch(/\r\nAllow: REGISTER\r\n/);
  });
});

describe('without the handshake tap, and with TLS 1.3 (post-handshake certificate check)', () => {
  const variants = [
    { name: 'handshakeAlerts: false, TLS 1.2', options: { handshakeAlerts: false }, client: { maxVersion: 'TLSv1.2' as const }, protocol: 'TLSv1.2' },
    { name: 'tls13: true', options: { tls13: true }, client: { minVersion: 'TLSv1.3' as const }, protocol: 'TLSv1.3' },
  ];
  for (const v of variants) {
    it(`${v.name}: accepts the LSC, refuses a rogue or missing certificate by closing (no alert)`, async () => {
      const bus = new EventBus<SipEvent>();
      const seen: SipEvent[] = [];
      bus.onAny((e) => seen.push(e));
      const r = new SipRegistrar({ policy, tlsPort: 0, tcpPort: null, events: bus, ...v.options });
      const port = (await r.listen()).port;
      try {
        const ok = await tlsSend(port, { ...phone(lsc), ...v.client }, registerText(DEVICE));
        expect(ok).toMatchObject({ ok: true, protocol: v.protocol });
        expect(ok.ok && statusOf(ok.response)).toBe(200);
        const rogue = await tlsSend(port, { ...phone(pki.rogueLeaf), ...v.client }, registerText(DEVICE));
        expect(rogue.ok).toBe(false);
        const none = await tlsSend(port, v.client, registerText(DEVICE));
        expect(none.ok).toBe(false);
        const refused = seen.filter((e): e is Extract<SipEvent, { type: 'sip.refused' }> => e.type === 'sip.refused');
        expect(refused.map((e) => e.reason)).toEqual(['unknown CA', 'certificate required']);
        expect(refused.every((e) => e.alert === undefined)).toBe(true);
      } finally {
        await r.close();
      }
    });
  }

  it('tls13: "Strongest" allows only TLS_AES_256_GCM_SHA384', async () => {
    policy.policy = 'strongest-rsa-preferred';
    const r = new SipRegistrar({ policy, tlsPort: 0, tcpPort: null, tls13: true });
    const port = (await r.listen()).port;
    try {
      expect(await tlsSend(port, { ...phone(lsc), minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' }, registerText(DEVICE))).toMatchObject({ ok: false });
      expect(await tlsSend(port, { ...phone(lsc), minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384' }, registerText(DEVICE))).toMatchObject({ ok: true, cipher: 'TLS_AES_256_GCM_SHA384' });
    } finally {
      await r.close();
    }
  });
});
