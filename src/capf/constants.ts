/**
 * CAPF constants and option defaults (formats.md §5; phone-behaviour.md CAPF-3, CAPF-4;
 * architecture.md "Ports").
 */

/** TCP port of CAPF on the publisher (architecture.md; S17 port table). */
export const CAPF_PORT = 3804;

/** First header byte of every CAPF message (formats.md §5: 0x55 = 85). */
export const CAPF_PROTOCOL_ID = 0x55;

/** The VERSION element both sides send (formats.md §5: "Protocol version element = 3"). */
export const CAPF_PROTOCOL_VERSION = 3;

/** Header: protocol id u8, command u8, session id u32, element-area length u16. */
export const CAPF_HEADER_BYTES = 8;

/** Element: tag u8, length u16. */
export const CAPF_ELEMENT_OVERHEAD = 3;

/**
 * Default framer cap. The largest real message is an AUTH_RESP with a MIC, two signatures and a
 * SUDI block (≈ 4 KiB with 2048-bit keys); 16 KiB leaves room for 4096-bit keys while keeping a
 * hostile peer from holding 64 KiB per connection.
 */
export const CAPF_MAX_FRAME_BYTES = 16 * 1024;

/**
 * Default wait for any one message from the phone (and for the TLS handshake). capfd uses a
 * 10-second socket timeout for its client; a server waiting on a phone is more patient.
 */
export const CAPF_IDLE_TIMEOUT_MS = 30_000;

/**
 * Default wait for KEY_GEN_RESP after KEY_GEN_REQ. "The phone generates the key pair itself, at
 * low priority; on slow models this can take 30 minutes or more" (CAPF-3).
 */
export const CAPF_KEYGEN_TIMEOUT_MS = 45 * 60_000;

/** Default cap on simultaneous connections. */
export const CAPF_MAX_CONNECTIONS = 1024;

/** RSA sizes a KEY_GEN_REQ may ask for (CAPF-5 lists 512 too; pki keys stop at 1024). */
export const CAPF_RSA_SIZES: readonly number[] = [1024, 2048, 3072, 4096];
