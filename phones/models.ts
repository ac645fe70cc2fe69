import { EmulatorError } from '../src/shared/errors.js';

/**
 * Phone models and what matters for trust. Sources: phone-behaviour.md TVS-7 (SBD from
 * 7945/7965 on; 7940/7960 and Jabber have none), TLS-6 (79xx and 9971 speak TLS 1.0 only; some
 * models fail above RSA-2048 CallManager keys — the chapter's note on 3072/4096), S14/SC-25
 * (ECDSA on newer firmware), CFG-6 (11.0+ phones fetch over HTTP 6970), CAPF-3 (old models take
 * many minutes to generate keys), and the MIC issuers the chapter names.
 */
export interface PhoneModel {
  /** Marketing number as CUCM shows it (`8861`, `DX80`). */
  id: string;
  /** `CP-<id>` as the MIC and TVS device name carry it. */
  productName: string;
  family: '79xx' | '78xx' | '88xx' | '99xx' | 'DX';
  /** Security by Default: downloads and enforces an ITL, can ask TVS. */
  sbd: boolean;
  /** Accepts ECDSA certificates and ECDHE-ECDSA suites. */
  ec: boolean;
  /** Largest RSA key accepted on the CallManager certificate. */
  maxCallManagerRsaBits: 2048 | 4096;
  tlsVersions: ReadonlyArray<'TLSv1' | 'TLSv1.1' | 'TLSv1.2'>;
  /** Tries HTTP 6970 before TFTP for trust lists and configs. */
  http6970: boolean;
  protocols: ReadonlyArray<'SIP' | 'SCCP'>;
  /** Manufacturing CA that issued the MIC (chapter name). */
  micIssuer: 'Cisco_Manufacturing_CA' | 'Cisco_Manufacturing_CA_SHA2' | 'CAP-RTP-001' | 'CAP-RTP-002';
  /** Seconds the phone takes to generate an LSC key pair of 2048 bits (CAPF-3: "30 minutes or more" on slow models). */
  keyGenSeconds: number;
}

const m = (id: string, family: PhoneModel['family'], o: Omit<PhoneModel, 'id' | 'productName' | 'family'>): PhoneModel => ({ id, productName: `CP-${id}`, family, ...o });

const OLD_TLS = ['TLSv1'] as const;
const NEW_TLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2'] as const;

export const PHONE_MODELS: Readonly<Record<string, PhoneModel>> = Object.fromEntries([
  m('7960', '79xx', { sbd: false, ec: false, maxCallManagerRsaBits: 2048, tlsVersions: OLD_TLS, http6970: false, protocols: ['SCCP', 'SIP'], micIssuer: 'CAP-RTP-001', keyGenSeconds: 600 }),
  m('7942', '79xx', { sbd: true, ec: false, maxCallManagerRsaBits: 2048, tlsVersions: OLD_TLS, http6970: false, protocols: ['SCCP', 'SIP'], micIssuer: 'Cisco_Manufacturing_CA', keyGenSeconds: 300 }),
  m('7945', '79xx', { sbd: true, ec: false, maxCallManagerRsaBits: 2048, tlsVersions: OLD_TLS, http6970: false, protocols: ['SCCP', 'SIP'], micIssuer: 'Cisco_Manufacturing_CA', keyGenSeconds: 300 }),
  m('7965', '79xx', { sbd: true, ec: false, maxCallManagerRsaBits: 2048, tlsVersions: OLD_TLS, http6970: false, protocols: ['SCCP', 'SIP'], micIssuer: 'Cisco_Manufacturing_CA', keyGenSeconds: 300 }),
  m('7975', '79xx', { sbd: true, ec: false, maxCallManagerRsaBits: 2048, tlsVersions: OLD_TLS, http6970: false, protocols: ['SCCP', 'SIP'], micIssuer: 'CAP-RTP-002', keyGenSeconds: 300 }),
  m('7841', '78xx', { sbd: true, ec: true, maxCallManagerRsaBits: 4096, tlsVersions: NEW_TLS, http6970: true, protocols: ['SIP'], micIssuer: 'Cisco_Manufacturing_CA_SHA2', keyGenSeconds: 60 }),
  m('8811', '88xx', { sbd: true, ec: true, maxCallManagerRsaBits: 4096, tlsVersions: NEW_TLS, http6970: true, protocols: ['SIP'], micIssuer: 'Cisco_Manufacturing_CA_SHA2', keyGenSeconds: 30 }),
  m('8841', '88xx', { sbd: true, ec: true, maxCallManagerRsaBits: 4096, tlsVersions: NEW_TLS, http6970: true, protocols: ['SIP'], micIssuer: 'Cisco_Manufacturing_CA_SHA2', keyGenSeconds: 30 }),
  m('8845', '88xx', { sbd: true, ec: true, maxCallManagerRsaBits: 4096, tlsVersions: NEW_TLS, http6970: true, protocols: ['SIP'], micIssuer: 'Cisco_Manufacturing_CA_SHA2', keyGenSeconds: 30 }),
  m('8851', '88xx', { sbd: true, ec: true, maxCallManagerRsaBits: 4096, tlsVersions: NEW_TLS, http6970: true, protocols: ['SIP'], micIssuer: 'Cisco_Manufacturing_CA_SHA2', keyGenSeconds: 30 }),
  m('8861', '88xx', { sbd: true, ec: true, maxCallManagerRsaBits: 4096, tlsVersions: NEW_TLS, http6970: true, protocols: ['SIP'], micIssuer: 'Cisco_Manufacturing_CA_SHA2', keyGenSeconds: 30 }),
  m('8865', '88xx', { sbd: true, ec: true, maxCallManagerRsaBits: 4096, tlsVersions: NEW_TLS, http6970: true, protocols: ['SIP'], micIssuer: 'Cisco_Manufacturing_CA_SHA2', keyGenSeconds: 30 }),
  m('9971', '99xx', { sbd: true, ec: false, maxCallManagerRsaBits: 2048, tlsVersions: OLD_TLS, http6970: true, protocols: ['SIP'], micIssuer: 'Cisco_Manufacturing_CA', keyGenSeconds: 120 }),
  m('DX80', 'DX', { sbd: true, ec: true, maxCallManagerRsaBits: 4096, tlsVersions: NEW_TLS, http6970: true, protocols: ['SIP'], micIssuer: 'Cisco_Manufacturing_CA_SHA2', keyGenSeconds: 20 }),
].map((x) => [x.id, x]));

export function phoneModel(id: string): PhoneModel {
  const found = PHONE_MODELS[id.toUpperCase().replace(/^CP-/, '')];
  if (!found) throw new EmulatorError('INVALID_ARGUMENT', `unknown phone model "${id}"; known: ${Object.keys(PHONE_MODELS).join(', ')}`);
  return found;
}
