import { createPrivateKey, type KeyObject } from 'node:crypto';
import { parseCertificate, type CertificateInfo } from '../pki/index.js';

/**
 * Parsed forms of the PEM strings the model stores, cached by content. Parsing a certificate
 * costs ~0.1 ms and building an ITL parses several; the model changes rarely, so every reader
 * shares these caches (bounded: entries are dropped oldest first).
 */
const MAX = 4096;
const certs = new Map<string, CertificateInfo>();
const keys = new Map<string, KeyObject>();

function bounded<V>(m: Map<string, V>, k: string, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) {
    v = make();
    if (m.size >= MAX) m.delete(m.keys().next().value!);
    m.set(k, v);
  }
  return v;
}

export function certOf(pem: string): CertificateInfo {
  return bounded(certs, pem, () => parseCertificate(pem));
}

export function keyOf(pem: string): KeyObject {
  return bounded(keys, pem, () => createPrivateKey(pem));
}
