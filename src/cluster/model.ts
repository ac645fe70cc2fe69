import type { HashName, KeySpec } from '../pki/index.js';

/**
 * The modelled CUCM cluster's certificate side, as plain JSON-serialisable data
 * (architecture.md "Layering": the cluster model is plain data plus operations). Everything a
 * person would find in OS Administration › Certificate Management, the enterprise parameters
 * that change trust behaviour, the files the TFTP service serves and what each network service
 * loaded when it last started.
 *
 * Certificates and keys are PEM strings; `cluster.json` in the lab holds this object and is the
 * single source of truth (the PEM files beside it are written from it for people and openssl).
 */

/** Releases with distinct trust behaviour (phone-behaviour.md §2, CTL-2, REG-1; chapter Table 8). */
export type Release = '11.5' | '12.5' | '14' | '15';
export const RELEASES: readonly Release[] = ['11.5', '12.5', '14', '15'];

/** Activated services that matter for trust. CAPF runs on the publisher only. */
export type ServiceName = 'TFTP' | 'TVS' | 'CallManager' | 'CAPF';
export const SERVICES: readonly ServiceName[] = ['TFTP', 'TVS', 'CallManager', 'CAPF'];

/** Identity certificate purposes (chapter: "Simplified Certificate Management", Table 6). */
export type Purpose = 'CallManager' | 'CallManager-ECDSA' | 'tomcat' | 'tomcat-ECDSA' | 'ipsec' | 'CAPF' | 'TVS' | 'ITLRecovery';
export const PURPOSES: readonly Purpose[] = ['CallManager', 'CallManager-ECDSA', 'tomcat', 'tomcat-ECDSA', 'ipsec', 'CAPF', 'TVS', 'ITLRecovery'];

/** Trust stores the chapter names. */
export type TrustStoreName =
  | 'CallManager-trust' | 'tomcat-trust' | 'CAPF-trust' | 'ipsec-trust' | 'TVS-trust'
  | 'Phone-SAST-trust' | 'Phone-CTL-trust' | 'Userlicensing-trust' | 'Phone-VPN-trust' | 'phone-edge-trust';
export const TRUST_STORES: readonly TrustStoreName[] = [
  'CallManager-trust', 'tomcat-trust', 'CAPF-trust', 'ipsec-trust', 'TVS-trust',
  'Phone-SAST-trust', 'Phone-CTL-trust', 'Userlicensing-trust', 'Phone-VPN-trust', 'phone-edge-trust',
];

/** The "TLS Ciphers" enterprise parameter (phone-behaviour.md TLS-5). */
export type TlsCipherPolicy =
  | 'All Ciphers RSA Preferred' | 'All Ciphers EC Preferred'
  | 'Strongest - AES-256 SHA-384 Only: RSA Preferred' | 'Strongest - AES-256 SHA-384 Only: EC Preferred'
  | 'Medium - AES-256 AES-128 Only: RSA Preferred' | 'Medium - AES-256 AES-128 Only: EC Preferred'
  | 'ECDSA Only';
export const TLS_CIPHER_POLICIES: readonly TlsCipherPolicy[] = [
  'All Ciphers RSA Preferred', 'All Ciphers EC Preferred',
  'Strongest - AES-256 SHA-384 Only: RSA Preferred', 'Strongest - AES-256 SHA-384 Only: EC Preferred',
  'Medium - AES-256 AES-128 Only: RSA Preferred', 'Medium - AES-256 AES-128 Only: EC Preferred',
  'ECDSA Only',
];

export interface EnterpriseParameters {
  /** 14+ only: reset phones automatically when TVS, CAPF or TFTP certificates change (REG-1). */
  phoneInteractionOnCertUpdate: 'automatic' | 'manual';
  /** "Prepare Cluster for Rollback to pre-8.0": serve an ITL with empty TVS/TFTP sections (ITL-8). */
  rollbackToPre80: boolean;
  /** FIPS mode: certificates must use SHA-256 (chapter Table 5/6 notes). */
  fipsMode: boolean;
  tlsCiphers: TlsCipherPolicy;
  /** "Endpoint Advanced Encryption Algorithm Support" (needed for EC LSCs, CAPF-5). */
  endpointAdvancedEncryption: boolean;
  /**
   * CAPF service parameter "Certificate Issuer to Endpoint" (CAPF-5): LSCs signed by the CAPF
   * certificate (`capf`, the default when absent) or by an online enterprise CA (`online-ca`; the
   * lab's enterprise issuing CA stands in for it). With `online-ca` the CA's chain must be in
   * CallManager-trust for the LSCs to register, as on a real cluster.
   */
  capfCertificateIssuer?: 'capf' | 'online-ca';
  /**
   * Enterprise parameters "Certificate Validity Check" and "Validity Check Frequency" (days), in
   * the Certificate Revocation and Expiry pane: re-checks for long-lived connections (CTI, IPsec,
   * LDAP; ucm-certificates.txt step 11). The Enable Revocation Check interval takes precedence
   * (the note after step 11). Absent means disabled, 1 day (defaults not documented).
   */
  certificateValidityCheck?: boolean;
  validityCheckFrequencyDays?: number;
}

