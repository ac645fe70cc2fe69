/**
 * Namespaced logging through an injected sink (conventions.md §12). Library code logs through
 * a `Logger`; only the CLI decides where lines go (terminal, JSON lines, nowhere).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  child(namespace: string): Logger;
}

export type LogSink = (line: { level: LogLevel; namespace: string; message: string; fields?: Record<string, unknown>; time: number }) => void;

export function createLogger(sink: LogSink, namespace = 'trustlab', now: () => number = Date.now): Logger {
  return {
    log: (level, message, fields) => sink({ level, namespace, message, ...(fields ? { fields } : {}), time: now() }),
    child: (ns) => createLogger(sink, `${namespace}:${ns}`, now),
  };
}

/** A logger that drops everything (the default for library objects). */
export const nullLogger: Logger = { log: () => undefined, child: () => nullLogger };
