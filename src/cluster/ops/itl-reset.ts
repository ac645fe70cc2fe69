import { createPrivateKey } from 'node:crypto';
import { parseCertificate, pemCertificates } from '../../pki/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { certOf, keyOf } from '../certs.js';
import type { ClusterEvent } from '../events.js';
import { identityOf, publisherOf } from '../identity.js';
import type { ClusterState } from '../model.js';
import { buildTrustList } from '../../trustlist/index.js';
import { itlRecords, newestNotBefore } from '../files/itl.js';
import { profileOf } from '../release.js';

/**
 * `utils itl reset localkey | remotekey` (phone-behaviour.md REC-1, §14 C4): takes the
 * publisher's current ITL and re-signs it with the *other* SAST key the phones already hold —
 * CallManager when the normal signer is ITLRecovery (12.0+), ITLRecovery when it is CallManager
 * (≤ 11.5) — or, with `remotekey`, with a recovery key brought from an SFTP server. The reset
 * ITL is copied to every TFTP node and served until the TFTP service restarts.
 */
export interface ItlResetArgs {
  which: 'localkey' | 'remotekey';
  /** For remotekey: PEM holding the recovery certificate and its private key. */
  remoteKeyPem?: string;
}

export function utilsItlReset(state: ClusterState, a: ItlResetArgs): ClusterEvent[] {
  const pub = publisherOf(state);
  let signerCert;
  let signerKey;
  if (a.which === 'localkey') {
    const purpose = profileOf(state.release).itlSigner === 'ITLRecovery' ? 'CallManager' : 'ITLRecovery';
    const id = identityOf(state, purpose, pub.hostname)!;
    signerCert = certOf(id.certPem);
    signerKey = keyOf(id.keyPem);
  } else {
    if (!a.remoteKeyPem) throw new EmulatorError('INVALID_ARGUMENT', 'utils itl reset remotekey needs the recovery certificate and key (PEM) fetched from the SFTP server');
    const certs = pemCertificates(a.remoteKeyPem);
    if (certs.length === 0) throw new EmulatorError('PKI_BAD_CERTIFICATE', 'the recovery file holds no certificate');
    signerCert = parseCertificate(certs[0]!);
    try {
      signerKey = createPrivateKey(a.remoteKeyPem);
    } catch (cause) {
      throw new EmulatorError('PKI_BAD_KEY', 'the recovery file holds no usable private key', { cause });
    }
  }
  const records = itlRecords(state, pub);
  const bytes = buildTrustList({ signer: { certificate: signerCert, privateKey: signerKey }, records, timestamp: newestNotBefore(records), filename: 'ITLFile.tlv' });
  const tftp = state.nodes.filter((n) => n.services.includes('TFTP')).map((n) => n.hostname);
  for (const h of tftp) state.tftp.itlOverrides[h] = Buffer.from(bytes).toString('base64');
  return [
    { type: 'file.rebuilt', file: 'ITLFile.tlv', nodes: tftp, reason: `utils itl reset ${a.which}: ITL re-signed by ${signerCert.subjectCucm} until TFTP restarts` },
    { type: 'phones.reset-required', reason: 'reset the phones (Enterprise Parameters > Reset) so they take the reset ITL' },
  ];
}
