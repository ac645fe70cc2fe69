/**
 * The SIP registrar of the emulated CUCM (TLS 5061, TCP 5060; phone-behaviour.md §12): REGISTER
 * parsing (RFC 3261), cipher policies, client-certificate validation, the registration table,
 * and the TLS/connection plumbing CAPF shares.
 */
export { SIP_TLS_PORT, SIP_TCP_PORT, SIP_MAX_HEADER_BYTES, SIP_MAX_HEADERS, SIP_MAX_BODY_BYTES, SIP_DEFAULT_EXPIRES, SIP_IDLE_TIMEOUT_MS, SIP_HANDSHAKE_TIMEOUT_MS, SIP_MAX_CONNECTIONS } from './constants.js';
export { SipParseError, type SipParseErrorCode } from './parse-error.js';
export { encodeSipMessage, headerValue, headerValues, splitList, canonicalName, COMPACT_FORMS, type SipMessage, type SipRequest, type SipResponse, type SipHeader } from './message.js';
export { parseSipMessage, parseSipHead, contentLengthOf, findHeadEnd, DEFAULT_SIP_LIMITS, type SipLimits } from './parser.js';
export { SipFramer } from './framer.js';
export { buildResponse, sipDate, REASON_PHRASES, type ResponseOptions } from './response.js';
export { parseAddress, parseParams, ciscoDeviceName, type AddressValue } from './contact.js';
export { handleSipRequest, type ConnectionFacts, type RegisterResult } from './register.js';
export { RegistrationTable, type Registration } from './registrations.js';
export { CIPHER_POLICIES, DEFAULT_CIPHER_POLICY, cipherPolicy, parseCipherPolicy, opensslCipherString, isNullCipher, type CipherPolicy, type CipherPolicyName, type TlsVersionName } from './cipher-policy.js';
export { registrarSecureContext, RegistrarContextCache } from './secure-context.js';
export { TlsClientHandshakeReader, certificateList, TlsContentType, TlsHandshakeType, type TlsClientEvent } from './tls-records.js';
export { HandshakeTap, type TapVerdict } from './handshake-tap.js';
export { TrustAnchors, TrustAnchorCache, commonName, alertFor, TLS_ALERT, type PeerTrustResult, type PeerTrustFailure } from './peer-trust.js';
export { certificateNamesDevice, type RegistrarPolicy, type RegistrarIdentity, type RegistrarDevice, type DeviceProfile, type PemPair, type RevocationVerdict } from './policy.js';
export type { SipEvent, SipRefusal, SipTransport, PeerCertificateSummary } from './events.js';
export { SipRegistrar, type SipRegistrarOptions } from './registrar.js';
/** The phone's side: REGISTER over TCP or TLS (TLS-1..TLS-4). */
export { sipRegister, sipClientContext, type SipRegisterOptions, type SipRegisterResult } from './client.js';
