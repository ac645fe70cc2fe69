import { EmulatorError } from '../../shared/errors.js';
import type { KeySpec } from '../../pki/index.js';
import type { ClusterEvent } from '../events.js';
import type { CapfAuthMode, ClusterState, DeviceEntry, SecurityProfile } from '../model.js';

/**
 * Phones as provisioned in CUCM Administration: device name `SEP<MAC>`, model, protocol,
 * phone security profile (TLS-1) and the CAPF section of the phone configuration (CAPF-2).
 * Their configuration files are built from these entries on each read.
 */
export interface DeviceArgs {
  mac: string;
  model: string;
  protocol?: 'SIP' | 'SCCP';
  profile?: SecurityProfile;
  capf?: { authMode?: CapfAuthMode; authString?: string; operation?: DeviceEntry['capf']['operation']; keySpec?: KeySpec };
  callManagerGroup?: string[];
}

export function deviceName(mac: string): string {
  const m = mac.replace(/[:.-]/g, '').toUpperCase();
  if (!/^[0-9A-F]{12}$/.test(m)) throw new EmulatorError('INVALID_ARGUMENT', `MAC "${mac}" must be 12 hex digits`);
  return `SEP${m}`;
}

function entryOf(state: ClusterState, a: DeviceArgs): DeviceEntry {
  const group = a.callManagerGroup ?? state.nodes.filter((n) => n.services.includes('CallManager')).map((n) => n.hostname);
  for (const h of group) if (!state.nodes.some((n) => n.hostname === h)) throw new EmulatorError('NODE_NOT_FOUND', `CallManager group names unknown node "${h}"`);
  return {
    name: deviceName(a.mac),
    model: a.model,
    protocol: a.protocol ?? 'SIP',
    profile: a.profile ?? 'non-secure',
    capf: {
      authMode: a.capf?.authMode ?? 'null-string',
      ...(a.capf?.authString !== undefined ? { authString: a.capf.authString } : {}),
      operation: a.capf?.operation ?? 'none',
      keySpec: a.capf?.keySpec ?? { type: 'rsa', bits: 2048 },
    },
    callManagerGroup: group,
  };
}

/** Adds or replaces devices (by name). */
export function upsertDevices(state: ClusterState, list: readonly DeviceArgs[]): ClusterEvent[] {
  const byName = new Map(state.devices.map((d, i) => [d.name, i]));
  let added = 0;
  let changed = 0;
  for (const a of list) {
    const e = entryOf(state, a);
    const i = byName.get(e.name);
    if (i === undefined) {
      byName.set(e.name, state.devices.length);
      state.devices.push(e);
      added++;
    } else {
      const old = state.devices[i]!;
      state.devices[i] = { ...e, ...(old.lscPem ? { lscPem: old.lscPem } : {}) };
      changed++;
    }
  }
  return [{ type: 'device.changed', device: list.length === 1 ? deviceName(list[0]!.mac) : `${list.length} devices`, change: `${added} added, ${changed} updated` }];
}

export function requireDevice(state: ClusterState, name: string): DeviceEntry {
  const d = state.devices.find((x) => x.name === name.toUpperCase() || x.name === `SEP${name.toUpperCase()}`);
  if (!d) throw new EmulatorError('DEVICE_NOT_FOUND', `no device ${name} in cluster ${state.name}`);
  return d;
}

export function removeDevice(state: ClusterState, name: string): ClusterEvent[] {
  const d = requireDevice(state, name);
  state.devices = state.devices.filter((x) => x !== d);
  return [{ type: 'device.changed', device: d.name, change: 'removed' }];
}

/** One CAPF outcome to record: the LSC now held (or null after a delete) and/or the status CUCM shows. */
export interface CapfRecord {
  device: string;
  /** The LSC the device now holds, `null` after a delete; absent when only the status changes. */
  lscPem?: string | null;
  /** "Upgrade Success", "Upgrade Failed: Invalid MIC", … (AXL XCertificateStatus, CAPF-7). */
  status?: string;
}

/**
 * Records what the cluster's CAPF did for devices (CAPF-7): which LSC a device holds, and the
 * operation status shown on the phone page. A finished install or delete clears the pending
 * operation, as CUCM sets it back to "No Pending Operation". Devices removed meanwhile are
 * skipped: CAPF finished a session for a device the administrator has since deleted.
 */
export function recordCapf(state: ClusterState, records: readonly CapfRecord[]): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  for (const r of records) {
    const d = state.devices.find((x) => x.name === r.device.toUpperCase());
    if (!d) continue;
    if (r.status !== undefined) d.capf.status = r.status;
    if (r.lscPem === undefined) continue;
    if (r.lscPem) d.lscPem = r.lscPem;
    else delete d.lscPem;
    d.capf.operation = 'none';
    events.push({ type: 'device.changed', device: d.name, change: r.lscPem ? 'LSC installed' : 'LSC deleted' });
  }
  return events;
}
