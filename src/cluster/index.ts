/**
 * The modelled CUCM cluster (issue 3): certificates, trust stores, trust lists, signed configs,
 * TVS answers and bulk certificate management, persisted in a lab directory.
 */
export type {
  ClusterState, Release, ServiceName, Purpose, TrustStoreName, TlsCipherPolicy, EnterpriseParameters, Organization,
  NodeSpec, IdentityCert, PendingCsr, TrustEntry, ServiceState, DeviceEntry, SecurityProfile, CapfAuthMode, RevocationSettings, RevocationCheck, CertMonitorSettings, CertMonitorState,
} from './model.js';
export { RELEASES, SERVICES, PURPOSES, TRUST_STORES, TLS_CIPHER_POLICIES } from './model.js';
export { RELEASE_PROFILES, profileOf, parseRelease, releaseLabel, hasRevocation, type ReleaseProfile } from './release.js';
export { PURPOSE_RULES, IDENTITY_TVS_ROLES, commonName, type PurposeRule } from './purposes.js';
export { STORE_RULES, parseStoreName, type StoreRule } from './stores.js';
export type { ClusterEvent, OpResult } from './events.js';
export { describeClusterEvent, isPendingAction } from './describe.js';
export type { ClusterContext, LabCas } from './context.js';
export { initCluster, defaultDomain, DEFAULT_ORG, DEFAULT_PARAMS, type ClusterInit } from './init.js';
export { Cluster, requireHash, type ClusterBusEvent, type ClusterStore } from './cluster.js';
export { Lab, LAB_FORMAT_VERSION, type LabJson, type LabCreateOptions, type LabOpenOptions } from './lab.js';
export { LabRandom } from './random.js';
export { tvsVerdict, TVS_TTL_SECONDS, type TvsVerdict } from './tvs.js';
export { checkCertParams, parseHash, type CertParams } from './validation.js';
export { buildItl, itlRecords } from './files/itl.js';
export { buildCtl } from './files/ctl.js';
export { deviceConfigOf } from './files/config.js';
export { deviceName, type DeviceArgs, type CapfRecord } from './ops/devices.js';
export { BULK_TYPES, BULK_TARGETS, type BulkType, type BulkCertificate, type BulkImportChoice } from './ops/bulk.js';
export { bulkExport, bulkConsolidate, bulkList, readConsolidated, unitName, DEFAULT_BULK_PASSWORD, CONSOLIDATED_FILE, type BulkFile, type BulkUnit, type BulkPasswordOption } from './bulk-files.js';
export type { CertRow, CertFilter } from './ops/find.js';
export type { GenerateArgs } from './ops/generate.js';
export type { CsrArgs } from './ops/csr.js';
export { revocationOf, revocationActiveOn } from './ops/revocation.js';
export { certMonitorOf, CERT_MONITOR_SERVICE } from './ops/monitor.js';
export { CUCM_SERVICE_NAME, NETWORK_SERVICE_NAME, clusterServiceOf, networkServiceOf, type NetworkServiceId } from './service-names.js';
export { identityOf, publisherOf } from './identity.js';
export { pendingRestarts } from './pending.js';
export { certOf, keyOf } from './certs.js';
export { withLabLock, LAB_LOCK_FILE, DEFAULT_LOCK_TIMEOUT_MS, type LockHolder, type LabLockOptions } from './lab-lock.js';
export { ADMIN_COMMANDS, runAdminLine, usageOf, parseLine, ADMIN_NOTE, UNSUCCESSFUL, type AdminCommand, type AdminOutcome, type AdminSession, type AdminTerminal } from './admin/index.js';
