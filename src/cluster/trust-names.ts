import type { CertificateInfo } from '../pki/index.js';

/**
 * The file name a certificate gets in a trust store: its CN (TS-2: "Trust files are stored
 * under the certificate's CN"), with characters a file name cannot hold replaced, or the
 * serial when there is no CN.
 */
export function trustNameOf(c: CertificateInfo): string {
  const cn = c.subject.find(([k]) => k === 'CN')?.[1];
  const base = cn ?? `serial-${c.serialHex}`;
  return base.replace(/[\s/\\:*?"<>|]+/g, '_').replace(/^\.+/, '_').slice(0, 120) || `serial-${c.serialHex}`;
}
