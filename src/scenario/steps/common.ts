import type { ClusterEvent, OpResult } from '../../cluster/index.js';
import { EmulatorError } from '../../shared/errors.js';
import type { VirtualPhone } from '../../../phones/index.js';
import type { ScenarioContext } from '../context.js';
import type { PhoneSelector } from './schemas.js';

/** The cluster's own account of an operation, one line per event, for the report. */
export const describeOp = (cluster: string, r: OpResult): string[] => r.events.map((e) => `${cluster}: ${describeClusterEvent(e)}`);

export function describeClusterEvent(e: ClusterEvent): string {
  switch (e.type) {
    case 'cert.generated': return `${e.purpose} ${e.signedBy === 'ca' ? 'CA-signed certificate installed' : 'regenerated'} on ${e.nodes.join(', ')}`;
    case 'csr.generated': return `CSR for ${e.purpose} on ${e.node}`;
    case 'trust.added': return `${e.store}/${e.name} added on ${e.nodes.join(', ')}`;
    case 'trust.unchanged': return `${e.store}/${e.name} already present`;
    case 'trust.deleted': return `${e.store}/${e.name} deleted on ${e.nodes.join(', ')}`;
    case 'file.rebuilt': return `${e.file} rebuilt: ${e.reason}`;
    case 'service.restart': return `${e.automatic ? 'restarted' : 'restart required'}: ${e.service} on ${e.nodes.join(', ')}`;
    case 'phones.reset': return `${e.automatic ? 'phones reset automatically' : 'phones need a reset'}: ${e.reason}`;
    case 'ctl.update.required': return `CTL update required: ${e.reason}`;
    case 'cluster.mode': return `security mode ${e.securityMode}`;
    case 'param.changed': return `${e.name} = ${String(e.value)}`;
    case 'device.changed': return `${e.device}: ${e.change}`;
    case 'warning': return `warning ${e.code}: ${e.message}`;
  }
}

/** Phones a selector names. */
export function selectPhones(ctx: ScenarioContext, sel: PhoneSelector): VirtualPhone[] {
  const s = typeof sel === 'string' ? { fleet: sel } : sel;
  const phones = ctx.requireFleet(s.fleet).fleet.phones;
  const n = s.count ?? (s.fraction !== undefined ? Math.round(phones.length * s.fraction) : phones.length);
  return phones.slice(0, Math.min(n, phones.length));
}

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, y: 365 * 86_400_000 } as const;

/** Parses "24h", "30m", "1.5d", "5y". */
export function durationMs(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d|y)$/.exec(text.trim());
  if (!m) throw new EmulatorError('INVALID_ARGUMENT', `"${text}" is not a duration like 24h, 30m or 5y`);
  return Math.round(Number(m[1]) * UNITS[m[2] as keyof typeof UNITS]);
}

/** A duration in the largest unit that keeps it whole, for step lines ("90 s", "2 h"). */
export function formatDuration(ms: number): string {
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) if (ms >= f && ms % f === 0) return `${ms / f} ${u}`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
