/**
 * SIP registrar constants and option defaults (RFC 3261; architecture.md "Ports";
 * phone-behaviour.md TLS-1).
 */

/** SIP over TLS for Authenticated and Encrypted phones (TLS-1). */
export const SIP_TLS_PORT = 5061;

/** SIP over TCP for non-secure phones (TLS-1). */
export const SIP_TCP_PORT = 5060;

/** Start line plus headers, up to and including the blank line. */
export const SIP_MAX_HEADER_BYTES = 8 * 1024;

/** Header fields per message (a Cisco REGISTER carries about 15). */
export const SIP_MAX_HEADERS = 64;

/** Message body (a REGISTER normally has none). */
export const SIP_MAX_BODY_BYTES = 16 * 1024;

/**
 * Registration lifetime granted when the phone asks for none or more (RFC 3261 §10.2.1.1
 * suggests 3600 s as the default; Cisco phones ask for 3600).
 */
export const SIP_DEFAULT_EXPIRES = 3600;

/**
 * Idle connection timeout. Phones re-REGISTER and keep the connection; a connection with no
 * traffic for this long (or a half-open TLS handshake) is dropped.
 */
export const SIP_IDLE_TIMEOUT_MS = 300_000;

/** Handshake must finish within this (ms); guards half-open TLS separately from the idle timeout. */
export const SIP_HANDSHAKE_TIMEOUT_MS = 30_000;

/** Simultaneous connections per listener (5060 and 5061 each have their own budget). */
export const SIP_MAX_CONNECTIONS = 4096;

/**
 * A connection must complete its first request this long after the accept (TCP) or the
 * handshake (TLS); a phone sends its REGISTER at once. Bytes that do not complete a request do
 * not extend it (issue 15 §2: idle and trickling connections locked phones out for 300 s).
 */
export const SIP_FIRST_REQUEST_TIMEOUT_MS = 10_000;
