import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureVersion } from 'node:tls';
import { EmulatorError } from '../src/shared/errors.js';

/**
 * The TVS server's certificate and key, read from the cluster model for every new connection
 * (issue 5 item 4: a certificate change in the model reaches the next handshake without a
 * restart). PEM: the certificate first (a chain may follow), then any PEM private key.
 */
export interface TvsIdentity {
  certPem: string;
  keyPem: string;
}

/** TLS settings shared by every identity a server presents. */
export interface TlsSettings {
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  ciphers?: string;
}

/** A ready TLS context and the fingerprint of the certificate it presents. */
export interface PreparedIdentity {
  context: SecureContext;
  /** SHA-256 (lowercase hex) of the leaf certificate the server presents. */
  certificateSha256: string;
}

/**
 * Builds a `SecureContext` per identity and keeps the last one, so that an unchanged identity
 * costs two string comparisons per connection and a changed one is picked up at once.
 *
 * The certificate and key are checked first, so a broken identity is reported as
 * `PKI_BAD_CERTIFICATE` / `PKI_BAD_KEY` rather than an OpenSSL message.
 *
 * @note TLS 1.0/1.1 (`minVersion`), which 7900-series phones need (formats.md §4.1), is only
 * negotiable at OpenSSL security level 0, so `@SECLEVEL=0` is appended to the cipher list then.
 */
export class SecureContextCache {
  readonly #settings: TlsSettings;
  #last: { certPem: string; keyPem: string; prepared: PreparedIdentity } | undefined;

  constructor(settings: TlsSettings = {}) {
    this.#settings = settings;
  }

  /** The context for `identity`, built once per distinct certificate and key. */
  get(identity: TvsIdentity): PreparedIdentity {
    const last = this.#last;
    if (last && last.certPem === identity.certPem && last.keyPem === identity.keyPem) return last.prepared;
    const prepared = prepareIdentity(identity, this.#settings);
    this.#last = { certPem: identity.certPem, keyPem: identity.keyPem, prepared };
    return prepared;
  }
}

/** Checks an identity and builds its TLS context. Throws `PKI_BAD_CERTIFICATE` / `PKI_BAD_KEY`. */
export function prepareIdentity(identity: TvsIdentity, settings: TlsSettings = {}): PreparedIdentity {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(identity.certPem);
  } catch (cause) {
    throw new EmulatorError('PKI_BAD_CERTIFICATE', `TVS identity certificate is unusable: ${(cause as Error).message}`, { cause });
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(identity.keyPem))) throw new Error('the key does not belong to the certificate');
  } catch (cause) {
    throw new EmulatorError('PKI_BAD_KEY', `TVS identity key is unusable: ${(cause as Error).message}`, { cause });
  }
  const legacy = settings.minVersion === 'TLSv1' || settings.minVersion === 'TLSv1.1';
  const ciphers = legacy ? `${settings.ciphers ?? 'DEFAULT'}:@SECLEVEL=0` : settings.ciphers;
  let context: SecureContext;
  try {
    context = createSecureContext({
      cert: identity.certPem,
      key: identity.keyPem,
      ...(settings.minVersion ? { minVersion: settings.minVersion } : {}),
      ...(settings.maxVersion ? { maxVersion: settings.maxVersion } : {}),
      ...(ciphers ? { ciphers } : {}),
    });
  } catch (cause) {
    throw new EmulatorError('INVALID_ARGUMENT', `TVS TLS settings refused: ${(cause as Error).message}`, { cause });
  }
  return { context, certificateSha256: createHash('sha256').update(leaf.raw).digest('hex') };
}
