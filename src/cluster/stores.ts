import type { TrustStoreName } from './model.js';
import { Role } from '../trustlist/index.js';

/**
 * Trust-store rules (phone-behaviour.md TS-3, TS-4, TVS-6; chapter "Delete a Trust
 * Certificate"; §14 C7).
 */
export interface StoreRule {
  /** Uploads replicate to every node (Certificate Change Notification sync, TS-4 S16). */
  uploadClusterWide: boolean;
  /** Deletes remove the certificate on every node (chapter: CAPF-, tomcat-, CallManager-, Phone-SAST-trust). */
  deleteClusterWide: boolean;
  /** Uploads and deletes must be done on the publisher (Phone-Edge-trust, TLS-8). */
  publisherOnly: boolean;
  /** Roles TVS returns for a certificate found here (TVS-6); empty = TVS does not vouch. */
  tvsRoles: readonly number[];
  /** Deleting restarts this service automatically (TS-4: CAPF-trust deletes restart CAPF). */
  restartsOnDelete?: 'CAPF';
}

const VPN_ROLE = 26;

export const STORE_RULES: Readonly<Record<TrustStoreName, StoreRule>> = {
  'CallManager-trust': { uploadClusterWide: true, deleteClusterWide: true, publisherOnly: false, tvsRoles: [] },
  'tomcat-trust': { uploadClusterWide: true, deleteClusterWide: true, publisherOnly: false, tvsRoles: [Role.APP_SERVER] },
  'CAPF-trust': { uploadClusterWide: false, deleteClusterWide: true, publisherOnly: false, tvsRoles: [], restartsOnDelete: 'CAPF' },
  'ipsec-trust': { uploadClusterWide: false, deleteClusterWide: false, publisherOnly: false, tvsRoles: [] },
  'TVS-trust': { uploadClusterWide: false, deleteClusterWide: false, publisherOnly: false, tvsRoles: [] },
  'Phone-SAST-trust': { uploadClusterWide: true, deleteClusterWide: true, publisherOnly: false, tvsRoles: [Role.SAST, Role.TFTP] },
  'Phone-CTL-trust': { uploadClusterWide: false, deleteClusterWide: false, publisherOnly: false, tvsRoles: [Role.APP_SERVER] },
  'Userlicensing-trust': { uploadClusterWide: false, deleteClusterWide: false, publisherOnly: false, tvsRoles: [] },
  'Phone-VPN-trust': { uploadClusterWide: false, deleteClusterWide: false, publisherOnly: false, tvsRoles: [VPN_ROLE] },
  'phone-edge-trust': { uploadClusterWide: true, deleteClusterWide: true, publisherOnly: true, tvsRoles: [] },
};

/** Case-insensitive lookup of a store name as users type it (`callmanager-trust`). */
export function parseStoreName(s: string): TrustStoreName | undefined {
  const low = s.toLowerCase();
  return (Object.keys(STORE_RULES) as TrustStoreName[]).find((n) => n.toLowerCase() === low);
}
