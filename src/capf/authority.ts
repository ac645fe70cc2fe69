import type { KeySpec } from '../pki/index.js';

/**
 * What the CAPF server needs from the cluster model. The server is a thin shell: it asks the
 * authority for everything on every connection, so a change in the model (a regenerated CAPF
 * certificate, a new pending operation, a root added to CAPF-trust) affects the next session
 * without a restart.
 */

/**
 * The device's CAPF authentication mode (phone security profile / phone page, CAPF-2). The
 * server checks what the phone sends; the phone decides what to send from its own config
 * (`capfAuthMode`), see `phones/capf-client.ts`.
 *
 * - `null-string`: nothing is checked.
 * - `auth-string`: PASSWORD must equal the device's string.
 * - `existing-lsc` / `existing-mic`: CERTIFICATE + SIGNED_DATA (and SHA2_SIGNED_DATA when sent)
 *   must prove possession of a certificate that chains to CAPF-trust. "Precedence to LSC/MIC"
 *   decides which certificate the *phone* presents; the server accepts either.
 */
export type CapfAuthMode = 'null-string' | 'auth-string' | 'existing-lsc' | 'existing-mic';

/** The pending certificate operation (CAPF-1: Install/Upgrade, Delete, Troubleshoot, none). */
export type CapfOperation = 'install' | 'delete' | 'fetch' | 'none';

export interface CapfDevice {
  authMode: CapfAuthMode;
  /** For `auth-string`: the 4–10 digit string the user types on the phone. */
  authString?: string;
  operation: CapfOperation;
  /** Key the phone must generate for `install` (CAPF-5: RSA 1024–4096, EC P-256/P-384). */
  keySpec: KeySpec;
}

/** A PEM certificate (chain allowed) and its PEM private key. */
export interface CapfIdentity {
  certPem: string;
  keyPem: string;
}

/**
 * CAPF status strings as AXL reports them (`XCertificateStatus`, CAPF-7), by operation. The
 * authority may record them on the device, as CUCM shows them on the phone page.
 */
export type CapfStatus =
  | 'Upgrade Success' | 'Delete Success' | 'Troubleshoot Success'
  | `${'Upgrade' | 'Delete' | 'Troubleshoot'} Failed: ${CapfFailure}`;

export type CapfFailure =
  | 'Invalid LSC' | 'Invalid Authentication String' | 'Invalid MIC' | 'Invalid Credentials'
  | 'Phone Communication Failure' | 'Key Generation Failed' | 'Key Generation Timeout'
  | 'CA Communication Failure';

export interface CapfAuthority {
  /** The CAPF certificate and key presented on 3804 now (the publisher's CAPF identity). */
  identity(): CapfIdentity;
  /** The device's CAPF settings, or undefined for a device the cluster does not know (END_SESSION 9). */
  device(name: string): CapfDevice | undefined;
  /**
   * PEM certificates of CAPF-trust, used to check an LSC or MIC the phone authenticates with
   * (CAPF-2, CAPF-6: the MIC roots stay in CAPF-trust). The server adds its own identity
   * certificate, as capfd checks against its issuer first.
   */
  trustForAuth(): readonly string[];
  /**
   * Issues the LSC for `publicKeySpki` (DER SubjectPublicKeyInfo, already checked against
   * `keySpec`): signed by the CAPF certificate, or by the enterprise CA in online-CA mode
   * (CAPF-5). Resolves with the DER. A rejection ends the session with "CA Communication Failure".
   */
  issue(deviceName: string, publicKeySpki: Uint8Array, keySpec: KeySpec): Promise<Uint8Array>;
  /** Records the LSC the device now holds (after the phone confirmed STORE_CERT), or null after a delete. */
  recordLsc(deviceName: string, lscDer: Uint8Array | null): void;
  /** Optional: the outcome of the session's operation, as CUCM shows it. */
  recordStatus?(deviceName: string, status: CapfStatus): void;
}

/** The status prefix CUCM uses for an operation. */
export function statusVerb(op: CapfOperation): 'Upgrade' | 'Delete' | 'Troubleshoot' {
  return op === 'delete' ? 'Delete' : op === 'fetch' ? 'Troubleshoot' : 'Upgrade';
}
