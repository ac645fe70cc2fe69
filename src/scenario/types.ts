import type { Tampering } from './tamper.js';
import type { BulkType, CapfAuthMode, Purpose, Release, SecurityProfile, ServiceName, TrustStoreName } from '../cluster/index.js';

/**
 * A scenario as a tester writes it (YAML, checked against `scenario.schema.json`): the clusters,
 * the phones, the runbook's steps and named expectations. See fixtures/scenarios/ for examples
 * and docs/decisions/019-scenarios.md for the choices.
 */
export interface Scenario {
  name: string;
  description?: string;
  /** Where the scenario comes from, e.g. "phone-behaviour.md SC-3". */
  source?: string;
  /** Seeds serial numbers, MACs and model assignment; the same seed gives the same run. */
  seed?: string;
  /** Simulated start time (ISO 8601); default 2026-01-01T00:00:00Z. */
  start?: string;
  clusters: ClusterSpec[];
  fleets: FleetSpecYaml[];
  steps: Step[];
}

export interface ClusterSpec {
  name: string;
  release: Release;
  nodes: string[];
  security?: 'non-secure' | 'mixed';
  ecdsa?: boolean;
  params?: {
    tlsCiphers?: string;
    rollbackToPre80?: boolean;
    phoneInteractionOnCertUpdate?: 'automatic' | 'manual';
    fipsMode?: boolean;
    endpointAdvancedEncryption?: boolean;
    capfCertificateIssuer?: 'capf' | 'online-ca';
  };
}

export type InitialState = 'factory-fresh' | 'provisioned' | 'powered-off';

export interface FleetSpecYaml {
  name: string;
  cluster: string;
  count: number;
  /** Model weights, e.g. { "8861": 3, "7942": 1 }. */
  models: Record<string, number>;
  profile?: SecurityProfile;
  capf?: { operation?: 'install' | 'none' | 'delete'; authMode?: CapfAuthMode; authString?: string };
  /** TFTP nodes (DHCP option 150), default the publisher. */
  tftp?: string[];
  /** factory-fresh: never booted; provisioned: booted and registered before step 1; powered-off: provisioned, then switched off. */
  initial?: InitialState;
}

/** Which phones a phone step acts on: a fleet, optionally only the first `count` or a `fraction`. */
export type PhoneSelector = string | { fleet: string; count?: number; fraction?: number };

export type Step = { name?: string; 'expect-error'?: string } & (
  | { generate: { cluster: string; purpose: Purpose; node: string; keyLength?: number; hash?: string; distribution?: 'node' | 'multi-server' } }
  | { regenerate: { cluster: string; purpose: Purpose; node: string } }
  | { csr: { cluster: string; purpose: Purpose; node: string; sign?: boolean } }
  | { upload: { cluster: string; store?: TrustStoreName; node: string; from: CertRef } }
  | { delete: { cluster: string; store: TrustStoreName; node: string; name?: string; from?: CertRef } }
  | { reuse: { cluster: string; which: 'tomcat' | 'tomcat-ECDSA' } }
  | { 'bulk-export': { cluster: string } }
  | { 'bulk-consolidate': Record<string, never> | null }
  | { 'bulk-import': { cluster: string; types?: BulkType[] } }
  | { 'itl-reset': { cluster: string; key?: 'localkey' } }
  | { ctl: { cluster: string; action: 'set-mixed' | 'set-non-secure' | 'update' | 'reset-localkey' } }
  | { param: { cluster: string; name: string; value: string | boolean } }
  | { restart: { cluster: string; service: ServiceName; nodes?: string[] } }
  | { provision: { fleet: string; cluster: string; profile?: SecurityProfile; capf?: FleetSpecYaml['capf'] } }
  | { stop: { cluster: string; node?: string; service?: NetworkService } }
  | { start: { cluster: string; node?: string; service?: NetworkService } }
  | { boot: PhoneSelector }
  | { reset: PhoneSelector }
  | { 'power-off': PhoneSelector }
  | { 'power-on': PhoneSelector }
  | { 'security-reset': PhoneSelector }
  | { 'factory-reset': PhoneSelector }
  | { 'delete-itl': PhoneSelector }
  /** Open the corporate directory (HTTPS on the publisher's Tomcat, checked through TVS: SC-23). */
  | { 'open-directory': PhoneSelector }
  | { 'auth-string': { fleet: string; value: string } }
  | { move: { fleet: string; to: string; tftp?: string[]; count?: number } }
  | { tamper: { cluster: string; node?: string; file: 'ITLFile.tlv' | 'CTLFile.tlv'; how: Tampering | 'none' } }
  | { advance: string }
  | { settle: Record<string, never> | null }
  | { expect: Expectation[] }
);

export type NetworkService = 'tftp' | 'tvs' | 'sip' | 'capf' | 'http' | 'https' | 'all';

/** A certificate of the scenario: a cluster's identity, or the lab's enterprise CA. */
export type CertRef = { cluster: string; purpose: Purpose; node: string } | { ca: 'root' | 'issuing' };

export interface Expectation {
  name: string;
  /** Phones of a fleet (and model) by settled state: `count` is a number, "all" or "none". */
  phones?: { fleet?: string; model?: string; state: string; count?: number | 'all' | 'none'; atLeast?: number };
  /** Every selected phone showed (or logged) this text during the step. */
  status?: { fleet: string; contains: string; count?: number | 'all' | 'none' };
  /** The ITL installed on every phone of the fleet is signed by this certificate. */
  'itl-signer'?: { fleet: string; cluster: string; purpose: Purpose; node: string };
  /** TVS answers given by a cluster during the step. */
  'tvs-queries'?: { cluster: string; status?: 'valid' | 'invalid'; count?: number; atLeast?: number };
  /** Registrations accepted by a cluster during the step. */
  registrations?: { cluster: string; count?: number; atLeast?: number };
  /** A trust store holds (or lacks) a certificate. */
  'trust-store'?: { cluster: string; node: string; store: TrustStoreName; contains?: CertRef; lacks?: CertRef };
}
