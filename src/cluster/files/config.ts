import { createHash } from 'node:crypto';
import { buildSignedFile } from '../../trustlist/index.js';
import { encodeDeviceConfig, type DeviceConfig } from '../../config/index.js';
import { certOf, keyOf } from '../certs.js';
import { identityOf, publisherOf } from '../identity.js';
import type { CapfAuthMode, ClusterState, DeviceEntry, NodeSpec } from '../model.js';
import { profileOf } from '../release.js';

/**
 * `SEP<MAC>.cnf.xml` and its signed form, as a TFTP node serves them (phone-behaviour.md §5):
 * the signature is made with *that TFTP node's CallManager key*, even from 12.0 where the ITL is
 * signed by ITLRecovery (CFG-1). The TVS members are the CallManager group's nodes that run TVS
 * (TVS-2, "addresses come from the config"); CAPF is the publisher on 3804; the secure corporate
 * directory is the publisher's Tomcat on 8443 (SC-23).
 */
const CAPF_MODE: Record<CapfAuthMode, 1 | 2 | 3 | 4> = { 'auth-string': 1, 'null-string': 2, 'existing-lsc': 3, 'existing-mic': 4 };
const SECURITY_MODE = { 'non-secure': 1, authenticated: 2, encrypted: 3 } as const;

export function deviceConfigOf(state: ClusterState, device: DeviceEntry): DeviceConfig {
  const group = device.callManagerGroup.map((h) => state.nodes.find((n) => n.hostname === h)).filter((n): n is NodeSpec => n !== undefined);
  const pub = publisherOf(state);
  return {
    fullConfig: true,
    deviceProtocol: device.protocol,
    deviceSecurityMode: SECURITY_MODE[device.profile],
    callManagers: group.filter((n) => n.services.includes('CallManager')).map((n, i) => ({ priority: i, address: n.ipv4, ethernetPhonePort: 2000, sipPort: 5060, securedSipPort: 5061 })),
    tvs: group.filter((n) => n.services.includes('TVS')).map((n, i) => ({ priority: i, address: n.ipv4, port: 2445 })),
    loadInformation: `sip${device.model}.${profileOf(state.release).loadPrefix}-1-0001-1`,
    capfAuthMode: device.capf.operation === 'none' ? 0 : CAPF_MODE[device.capf.authMode],
    capf: pub.services.includes('CAPF') ? [{ address: pub.ipv4, port: 3804 }] : [],
    certHash: device.lscPem ? createHash('md5').update(certOf(device.lscPem).der).digest('hex') : '',
    encrConfig: false,
    // The "Secured Directory URL" enterprise parameter's default form: Tomcat on the publisher.
    secureDirectoryURL: `https://${pub.ipv4}:8443/ccmcip/xmldirectory.jsp`,
  };
}

export function buildConfigXml(state: ClusterState, device: DeviceEntry): Uint8Array {
  return new TextEncoder().encode(encodeDeviceConfig(deviceConfigOf(state, device)));
}

/** The signed config as `node` serves it, or undefined when that node has no CallManager certificate. */
export function buildSignedConfig(state: ClusterState, device: DeviceEntry, node: NodeSpec, timestamp: number): Uint8Array | undefined {
  const cm = identityOf(state, 'CallManager', node.hostname);
  if (!cm) return undefined;
  return buildSignedFile({
    signer: { certificate: certOf(cm.certPem), privateKey: keyOf(cm.keyPem) },
    payload: buildConfigXml(state, device),
    filename: `${device.name}.cnf.xml.sgn`,
    timestamp,
  });
}
