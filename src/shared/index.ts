export { EmulatorError, DecodeError, isEmulatorError, type ErrorCode, type DecodeErrorCode, type OperationErrorCode } from './errors.js';
export { SystemClock, ManualClock, systemClock, type Clock, type TimerHandle } from './clock.js';
export { EventBus, type EmulatorEventBase } from './events.js';
export { ServerLifecycle, onAbort, type ServerState, type Startable, type ListenOptions } from './lifecycle.js';
export { createLogger, nullLogger, type Logger, type LogLevel, type LogSink } from './logger.js';
export { writeFileAtomic, readFileBytes } from './fs.js';
