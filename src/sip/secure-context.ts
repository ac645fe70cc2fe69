import { constants } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { cipherPolicy, opensslCipherString, type CipherPolicyName } from './cipher-policy.js';
import type { RegistrarIdentity } from './policy.js';

/**
 * The registrar's TLS context: both identities (CallManager RSA and, if present,
 * CallManager-ECDSA) in one context so that OpenSSL presents the one the negotiated suite needs
 * (TLS-2), the policy's suites in server order, and its protocol range.
 *
 * - A client certificate is requested on every connection (5061 serves only secure profiles)
 *   and judged by the registrar, not by OpenSSL (handshake-tap.ts).
 * - Session tickets and renegotiation are off: every connection runs a full handshake whose
 *   Certificate message the registrar sees, and a phone cannot swap certificates afterwards.
 *
 * The context is rebuilt only when the identity, the policy or the TLS 1.3 switch changes, so a
 * regenerated certificate or a new "TLS Ciphers" value applies from the next connection.
 */
export function registrarSecureContext(identity: RegistrarIdentity, policyName: CipherPolicyName, tls13: boolean): SecureContext {
  const policy = cipherPolicy(policyName);
  const pairs = identity.ecdsa ? [identity.rsa, identity.ecdsa] : [identity.rsa];
  return createSecureContext({
    key: pairs.map((p) => p.keyPem),
    cert: pairs.map((p) => p.certPem),
    ciphers: opensslCipherString(policy, tls13),
    minVersion: policy.minVersion,
    maxVersion: tls13 ? 'TLSv1.3' : 'TLSv1.2',
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_NO_TICKET | constants.SSL_OP_NO_RENEGOTIATION,
  });
}

export class RegistrarContextCache {
  #key: readonly string[] | undefined;
  #context: SecureContext | undefined;

  get(identity: RegistrarIdentity, policyName: CipherPolicyName, tls13: boolean): SecureContext {
    const key = [identity.rsa.certPem, identity.rsa.keyPem, identity.ecdsa?.certPem ?? '', identity.ecdsa?.keyPem ?? '', policyName, tls13 ? '1.3' : '1.2'];
    if (this.#context && this.#key && key.every((k, i) => k === this.#key![i])) return this.#context;
    this.#context = registrarSecureContext(identity, policyName, tls13);
    this.#key = key;
    return this.#context;
  }
}
