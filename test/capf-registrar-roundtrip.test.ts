import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCapfClient } from '../src/capf/index.js';
import { toPem, type KeySpec } from '../src/pki/index.js';
import { CapfServer } from '../src/capf/index.js';
import { SipRegistrar } from '../src/sip/index.js';
import { TestCapfAuthority } from './capf-authority.js';
import { testKey } from './helpers/pki.js';
import { DEVICE, labPki, type LabPki } from './sip-pki.js';
import { registerText, statusOf, TestRegistrarPolicy, tlsSend } from './sip-helpers.js';

/**
 * Issue 5 "Must show": CAPF issues an LSC that the registrar then accepts (SC-28: enrol, then
 * register over TLS presenting the LSC), and SC-16: the same LSC is refused with "unknown CA" by
 * a registrar whose CallManager-trust lacks this CAPF certificate.
 */
let pki: LabPki;
let capf: CapfServer;
let capfPort: number;
let authority: TestCapfAuthority;
let policy: TestRegistrarPolicy;
let registrar: SipRegistrar;
let sipPort: number;

beforeAll(async () => {
  pki = await labPki();
  authority = new TestCapfAuthority({ certPem: pki.capf.certPem, keyPem: pki.capf.keyPem }, [pki.mfgRoot.certPem, pki.mfgSub.certPem]);
  capf = new CapfServer({ authority, port: 0 });
  capfPort = (await capf.listen()).port;
  policy = new TestRegistrarPolicy({ rsa: { certPem: pki.callManager.certPem, keyPem: pki.callManager.keyPem }, ecdsa: { certPem: pki.callManagerEc.certPem, keyPem: pki.callManagerEc.keyPem } }, [pki.capf.certPem]);
  registrar = new SipRegistrar({ policy, tlsPort: 0, tcpPort: null });
  sipPort = (await registrar.listen()).port;
});

afterAll(async () => {
  await capf.close();
  await registrar.close();
});

const specs: KeySpec[] = [{ type: 'rsa', bits: 2048 }, { type: 'ec', curve: 'P-256' }];

describe.each(specs)('CAPF → registrar with a %o LSC', (keySpec) => {
  it('enrols over CAPF (existing MIC), then registers over mutual TLS with the LSC; refused when CallManager-trust lacks the CAPF certificate', async () => {
    authority.devices.set(DEVICE, { authMode: 'existing-mic', operation: 'install', keySpec });
    policy.devices.set(DEVICE, { profile: 'encrypted' });
    const out = await runCapfClient({
      host: '127.0.0.1', port: capfPort, deviceName: DEVICE, capfRecords: [pki.capf.der], auth: { mode: 'existing-mic' },
      mic: { certificate: pki.mic.der, privateKey: pki.mic.keys.privateKey },
      keySource: (spec) => testKey(`roundtrip-${JSON.stringify(spec)}`, spec),
    });
    expect(out.status).toBe('installed');
    if (out.status !== 'installed') return;
    expect(authority.lscs.get(DEVICE)).toEqual(out.lsc);
    const credentials = { cert: toPem(out.lsc), key: out.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };

    policy.trust = [pki.capf.certPem];
    const ok = await tlsSend(sipPort, credentials, registerText(DEVICE));
    expect(ok.ok && statusOf(ok.response)).toBe(200);
    expect(registrar.registrations.get(DEVICE)?.certificate?.fingerprint256).toBeDefined();

    policy.trust = [pki.otherCapf.certPem, pki.mfgRoot.certPem];
    const refused = await tlsSend(sipPort, credentials, registerText(DEVICE));
    expect(refused).toMatchObject({ ok: false, code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' });
  });
});
