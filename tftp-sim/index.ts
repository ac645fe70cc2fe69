/**
 * TFTP (RFC 1350, 2347, 2348, 2349, 7440): packet codec, server, client, the file-provider
 * interface the server and the HTTP file service share, and the datagram transports.
 */
export {
  Opcode, OPCODE_NAMES, TftpErrorCode, TFTP_PORT, DEFAULT_BLOCK_SIZE, MIN_BLOCK_SIZE, MAX_BLOCK_SIZE, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS,
  MIN_WINDOW_SIZE, MAX_WINDOW_SIZE, MAX_REQUEST_BYTES, BLOCK_MODULO, SERVER_DEFAULTS, CLIENT_DEFAULTS, type PacketType,
} from './constants.js';
export {
  decodePacket, encodePacket, encodedLengthPacket, type TftpPacket, type TftpOption, type RequestPacket, type DataPacket, type AckPacket,
  type ErrorPacket, type OackPacket, type DecodePacketOptions,
} from './packet.js';
export { negotiateReadOptions, interpretTimeout, checkOack, requestOptions, parseDecimal, type TransferParameters, type NegotiationResult, type RequestedOptions, type ServerOptionLimits } from './options.js';
export { toNetascii, fromNetascii } from './netascii.js';
export { TftpError, codeForRemoteError, ERROR_MESSAGES } from './errors.js';
export { checkFileName, MAX_FILE_NAME_LENGTH, type FileProvider, type FileRequestContext, type FileNameCheck, type FileNameRefusal } from './file-provider.js';
export { StaticDirectoryProvider, type StaticDirectoryOptions } from './static-provider.js';
export { udpTransport, type DatagramTransport, type DatagramEndpoint, type DatagramHandler, type BindOptions, type Peer } from './transport.js';
export { MemoryNetwork, type MemoryDatagram } from './memory-transport.js';
export { ReadSession, errorPacket, type ReadSessionState, type SessionStep, type SessionOutcome } from './read-session.js';
export { ReceiveSession, type ReceiveSessionState, type ReceiveStep, type ReceiveOutcome } from './receive-session.js';
export { TftpServer, type TftpServerOptions, type TftpListenOptions, type TftpServerStats } from './server.js';
export { tftpGet, TftpClient, type TftpGetOptions, type TftpGetResult } from './client.js';
export type { TftpEvent, TftpEventType } from './events.js';
