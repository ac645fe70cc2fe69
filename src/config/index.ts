/**
 * Device configuration files (`SEP<MAC>.cnf.xml`, architecture.md `src/config/`): the codec and
 * the small strict XML reader it needs. Pure, so that the phone machine and the cluster's config
 * builder share one definition of the format.
 */
export { encodeDeviceConfig, decodeDeviceConfig, encodedLengthDeviceConfig, type DeviceConfig, type CallManagerMember, type TvsMember } from './device-config.js';
export { parseXml, child, children, escapeXml, XML_LIMITS, type XmlElement } from './xml.js';
