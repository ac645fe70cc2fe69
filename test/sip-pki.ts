import { toPem, issueCertificate, type CertificateInfo, type KeyPair, type KeySpec } from '../src/pki/index.js';
import { testKey } from './helpers/pki.js';

/**
 * A small lab PKI for the CAPF and registrar tests, made once per test file: a CAPF certificate
 * (CA:TRUE, pathlen 0, as CAPF-5 requires), CallManager RSA and CallManager-ECDSA identities, an
 * emulated manufacturing root → intermediate → MIC hierarchy, a second cluster's CAPF, and a
 * rogue CA nobody trusts. Keys are memoised by label (test/helpers/pki.ts).
 */
export interface TestCert {
  info: CertificateInfo;
  keys: KeyPair;
  der: Uint8Array;
  certPem: string;
  keyPem: string;
}

export const NOT_BEFORE = new Date(Date.UTC(2024, 0, 1));
export const NOT_AFTER = new Date(Date.UTC(2036, 0, 1));

function wrap(info: CertificateInfo, keys: KeyPair): TestCert {
  return { info, keys, der: info.der, certPem: toPem(info.der), keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** A CA certificate, self-signed or under `parent`. */
export async function testCa(cn: string, options: { spec?: KeySpec; parent?: TestCert; label?: string } = {}): Promise<TestCert> {
  const keys = await testKey(options.label ?? cn, options.spec);
  const info = await issueCertificate({
    subject: [['CN', cn], ['OU', 'VTG'], ['O', 'Alpha'], ['L', 'SJ'], ['ST', 'CA'], ['C', 'US']],
    keys,
    ...(options.parent ? { issuer: { certificate: options.parent.info, keys: options.parent.keys } } : {}),
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    ca: { pathLength: options.parent ? 0 : 1 },
    keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
  });
  return wrap(info, keys);
}

/** An end-entity certificate (phone MIC or server identity) issued by `issuer`, or self-signed without one. */
export async function testLeaf(cn: string, issuer: TestCert | undefined, options: { spec?: KeySpec; label?: string; notBefore?: Date; notAfter?: Date } = {}): Promise<TestCert> {
  const keys = await testKey(options.label ?? cn, options.spec);
  const info = await issueCertificate({
    subject: [['CN', cn], ['OU', 'VTG'], ['O', 'Alpha'], ['C', 'US']],
    keys,
    ...(issuer ? { issuer: { certificate: issuer.info, keys: issuer.keys } } : {}),
    notBefore: options.notBefore ?? NOT_BEFORE,
    notAfter: options.notAfter ?? NOT_AFTER,
    keyUsage: ['digitalSignature', 'keyEncipherment'],
    extendedKeyUsage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
  });
  return wrap(info, keys);
}

export interface LabPki {
  capf: TestCert;
  /** Another cluster's CAPF (SC-16). */
  otherCapf: TestCert;
  callManager: TestCert;
  callManagerEc: TestCert;
  mfgRoot: TestCert;
  mfgSub: TestCert;
  rogueCa: TestCert;
  /** MIC of SEP001122334455 under mfgSub. */
  mic: TestCert;
  /** A certificate for SEP001122334455 issued by the rogue CA. */
  rogueLeaf: TestCert;
}

export const DEVICE = 'SEP001122334455';

let memo: Promise<LabPki> | undefined;

export function labPki(): Promise<LabPki> {
  memo ??= (async () => {
    const capf = await testCa('CAPF-1a2b3c4d');
    const otherCapf = await testCa('CAPF-other-cluster');
    const mfgRoot = await testCa('Emulated Root CA M2');
    const mfgSub = await testCa('Emulated Manufacturing CA SHA2', { parent: mfgRoot });
    const rogueCa = await testCa('Rogue CA');
    const callManager = await testLeaf('cucm-pub.lab.example', undefined, { label: 'callmanager' });
    const callManagerEc = await testLeaf('cucm-pub-EC.lab.example', undefined, { spec: { type: 'ec', curve: 'P-256' }, label: 'callmanager-ec' });
    const mic = await testLeaf(DEVICE, mfgSub, { label: 'mic' });
    const rogueLeaf = await testLeaf(DEVICE, rogueCa, { label: 'rogue-leaf' });
    return { capf, otherCapf, callManager, callManagerEc, mfgRoot, mfgSub, rogueCa, mic, rogueLeaf };
  })();
  return memo;
}
