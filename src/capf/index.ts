/**
 * CAPF — Certificate Authority Proxy Function on TLS 3804 (formats.md §5, phone-behaviour.md
 * §11): the message codec and framer, proof of possession, the LSC profile, the server, and the
 * pieces the phone-side client reuses.
 */
export { CapfCommand, CapfElement, CapfReason, CapfAuthType, CapfCertificateType, CapfKeyType, CapfCurve, CapfHash, CAPF_COMMAND_NAMES, CAPF_ELEMENT_NAMES, CAPF_CURVE_NAMES, capfCommandName } from './tables.js';
export { CAPF_PORT, CAPF_PROTOCOL_ID, CAPF_PROTOCOL_VERSION, CAPF_HEADER_BYTES, CAPF_MAX_FRAME_BYTES, CAPF_IDLE_TIMEOUT_MS, CAPF_KEYGEN_TIMEOUT_MS, CAPF_MAX_CONNECTIONS, CAPF_RSA_SIZES } from './constants.js';
export { encodeCapfMessage, decodeCapfMessage, encodedLengthCapfMessage, decodeCapfHeader, findElement, type CapfMessage, type CapfRawElement } from './message.js';
export { capfElements, capfMessage, readCapfFields, encodeCertificateValue, encodeSudiData, type CapfFields, type HashedSignature, type SudiData } from './fields.js';
export { CapfFramer } from './framer.js';
export { CapfInbox, type InboxResult } from './inbox.js';
export { proofData, sudiData, signProof, verifyProof, proofHashOf, type ProofHash } from './proof.js';
export { statusVerb, type CapfAuthority, type CapfAuthMode, type CapfDevice, type CapfIdentity, type CapfOperation, type CapfStatus, type CapfFailure } from './authority.js';
export { issueLsc, lscIssuer, lscSubject, type LscIssuerOptions } from './lsc.js';
export { runCapfSession, keyMismatch, type CapfSessionContext, type CapfSessionResult } from './session.js';
export { CapfServer, type CapfServerOptions } from './server.js';
export type { CapfEvent, CapfRefusal } from './events.js';
/** The phone's side of a CAPF session (CAPF-2, CAPF-3). */
export { runCapfClient, chooseCredential, requestedKeySpec, type CapfClientOptions, type CapfClientOutcome, type CapfClientAuth, type CapfCredential } from './client.js';
