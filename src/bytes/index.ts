export { ByteReader } from './byte-reader.js';
export { ByteWriter } from './byte-writer.js';
export { toHex, toColonHex, fromHex, bytesEqual, concatBytes } from './hex.js';
