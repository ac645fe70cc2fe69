import { createTransport } from 'nodemailer';

/**
 * The expiry e-mail, sent over real SMTP (nodemailer) to the configured server. Cisco does not
 * document the wording (TAC 213292 shows only a screenshot), so the subject and body are
 * trustlab's: they name the cluster, the node, the certificate and its expiry. A mail that
 * cannot be sent is a result, never an exception: the monitor turns it into an alarm.
 */
export interface MailServer {
  host: string;
  port: number;
  from: string;
}

export interface ExpiryMail {
  to: readonly string[];
  subject: string;
  text: string;
}

export const MAIL_TIMEOUT_MS = 10_000;

export async function sendMail(server: MailServer, mail: ExpiryMail, timeoutMs = MAIL_TIMEOUT_MS): Promise<{ ok: true; messageId: string } | { ok: false; message: string }> {
  const transport = createTransport({
    host: server.host, port: server.port, secure: false, ignoreTLS: true,
    connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs,
  });
  try {
    const info = await transport.sendMail({ from: server.from, to: [...mail.to], subject: mail.subject, text: mail.text });
    return { ok: true, messageId: String(info.messageId) };
  } catch (err) {
    return { ok: false, message: `SMTP ${server.host}:${server.port}: ${(err as Error).message}` };
  } finally {
    transport.close();
  }
}
