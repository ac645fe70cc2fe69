import type { CipherPolicyName } from './cipher-policy.js';

/**
 * What the registrar needs from the cluster model. The registrar asks on every connection (TLS
 * identity, cipher policy, trust) and on every REGISTER (device), so a change in the model
 * affects the next handshake or request without a restart.
 */

/** A PEM certificate (a chain is allowed: leaf first) and its PEM private key. */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

/**
 * The node's SIP TLS identities: CallManager (RSA) and, when the cluster has one,
 * CallManager-ECDSA. OpenSSL presents whichever the negotiated suite needs (TLS-2).
 */
export interface RegistrarIdentity {
  rsa: PemPair;
  ecdsa?: PemPair;
}

/** Device security mode of the phone's security profile (TLS-1). */
export type DeviceProfile = 'non-secure' | 'authenticated' | 'encrypted';

export interface RegistrarDevice {
  profile: DeviceProfile;
  /**
   * Require the client certificate's CN to equal the device name (an option of CUCM's SIP
   * security profiles for trunks and of some device profiles). Default false.
   */
  checkCertificateCn?: boolean;
}

export interface RegistrarPolicy {
  identity(): RegistrarIdentity;
  /** The cluster's "TLS Ciphers" enterprise parameter (TLS-5), see cipher-policy.ts. */
  cipherPolicy(): CipherPolicyName;
  /**
   * CallManager-trust as PEM: the CAPF certificate(s) and external CA roots that issue LSCs, and
   * whatever Cisco manufacturing roots are still there for MICs (TLS-4, CAPF-6).
   */
  callManagerTrust(): readonly string[];
  /**
   * Optional extra anchors for LSCs (the "and CAPF-trust"): pass the CAPF certificate and
   * online-CA roots only, never the MIC roots, or removing the MIC roots from CallManager-trust
   * (CAPF-6: "so that TLS requires an LSC") would not stop MICs.
   */
  capfTrust?(): readonly string[];
  /** The device's profile, or undefined for a device the cluster does not know (403). */
  device(name: string): RegistrarDevice | undefined;
  /** Longest registration granted, and the default when the phone asks for none (3600). */
  registrationExpirySeconds?(): number;
}
