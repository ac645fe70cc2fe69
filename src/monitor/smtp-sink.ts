import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { EmulatorError } from '../shared/errors.js';
import { EventBus } from '../shared/events.js';

/**
 * A local SMTP sink (the `smtp-server` package) so that a lab's expiry mails have somewhere to go
 * with no mail server: it accepts every message (no authentication, plain SMTP on loopback), caps
 * each at 1 MiB, and writes it to `<dir>/<time>-<n>.eml`. `listen()`, idempotent `close()`.
 */
export type SmtpSinkEvent = { type: 'smtp.received'; from: string; to: string[]; subject: string; bytes: number; file: string };

export const SMTP_SINK_MAX_BYTES = 1024 * 1024;

export class SmtpSink {
  readonly events = new EventBus<SmtpSinkEvent>();
  readonly #dir: string;
  readonly #server: SMTPServer;
  #count = 0;
  #closed: Promise<void> | undefined;
  #address: AddressInfo | undefined;

  constructor(o: { dir: string }) {
    this.#dir = o.dir;
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      size: SMTP_SINK_MAX_BYTES,
      socketTimeout: 30_000,
      closeTimeout: 5_000,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= SMTP_SINK_MAX_BYTES) chunks.push(c);
        });
        stream.on('end', () => {
          if (stream.sizeExceeded) {
            callback(Object.assign(new Error('message too large'), { responseCode: 552 }));
            return;
          }
          const raw = Buffer.concat(chunks);
          const file = join(this.#dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${++this.#count}.eml`);
          void mkdir(this.#dir, { recursive: true }).then(() => writeFile(file, raw)).then(() => {
            const subject = /^Subject: (.*)$/im.exec(raw.toString('utf8'))?.[1]?.trim() ?? '';
            this.events.emit({
              type: 'smtp.received', from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), subject, bytes: raw.length, file,
            });
            callback();
          }, (err: Error) => callback(err));
        });
      },
    });
    this.#server.on('error', () => undefined);
  }

  get address(): AddressInfo | undefined {
    return this.#address;
  }

  listen(o: { host?: string; port?: number } = {}): Promise<AddressInfo> {
    const host = o.host ?? '127.0.0.1';
    const port = o.port ?? 2525;
    return new Promise((resolve, reject) => {
      const onError = (cause: NodeJS.ErrnoException): void => reject(new EmulatorError('LISTEN_FAILED', `cannot listen for SMTP on ${host}:${port}: ${cause.code ?? cause.message}`, { cause }));
      this.#server.server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.server.off('error', onError);
        this.#address = this.#server.server.address() as AddressInfo;
        resolve(this.#address);
      });
    });
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => this.#server.close(() => resolve()));
    return this.#closed;
  }
}
