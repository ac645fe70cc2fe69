/**
 * TVS, the Trust Verification Service (formats.md §4, phone-behaviour.md §6): message codec
 * (protocol 0x57), stream framer, the server on 2445 and the client phones use.
 */
export {
  TVS_PROTOCOL_ID, TVS_PROTOCOL_VERSION, TVS_HEADER_BYTES, TVS_PORT, DEFAULT_TTL_SECONDS, MAX_TVS_MESSAGE_BYTES, DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_CLIENT_TIMEOUT_MS, DEVICE_NAME_PATTERN,
} from './constants.js';
export { TvsCommand, TvsElementTag, TvsStatus, TVS_COMMAND_NAMES, TVS_ELEMENT_NAMES, DEVICE_NAME_PREFIX, tvsCommandName, responseCommandFor } from './tags.js';
export {
  encodeTvsMessage, decodeTvsMessage, encodedLengthTvsMessage, decodeTvsHeader, decodeTvsElements, checkTvsPrefix,
  type TvsMessage, type TvsElement, type TvsHeader, type TvsDecodeOptions,
} from './message.js';
export { buildTvsRequest, parseTvsRequest, buildTvsResponse, parseTvsResponse, tvsDeviceName, type TvsRequest, type TvsResponse } from './elements.js';
export { TvsFramer } from './framer.js';
export type { TvsAuthority, TvsVerdict, TvsQueryVerdict, TvsRequestInfo } from './authority.js';
export type { TvsEvent, TvsCloseReason } from './events.js';
export { SecureContextCache, prepareIdentity, type TvsIdentity, type TlsSettings, type PreparedIdentity } from './identity.js';
export { TvsServer, type TvsServerOptions } from './server.js';
export { TvsTrust, type TvsPinMode } from './trust.js';
export { tvsExchange, type ExchangeResult, type ExchangeOptions, type TvsEndpoint } from './exchange.js';
export { tvsVerify, type TvsMember, type TvsVerifyOptions, type TvsAttempt, type TvsVerifyOutcome } from './client.js';
