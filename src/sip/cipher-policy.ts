import { EmulatorError } from '../shared/errors.js';

/**
 * The cluster's "TLS Ciphers" enterprise parameter (phone-behaviour.md TLS-5; CUCM Security
 * Guide, certificate chapter "Interactions and Restrictions", ucm-certificates.txt) mapped to what
 * OpenSSL needs: a TLS ≤ 1.2 cipher list in server-preference order, TLS 1.3 suites (used only
 * when the registrar enables TLS 1.3), and the protocol range. docs/decisions/015 explains each
 * choice.
 *
 * | Policy | TLS 1.2 suites, server order | NULL-SHA | Versions |
 * | --- | --- | --- | --- |
 * | All Ciphers RSA Preferred (default) | ECDHE-RSA AES-256/128 GCM and CBC-SHA2, then the same ECDHE-ECDSA, AES128-SHA, NULL-SHA | yes | TLS 1.0–1.2 |
 * | All Ciphers ECDSA Preferred | the ECDSA half first | yes | TLS 1.0–1.2 |
 * | Medium – AES-256 AES-128 Only, RSA / ECDSA Preferred | the ECDHE suites only | no | TLS 1.2 |
 * | Strongest – AES-256 SHA-384 Only, RSA / ECDSA Preferred | ECDHE AES-256 SHA-384 (GCM, CBC) | no | TLS 1.2 |
 * | ECDSA Only | ECDHE-ECDSA AES-128 SHA-256 and AES-256 SHA-384 (GCM, CBC) | no | TLS 1.2 |
 *
 * - TLS-5: "All Ciphers … also allow TLS_RSA_WITH_AES_128_CBC_SHA"; with Strongest or Medium
 *   "phones cannot register in Authenticated mode, because no NULL cipher is allowed" (SC-24);
 *   "ECDSA only limits SIP to TLS_ECDHE_ECDSA_WITH_AES128_SHA256 and …_AES256_SHA384".
 * - Cisco writes these suites without the cipher mode ("AES_256_SHA384"), and elsewhere calls
 *   the RSA ones "ECDHE-RSA-AES-GCM"; both the GCM and the CBC suite of each are allowed.
 * - NULL-SHA (Authenticated mode, TLS-1) and TLS 1.0/1.1 (7900-series phones, TLS-6) are refused
 *   by OpenSSL 3 at its default security level 1; the "All" policies append `@SECLEVEL=0`
 *   (verified with Node 20's bundled OpenSSL 3.0: `NULL-SHA` alone gives "no shared cipher",
 *   `NULL-SHA:@SECLEVEL=0` negotiates TLS_RSA_WITH_NULL_SHA over TLS 1.2, and `AES128-SHA` over
 *   TLS 1.0).
 * - The certificate follows the suite: `ECDHE-RSA-*`, `AES128-SHA` and `NULL-SHA` need the RSA
 *   CallManager certificate, `ECDHE-ECDSA-*` CallManager-ECDSA (TLS-2). Both pairs go into one
 *   secure context and OpenSSL picks by the negotiated suite.
 */
export type CipherPolicyName =
  | 'all-rsa-preferred'
  | 'all-ecdsa-preferred'
  | 'medium-rsa-preferred'
  | 'medium-ecdsa-preferred'
  | 'strongest-rsa-preferred'
  | 'strongest-ecdsa-preferred'
  | 'ecdsa-only';

export type TlsVersionName = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface CipherPolicy {
  name: CipherPolicyName;
  /** The parameter's value as CUCM Administration shows it. */
  label: string;
  /** OpenSSL names, TLS ≤ 1.2, server preference order. */
  tls12: readonly string[];
  /** TLS 1.3 suites, when the registrar allows TLS 1.3 (CUCM 15SU2 and later). */
  tls13: readonly string[];
  /** Lowest TLS version the policy admits. */
  minVersion: TlsVersionName;
  /** Whether NULL-SHA (Authenticated mode) is allowed. */
  allowsNull: boolean;
}

const RSA_256 = ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-SHA384'];
const RSA_128 = ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-SHA256'];
const EC_256 = ['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES256-SHA384'];
const EC_128 = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-SHA256'];
const LEGACY = ['AES128-SHA', 'NULL-SHA'];
const T13_256 = ['TLS_AES_256_GCM_SHA384'];
const T13_128 = ['TLS_AES_128_GCM_SHA256'];

