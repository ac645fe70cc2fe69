import { DecodeError } from '../shared/errors.js';
import { child, children, escapeXml, parseXml, type XmlElement } from './xml.js';

/**
 * The device configuration file `SEP<MAC>.cnf.xml` (served signed as `.cnf.xml.sgn` to phones
 * that hold a trust list — phone-behaviour.md BOOT-2), reduced to the elements that decide
 * trust: the CallManager group (where to register), the TVS members (TVS-2: addresses come from
 * the config), CAPF settings (`capfAuthMode` 0 = no operation, 1 authentication string, 2 null
 * string, 3 existing LSC, 4 existing MIC — CAPF-2; `capfList`), `deviceSecurityMode` (1 non-secure,
 * 2 authenticated, 3 encrypted — TLS-1), `certHash` and `encrConfig`. Element names and nesting
 * follow real CUCM configs and the usecallmanager `sepmac-cnf-xml` notes.
 */
export interface CallManagerMember {
  priority: number;
  /** processNodeName: an IPv4 address in the lab. */
  address: string;
  ethernetPhonePort: number;
  sipPort: number;
  securedSipPort: number;
}

export interface TvsMember {
  priority: number;
  address: string;
  port: number;
}

export interface DeviceConfig {
  fullConfig: boolean;
  deviceProtocol: 'SIP' | 'SCCP';
  deviceSecurityMode: 1 | 2 | 3;
  callManagers: CallManagerMember[];
  tvs: TvsMember[];
  loadInformation: string;
  capfAuthMode: 0 | 1 | 2 | 3 | 4;
  capf: Array<{ address: string; port: number }>;
  certHash: string;
  encrConfig: boolean;
  /**
   * The HTTPS corporate directory (`<secureDirectoryURL>`, from the "Secured Directory URL"
   * enterprise parameter), which the phone opens over TLS and checks through TVS (TVS-1, SC-23).
   */
  secureDirectoryURL?: string;
}

/** The config as CUCM's TFTP service writes it (XML text; `.sgn` signing wraps these bytes). */
export function encodeDeviceConfig(c: DeviceConfig): string {
  const cm = c.callManagers
    .map((m) => `<member priority="${m.priority}"><callManager><ports><ethernetPhonePort>${m.ethernetPhonePort}</ethernetPhonePort><sipPort>${m.sipPort}</sipPort><securedSipPort>${m.securedSipPort}</securedSipPort></ports><processNodeName>${escapeXml(m.address)}</processNodeName></callManager></member>`)
    .join('\n        ');
  const tvs = c.tvs.map((t) => `<member priority="${t.priority}"><port>${t.port}</port><address>${escapeXml(t.address)}</address></member>`).join('\n      ');
  const capf = c.capf.map((x) => `<capf><phonePort>${x.port}</phonePort><processNodeName>${escapeXml(x.address)}</processNodeName></capf>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<device xsi:type="axl:XIPPhone" ctiid="1">
  <fullConfig>${c.fullConfig}</fullConfig>
  <deviceProtocol>${c.deviceProtocol}</deviceProtocol>
  <devicePool>
    <callManagerGroup>
      <members>
        ${cm}
      </members>
    </callManagerGroup>
  </devicePool>
  <TVS>
    <members>
      ${tvs}
    </members>
  </TVS>
  <loadInformation>${escapeXml(c.loadInformation)}</loadInformation>
  <capfAuthMode>${c.capfAuthMode}</capfAuthMode>
  <capfList>${capf}</capfList>
  <deviceSecurityMode>${c.deviceSecurityMode}</deviceSecurityMode>
  <certHash>${escapeXml(c.certHash)}</certHash>
  <encrConfig>${c.encrConfig}</encrConfig>${c.secureDirectoryURL ? `\n  <secureDirectoryURL>${escapeXml(c.secureDirectoryURL)}</secureDirectoryURL>` : ''}
</device>
`;
}

function int(el: XmlElement | undefined, what: string, min: number, max: number, dflt?: number): number {
  if (!el) {
    if (dflt !== undefined) return dflt;
    throw new DecodeError('XML_MALFORMED', 0, `config has no <${what}>`);
  }
  const n = Number(el.text);
  if (!Number.isInteger(n) || n < min || n > max) throw new DecodeError('XML_MALFORMED', 0, `<${what}> is "${el.text}", not an integer in ${min}..${max}`);
  return n;
}

/** Its length in bytes as served (UTF-8), the third of the codec triple (conventions.md §4). */
export function encodedLengthDeviceConfig(c: DeviceConfig): number {
  return Buffer.byteLength(encodeDeviceConfig(c), 'utf8');
}

/** Parses a device config. Throws `XML_MALFORMED` for XML or values a phone could not use. */
export function decodeDeviceConfig(input: string | Uint8Array): DeviceConfig {
  const root = parseXml(input);
  if (root.name !== 'device') throw new DecodeError('XML_MALFORMED', 0, `root element is <${root.name}>, not <device>`);
  const members = children(child(child(child(root, 'devicePool'), 'callManagerGroup'), 'members'), 'member');
  const callManagers = members.map((m) => {
    const cmEl = child(m, 'callManager');
    const ports = child(cmEl, 'ports');
    return {
      priority: Number(m.attrs.priority ?? 0),
      address: child(cmEl, 'processNodeName')?.text ?? '',
      ethernetPhonePort: int(child(ports, 'ethernetPhonePort'), 'ethernetPhonePort', 1, 65535, 2000),
      sipPort: int(child(ports, 'sipPort'), 'sipPort', 1, 65535, 5060),
      securedSipPort: int(child(ports, 'securedSipPort'), 'securedSipPort', 1, 65535, 5061),
    };
  });
  const tvs = children(child(child(root, 'TVS'), 'members'), 'member').map((m) => ({
    priority: Number(m.attrs.priority ?? 0),
    address: child(m, 'address')?.text ?? '',
    port: int(child(m, 'port'), 'port', 1, 65535, 2445),
  }));
  const capf = children(child(root, 'capfList'), 'capf').map((c) => ({
    address: child(c, 'processNodeName')?.text ?? '',
    port: int(child(c, 'phonePort'), 'phonePort', 1, 65535, 3804),
  }));
  const protocol = child(root, 'deviceProtocol')?.text ?? 'SIP';
  const directory = child(root, 'secureDirectoryURL')?.text;
  return {
    fullConfig: child(root, 'fullConfig')?.text !== 'false',
    deviceProtocol: protocol === 'SCCP' ? 'SCCP' : 'SIP',
    deviceSecurityMode: int(child(root, 'deviceSecurityMode'), 'deviceSecurityMode', 1, 3, 1) as 1 | 2 | 3,
    callManagers: callManagers.sort((a, b) => a.priority - b.priority),
    tvs: tvs.sort((a, b) => a.priority - b.priority),
    loadInformation: child(root, 'loadInformation')?.text ?? '',
    capfAuthMode: int(child(root, 'capfAuthMode'), 'capfAuthMode', 0, 4, 0) as 0 | 1 | 2 | 3 | 4,
    capf,
    certHash: child(root, 'certHash')?.text ?? '',
    encrConfig: child(root, 'encrConfig')?.text === 'true',
    ...(directory ? { secureDirectoryURL: directory } : {}),
  };
}
