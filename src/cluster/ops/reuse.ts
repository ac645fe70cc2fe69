import { chainTo } from '../../pki/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { certOf } from '../certs.js';
import type { ClusterEvent } from '../events.js';
import { publisherOf } from '../identity.js';
import type { ClusterState } from '../model.js';
import { install } from './generate.js';

/**
 * "Reuse Certificate" (chapter, "Reuse Multi-Server Tomcat Certificate for CallManager"):
 * CallManager takes the tomcat multi-server SAN certificate and key (tomcat-ECDSA →
 * CallManager-ECDSA). Refused unless the tomcat certificate is multi-server SAN; a CA-signed
 * tomcat certificate also needs its CA chain in CallManager-trust first (REG-11). The shared
 * certificate shrinks the ITL (FMT-6).
 */
export function reuseTomcat(state: ClusterState, which: 'tomcat' | 'tomcat-ECDSA'): ClusterEvent[] {
  const pub = publisherOf(state);
  const tomcat = state.identities.find((i) => i.purpose === which && i.nodes.includes(pub.hostname));
  if (!tomcat || tomcat.distribution !== 'multi-server') {
    throw new EmulatorError('REUSE_REQUIRES_MULTI_SERVER', `the ${which} certificate is not a multi-server SAN certificate; generate a multi-server ${which} certificate (or CSR) first`);
  }
  const target = which === 'tomcat' ? 'CallManager' : 'CallManager-ECDSA';
  if (tomcat.signedBy === 'ca') {
    const cert = certOf(tomcat.certPem);
    const anchors = state.trust.filter((t) => t.store === 'CallManager-trust' && t.node === pub.hostname).map((t) => certOf(t.certPem));
    if (!chainTo(cert, anchors, anchors).ok) {
      throw new EmulatorError('CHAIN_NOT_TRUSTED', `${which} is signed by ${cert.issuerCucm}, whose chain is not in CallManager-trust; upload the tomcat CA chain to CallManager-trust first`);
    }
  }
  return install(state, { ...tomcat, purpose: target, reusedFrom: which, rev: state.rev }, `reuses the ${which} multi-server certificate`);
}