export const CIPHER_POLICIES: Readonly<Record<CipherPolicyName, CipherPolicy>> = {
  'all-rsa-preferred': {
    name: 'all-rsa-preferred', label: 'All Ciphers RSA Preferred',
    tls12: [...RSA_256, ...RSA_128, ...EC_256, ...EC_128, ...LEGACY], tls13: [...T13_256, 'TLS_CHACHA20_POLY1305_SHA256', ...T13_128],
    minVersion: 'TLSv1', allowsNull: true,
  },
  'all-ecdsa-preferred': {
    name: 'all-ecdsa-preferred', label: 'All Ciphers ECDSA Preferred',
    tls12: [...EC_256, ...EC_128, ...RSA_256, ...RSA_128, ...LEGACY], tls13: [...T13_256, 'TLS_CHACHA20_POLY1305_SHA256', ...T13_128],
    minVersion: 'TLSv1', allowsNull: true,
  },
  'medium-rsa-preferred': {
    name: 'medium-rsa-preferred', label: 'Medium – AES-256 AES-128 Only: RSA Preferred',
    tls12: [...RSA_256, ...RSA_128, ...EC_256, ...EC_128], tls13: [...T13_256, ...T13_128],
    minVersion: 'TLSv1.2', allowsNull: false,
  },
  'medium-ecdsa-preferred': {
    name: 'medium-ecdsa-preferred', label: 'Medium – AES-256 AES-128 Only: ECDSA Preferred',
    tls12: [...EC_256, ...EC_128, ...RSA_256, ...RSA_128], tls13: [...T13_256, ...T13_128],
    minVersion: 'TLSv1.2', allowsNull: false,
  },
  'strongest-rsa-preferred': {
    name: 'strongest-rsa-preferred', label: 'Strongest – AES-256 SHA-384 Only: RSA Preferred',
    tls12: [...RSA_256, ...EC_256], tls13: T13_256,
    minVersion: 'TLSv1.2', allowsNull: false,
  },
  'strongest-ecdsa-preferred': {
    name: 'strongest-ecdsa-preferred', label: 'Strongest – AES-256 SHA-384 Only: ECDSA Preferred',
    tls12: [...EC_256, ...RSA_256], tls13: T13_256,
    minVersion: 'TLSv1.2', allowsNull: false,
  },
  'ecdsa-only': {
    name: 'ecdsa-only', label: 'ECDSA Only',
    tls12: [...EC_256, ...EC_128], tls13: [...T13_256, ...T13_128],
    minVersion: 'TLSv1.2', allowsNull: false,
  },
};

/** The default of the enterprise parameter (TLS-5). */
export const DEFAULT_CIPHER_POLICY: CipherPolicyName = 'all-rsa-preferred';

/**
 * The policy named by `text`: an id (`strongest-rsa-preferred`) or the CUCM label in any case,
 * with an en dash or hyphen, "EC" or "ECDSA" ("All Ciphers EC Preferred" is the spelling).
 */
export function parseCipherPolicy(text: string): CipherPolicyName | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[–—]/g, '-').replace(/\becdsa\b/g, 'ec').replace(/[^a-z0-9]+/g, '');
  const want = norm(text);
  for (const p of Object.values(CIPHER_POLICIES)) if (norm(p.name) === want || norm(p.label) === want) return p.name;
  return undefined;
}

/** The policy for a name, throwing `INVALID_ARGUMENT` for an unknown one. */
export function cipherPolicy(name: CipherPolicyName | string): CipherPolicy {
  const p = CIPHER_POLICIES[name as CipherPolicyName] ?? CIPHER_POLICIES[parseCipherPolicy(name) ?? ('' as CipherPolicyName)];
  if (!p) throw new EmulatorError('INVALID_ARGUMENT', `unknown TLS cipher policy ${JSON.stringify(name)}`);
  return p;
}

/**
 * The OpenSSL `ciphers` string for Node: the TLS 1.2 list (plus the TLS 1.3 suites when enabled,
 * which Node hands to `SSL_CTX_set_ciphersuites`), with `@SECLEVEL=0` when the policy needs
 * NULL-SHA or TLS < 1.2.
 */
export function opensslCipherString(p: CipherPolicy, tls13: boolean): string {
  const parts = [...(tls13 ? p.tls13 : []), ...p.tls12];
  if (p.allowsNull || p.minVersion !== 'TLSv1.2') parts.push('@SECLEVEL=0');
  return parts.join(':');
}

/** True for suites without encryption (Authenticated mode). */
export function isNullCipher(name: string | undefined): boolean {
  return name !== undefined && /(^|-)NULL(-|$)|_WITH_NULL_/.test(name);
}
