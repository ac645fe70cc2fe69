/** trustlab's library surface: one namespace per subsystem (conventions.md §1). */
export * as bytes from './bytes/index.js';
export * as trustlist from './trustlist/index.js';
export * as pki from './pki/index.js';
export { EmulatorError, DecodeError, isEmulatorError, type ErrorCode } from './shared/errors.js';