/**
 * Certificate Revocation (Cisco Unified OS Administration > Security > Certificate Revocation,
 * ucm-certificates.txt "Certificate Revocation Configuration"; applicable from 14SU3). The field
 * names follow the page: Enable OCSP, Use OCSP URI from Certificate / Use Configured OCSP URI,
 * OCSP Configured URI, Enable Revocation Check with a frequency in hours or days, Enable CRL, CRL
 * Distribution Point URI. The page's defaults are not documented; all start off.
 */
export interface RevocationSettings {
  ocspEnabled: boolean;
  ocspUriSource: 'certificate' | 'configured';
  ocspConfiguredUri?: string;
  revocationCheckEnabled: boolean;
  checkEvery: number;
  checkUnit: 'hours' | 'days';
  crlEnabled: boolean;
  crlUri?: string;
}

export const DEFAULT_REVOCATION_SETTINGS: RevocationSettings = {
  ocspEnabled: false, ocspUriSource: 'certificate', revocationCheckEnabled: false, checkEvery: 1, checkUnit: 'days', crlEnabled: false,
};

/** The last revocation check of one certificate on one node (shown by `cert revocation show`). */
export interface RevocationCheck {
  node: string;
  /** `identity/<purpose>` or `trust/<store>/<name>`. */
  where: string;
  subject: string;
  serial: string;
  status: 'good' | 'revoked' | 'unknown' | 'error';
  /** How: OCSP under a trust model, or the CRL. */
  by?: 'OCSP DTM' | 'OCSP TRP' | 'CRL';
  /** For `error`: the OCSP/CRL result code (docs/errors.md). */
  code?: string;
  message?: string;
  checkedAt: string;
  /** Why it ran: an upload, the schedule, or the administrator. */
  trigger: 'upload' | 'schedule' | 'manual';
}

/**
 * The Certificate Monitor page (Cisco Unified OS Administration > Security > Certificate
 * Monitor) and the "Cisco Certificate Expiry Monitor" network service (ucm-certificates.txt,
 * "Certificate Monitoring Configuration"; field names and defaults: src/monitor/settings.ts).
 * Where mail and syslog go is configured elsewhere on CUCM (the SMTP server under OS
 * Administration > Settings, remote syslog under Serviceability); trustlab keeps them here.
 */
export interface CertMonitorSettings {
  notificationStartDays: number;
  notificationFrequency: { every: number; unit: 'hours' | 'days' };
  emailEnabled: boolean;
  emailIds: string[];
  lscMonitoring: boolean;
  smtp?: { host: string; port: number; from: string };
  syslog?: { host: string; port: number };
}

/**
 * Defaults: Cisco documents none of them (the field names are the Security Guide's). 30 days and
 * a daily notification are trustlab's choice; e-mail and LSC monitoring start off, as check
 * boxes do.
 */
export const DEFAULT_CERT_MONITOR_SETTINGS: CertMonitorSettings = {
  notificationStartDays: 30, notificationFrequency: { every: 1, unit: 'days' }, emailEnabled: false, emailIds: [], lscMonitoring: false,
};

export interface CertMonitorState {
  settings: CertMonitorSettings;
  /** The network service: running (since `startedAt`, ISO, or since the cluster came up when null), or stopped. */
  service: { running: boolean; startedAt: string | null };
}

export interface Organization {
  ou: string;
  o: string;
  l: string;
  st: string;
  c: string;
}

export interface NodeSpec {
  hostname: string;
  domain: string;
  ipv4: string;
  role: 'publisher' | 'subscriber';
  services: ServiceName[];
}

