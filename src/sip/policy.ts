import type { X509Certificate } from 'node:crypto';
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
   * Bind the TLS client certificate to the device (default true): its CN must name the device
   * (see {@link certificateNamesDevice}). CUCM does this for every TLS device (TAC 211304:
   * `validTLSConnection: TLS InvalidX509NameInCertificate, Rcvd=…, Expected=SEP…`); `false` is
   * the lab switch for a runbook that wants the lax behaviour.
   */
  checkCertificateName?: boolean;
}

/**
 * Whether a certificate's CN names the device: the device name itself (`SEP<MAC>`), or a Cisco
 * MIC's or LSC's `<model>-SEP<MAC>` (`CP-8861-SEP2C3124C9F8E1`: TAC 215014 for a MIC, TAC 213407
 * for an LSC CUCM's CAPF issued). CUCM's exact comparison is not documented; a suffix match is
 * what accepts both forms and nothing else.
 */
export function certificateNamesDevice(cn: string | undefined, deviceName: string): boolean {
  if (!cn) return false;
  const a = cn.toUpperCase();
  const d = deviceName.toUpperCase();
  return a === d || a.endsWith(`-${d}`);
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
  /**
   * Certificate Revocation on new TLS connections (14SU3+): asked once the handshake has
   * completed and the chain (leaf first, trust anchor last) is trusted, before any SIP is read. Must settle within its own
   * deadline (the OCSP client has one). Connections already open are not asked again.
   * Returns undefined, synchronously, when nothing is to be checked (revocation off): a fleet's
   * handshakes then pay nothing for it.
   */
  checkRevocation?(chain: readonly X509Certificate[]): Promise<RevocationVerdict> | undefined;
}

export type RevocationVerdict = { ok: true } | { ok: false; reason: 'certificate revoked' | 'revocation status unknown'; detail: string };
