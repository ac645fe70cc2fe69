/**
 * Protocol constants and limits of the Trust Verification Service (formats.md §4,
 * phone-behaviour.md TVS-1..TVS-4). Limits are refused with typed errors before any allocation
 * proportional to them (conventions.md §11).
 */

/** Header byte 0 of every TVS message: 0x57 (87), as tvsd/tvsc define `PROTOCOL_ID` (formats.md §4.2). */
export const TVS_PROTOCOL_ID = 0x57;

/** Header byte 1: protocol version 1 (formats.md §4.2). */
export const TVS_PROTOCOL_VERSION = 1;

/** Header size: id, version, command, reserved, u32 session id, u16 element-area length. */
export const TVS_HEADER_BYTES = 10;

/** Each element's overhead: tag u8 + length u16be. */
export const TVS_ELEMENT_OVERHEAD = 3;

/** The TVS port on every CUCM node (phone-behaviour.md TVS-1; CUCM port-usage table). */
export const TVS_PORT = 2445;

/**
 * The TTL a TVS answer carries when the authority gives none: 86 400 s, 24 hours. CUCM's answer
 * decodes to 86400 and the phone logs "expires in 24 hours" (phone-behaviour.md TVS-4/TVS-5);
 * tvsctl's default is the same.
 */
export const DEFAULT_TTL_SECONDS = 86_400;

/**
 * The largest message the format can express: the element-area length is a u16, so
 * 10 + 65 535 bytes.
 */
export const MAX_TVS_MESSAGE_BYTES = TVS_HEADER_BYTES + 0xffff;

/**
 * Default cap on one message, 16 KiB. A request carries one DER certificate (1–2 KB for
 * RSA-4096 or EC keys) and a device name; 16 KiB leaves room for a short chain while keeping
 * what a hostile peer can make the server buffer per connection small
 * (docs/decisions/006-tvs-protocol.md).
 */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024;

/**
 * Idle timeout of a server connection: 10 s without inbound bytes, tvsd's default socket
 * timeout (`--timeout`, usecallmanagernz/daemons tvsd).
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

/**
 * Hard limit on one server connection, whatever its activity: 30 s. One exchange takes a
 * handshake and two short messages; this stops a peer that trickles bytes to stay "active".
 */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 30_000;

/** Connections served at once before new ones are dropped on accept. */
export const DEFAULT_MAX_CONNECTIONS = 512;

/** Client timeout per member, tvsc's default of 10 s. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

/**
 * Device names as tvsd validates them: `CP-<4-digit model>-SEP<12 upper-case hex>`
 * (formats.md §4.2, DEVICE_NAME). The server does not enforce it (docs/decisions/006); the
 * client refuses to send anything else.
 */
/**
 * tvsd checks `CP-<4 digits>-SEP<12 hex>`; trustlab also allows four upper-case letters and
 * digits, since models such as the DX80 have no four-digit number (`CP-DX80-SEP…`).
 */
export const DEVICE_NAME_PATTERN = /^CP-[0-9A-Z]{4}-SEP[0-9A-F]{12}$/;
