import type { ClusterEvent } from './events.js';

/**
 * One line per cluster event, the way an administrator reads the result of a CUCM operation, for
 * the terminal and the scenario report alike. What the cluster did reads as done ("restarted by
 * the cluster", "phones reset by CUCM"); what is left to the administrator reads as a task
 * ("restart required", "reset the phones"), and the two never share a wording (issue 14).
 */
export function describeClusterEvent(e: ClusterEvent): string {
  switch (e.type) {
    case 'cert.generated': return `${e.purpose} ${e.signedBy === 'ca' ? 'CA-signed certificate installed' : 'self-signed certificate generated'} on ${e.nodes.join(', ')}: ${e.subject} (serial ${e.serial})`;
    case 'csr.generated': return `CSR for ${e.purpose} on ${e.node}: ${e.subject}`;
    case 'trust.added': return `${e.store}/${e.name}.pem added on ${e.nodes.join(', ')}${e.replaced ? ` (replaced serial ${e.replaced})` : ''}`;
    case 'trust.unchanged': return `${e.store}/${e.name}.pem already present on ${e.nodes.join(', ')}`;
    case 'trust.deleted': return `${e.store}/${e.name}.pem deleted on ${e.nodes.join(', ')}`;
    case 'file.rebuilt': return `${e.file} rebuilt on ${e.nodes.join(', ') || 'no TFTP node'}: ${e.reason}`;
    case 'service.restarted': return `${e.service} restarted on ${e.nodes.join(', ')} by ${e.by === 'cluster' ? 'the cluster itself' : 'the administrator'} — ${e.reason}`;
    case 'service.restart-required': return `restart required (not done): ${e.service} on ${e.nodes.join(', ')} — ${e.reason}`;
    case 'phones.reset': return `phones reset by CUCM: ${e.reason}`;
    case 'phones.reset-required': return `phone reset required (not done): ${e.reason}`;
    case 'ctl.update.required': return `CTL update required (not done): ${e.reason}`;
    case 'cluster.mode': return `cluster security mode: ${e.securityMode}`;
    case 'param.changed': return `enterprise parameter ${e.name} = ${JSON.stringify(e.value)}`;
    case 'device.changed': return `${e.device}: ${e.change}`;
    case 'warning': return `warning (${e.code}): ${e.message}`;
  }
}

/** Whether an event is left to the administrator (a restart, a reset or a CTL update not yet done). */
export function isPendingAction(e: ClusterEvent): boolean {
  return e.type === 'service.restart-required' || e.type === 'phones.reset-required' || e.type === 'ctl.update.required';
}
