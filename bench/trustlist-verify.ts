import { verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { generateKeyPair, issueCertificate, PublicKeyCache, type CertificateInfo } from '../src/pki/index.js';
import { buildTrustList, parseTrustList, Role, signedBytes, verifyTrustList, type RecordSpec } from '../src/trustlist/index.js';
import { compareSync, printComparison, type Comparison } from './harness.js';

/**
 * ITL decode-and-verify rate for a 10-record ITL signed with RSA-2048 (SHA-1), against bare
 * `crypto.verify` over the same signed bytes, in the same run:
 *
 * - warm key cache: the baseline verifies with a ready KeyObject, as the cache hands one out;
 * - cold key cache (every verify parses the signer certificate, what a phone that just booted
 *   pays once): the baseline parses the same certificate (`new X509Certificate(der).publicKey`)
 *   before verifying, because the cold path cannot avoid that either (issue 17 §4).
 */
export async function benchTrustListVerify(seconds: number): Promise<Comparison[]> {
  const now = new Date();
  const later = new Date(now.getTime() + 5 * 365 * 86400_000);
  const certs: Array<{ c: CertificateInfo; k: Awaited<ReturnType<typeof generateKeyPair>> }> = [];
  for (let i = 0; i < 5; i++) {
    const k = await generateKeyPair({ type: 'rsa', bits: 2048 });
    const c = await issueCertificate({ subject: [['C', 'US'], ['O', 'bench'], ['CN', `node${i}.bench.example`]], keys: k, notBefore: now, notAfter: later });
    certs.push({ c, k });
  }
  const roles = [Role.SAST, Role.SAST, Role.TFTP, Role.TVS, Role.TVS, Role.TVS, Role.TVS, Role.CAPF, Role.CCM, Role.CCM];
  const records: RecordSpec[] = roles.map((role, i) => ({ role, certificate: certs[i % certs.length]!.c, dnsName: `node${i}`, ipAddress: `10.0.0.${i + 1}` }));
  const signer = certs[0]!;
  const file = buildTrustList({ signer: { certificate: signer.c, privateKey: signer.k.privateKey }, records, timestamp: Math.floor(now.getTime() / 1000) });
  const parsed = parseTrustList(file);
  const data = signedBytes(file, parsed.signatureOffset, parsed.list.header.signature.length);
  const sig = parsed.list.header.signature;
  const key = signer.c.publicKey;
  if (!cryptoVerify('sha1', data, key, sig) || !verifyTrustList(file).valid) throw new Error('bench ITL does not verify');

  const bare = (): void => void cryptoVerify('sha1', data, key, sig);
  const der = signer.c.der;
  const bareCold = (): void => void cryptoVerify('sha1', data, new X509Certificate(der).publicKey, sig);
  const warm = new PublicKeyCache();
  const out = [
    compareSync(`ITL decode+verify, 10 records, RSA-2048/SHA-1 (${file.length} B), warm key cache`, 'files', 'bare crypto.verify, same bytes', bare, () => {
      if (!verifyTrustList(file, { keyCache: warm }).valid) throw new Error('invalid');
    }, seconds),
    compareSync('ITL decode+verify, cold key cache (certificate parsed each time)', 'files', 'bare X509Certificate parse + crypto.verify, same bytes', bareCold, () => {
      if (!verifyTrustList(file, { keyCache: new PublicKeyCache() }).valid) throw new Error('invalid');
    }, seconds),
  ];
  out.forEach(printComparison);
  return out;
}