/** One identity certificate, held by one node or (multi-server SAN, cluster-wide) by several. */
export interface IdentityCert {
  purpose: Purpose;
  /** Hostnames that hold this certificate as their `purpose` identity. */
  nodes: string[];
  distribution: 'node' | 'multi-server';
  certPem: string;
  keyPem: string;
  signedBy: 'self' | 'ca';
  /** Set when CallManager(-ECDSA) reuses the tomcat(-ECDSA) multi-server certificate. */
  reusedFrom?: 'tomcat' | 'tomcat-ECDSA';
  keySpec: KeySpec;
  hash: HashName;
  validityYears: number;
  /** Model revision at which it was made. */
  rev: number;
}

/** A CSR awaiting its CA-signed certificate ("a new CSR overwrites the old one"). */
export interface PendingCsr {
  purpose: Purpose;
  /** The node it was generated on (publisher for multi-server). */
  node: string;
  distribution: 'node' | 'multi-server';
  csrPem: string;
  keyPem: string;
  keySpec: KeySpec;
  hash: HashName;
  rev: number;
}

export interface TrustEntry {
  store: TrustStoreName;
  node: string;
  /** File name in the store: the certificate's CN (TS-2). */
  name: string;
  certPem: string;
  source: 'system' | 'upload' | 'bulk-import' | 'identity';
  description?: string;
  /** Model revision at which it arrived on this node (TVS sees it after its next restart). */
  rev: number;
}

/** What a running service loaded when it last (re)started. */
export interface ServiceState {
  node: string;
  service: ServiceName;
  /** Model revision at (re)start: TVS answers from trust that had arrived by then. */
  startedRev: number;
  /** Identity certificates the service presents, as loaded at (re)start (PEM, by purpose). */
  loaded: Partial<Record<Purpose, { certPem: string; keyPem: string }>>;
  /** Restarts owed since the last (re)start, with the operation that asked for each (pending.ts). */
  pending?: PendingRestart[];
}

/** A restart the administrator still owes a service, and why (CUCM's "restart the … service" notice). */
export interface PendingRestart {
  /** The operation that required it, as the cluster's log names it ("regenerate CallManager on pub"). */
  operation: string;
  reason: string;
  /** Model revision of that operation. */
  rev: number;
}

export type SecurityProfile = 'non-secure' | 'authenticated' | 'encrypted';
export type CapfAuthMode = 'null-string' | 'auth-string' | 'existing-lsc' | 'existing-mic';

/** A phone as provisioned in CUCM Administration (what its config file says). */
export interface DeviceEntry {
  /** `SEP` + 12 upper-case hex digits. */
  name: string;
  /** Marketing model number, e.g. `8861`. */
  model: string;
  protocol: 'SIP' | 'SCCP';
  profile: SecurityProfile;
  capf: {
    authMode: CapfAuthMode;
    authString?: string;
    operation: 'none' | 'install' | 'delete' | 'troubleshoot';
    keySpec: KeySpec;
    /** The last CAPF operation's status as the phone page shows it (CAPF-7). */
    status?: string;
  };
  /** CallManager group, in priority order (hostnames). */
  callManagerGroup: string[];
  /** The LSC this cluster's CAPF issued to it, if any. */
  lscPem?: string;
}

export interface ClusterState {
  formatVersion: 1;
  name: string;
  release: Release;
  securityMode: 'non-secure' | 'mixed';
  org: Organization;
  params: EnterpriseParameters;
  nodes: NodeSpec[];
  identities: IdentityCert[];
  csrs: PendingCsr[];
  trust: TrustEntry[];
  services: ServiceState[];
  /** Files the TFTP service holds that are not rebuilt on each read. */
  tftp: {
    /** `utils itl reset` ITLs, per TFTP node, until TFTP restarts (base64). */
    itlOverrides: Record<string, string>;
    /** The CTL file as last written by `utils ctl` (base64), or null if none was ever made. */
    ctl: string | null;
  };
  devices: DeviceEntry[];
  /** Serial counter for CAPF-issued LSCs and other cluster-minted serials. */
  nextSerial: number;
  /** Increments on every successful operation. */
  rev: number;
  /** Service Update level of `release` (14SU3 → 3); absent means 0. */
  su?: number;
  /** Certificate Revocation settings (14SU3+); absent means the defaults. */
  revocation?: RevocationSettings;
  /** The latest revocation check of each certificate. */
  revocationChecks?: RevocationCheck[];
  /** Model revision of the last Certificate Revocation change: services started before it have not enabled it yet. */
  revocationRev?: number;
  /** `utils fips_common_criteria enable`: Revoked and Unknown fail a connection (chapter, Warning after step 10). */
  commonCriteria?: boolean;
  /** Certificate Monitor settings and service; absent means the defaults, running since the cluster was made. */
  certMonitor?: CertMonitorState;
}
