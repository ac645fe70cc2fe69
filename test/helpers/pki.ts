import { generateKeyPair, issueCertificate, type CertificateInfo, type DnSpec, type KeyPair, type KeySpec } from '../../src/pki/index.js';

/**
 * A small test PKI made fresh per test run with `@peculiar/x509` over native keys. Keys are
 * memoised per spec and label so a test file pays for each RSA key once.
 */
const keyMemo = new Map<string, Promise<KeyPair>>();

export function testKey(label: string, spec: KeySpec = { type: 'rsa', bits: 2048 }): Promise<KeyPair> {
  const id = `${label}:${JSON.stringify(spec)}`;
  let p = keyMemo.get(id);
  if (!p) {
    p = generateKeyPair(spec);
    keyMemo.set(id, p);
  }
  return p;
}

export interface TestIdentity {
  keys: KeyPair;
  certificate: CertificateInfo;
}

const YEAR = 365 * 24 * 3600 * 1000;

/** A self-signed identity with a CUCM-looking DN (`CN=<cn>;OU=VTG;O=Alpha;L=SJ;ST=CA;C=US`). */
export async function selfSigned(cn: string, spec?: KeySpec, dn?: DnSpec): Promise<TestIdentity> {
  const keys = await testKey(cn, spec);
  const certificate = await issueCertificate({
    subject: dn ?? [['C', 'US'], ['O', 'Alpha'], ['OU', 'VTG'], ['CN', cn], ['ST', 'CA'], ['L', 'SJ']],
    keys,
    notBefore: new Date(Date.UTC(2024, 0, 1)),
    notAfter: new Date(Date.UTC(2024, 0, 1) + 5 * YEAR),
    hash: 'SHA-256',
  });
  return { keys, certificate };
}
