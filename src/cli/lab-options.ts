import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Lab, type Cluster, type ClusterEvent, type OpResult } from '../cluster/index.js';
import type { CliIo } from './io.js';
import { printJson } from './io.js';

/**
 * Options every lab command shares: `--lab DIR` (default `$TRUSTLAB_LAB` or `./lab`) and
 * `--cluster NAME` (needed only when the lab has several clusters).
 */
export interface LabFlags {
  lab?: string;
  cluster?: string;
  json?: boolean;
}

export function labDir(flags: LabFlags): string {
  return resolve(flags.lab ?? process.env.TRUSTLAB_LAB ?? 'lab');
}

export function withLabOptions(cmd: Command, json = true): Command {
  cmd.option('--lab <dir>', 'lab directory (default: $TRUSTLAB_LAB or ./lab)').option('--cluster <name>', 'cluster in the lab (needed when it has several)');
  if (json) cmd.option('--json', 'print the result as JSON');
  return cmd;
}

export async function openCluster(flags: LabFlags): Promise<{ lab: Lab; cluster: Cluster }> {
  const lab = await Lab.open(labDir(flags));
  return { lab, cluster: await lab.cluster(flags.cluster) };
}

const MARK: Record<ClusterEvent['type'], string> = {
  'cert.generated': '✓',
  'csr.generated': '✓',
  'trust.added': '✓',
  'trust.unchanged': '=',
  'trust.deleted': '✓',
  'file.rebuilt': '↻',
  'service.restart': '→',
  'phones.reset': '→',
  'ctl.update.required': '!',
  'cluster.mode': '✓',
  'param.changed': '✓',
  'device.changed': '✓',
  warning: '!',
};

/** One line per event, the way an administrator reads the result of a CUCM operation. */
export function describeEvent(e: ClusterEvent): string {
  switch (e.type) {
    case 'cert.generated': return `${e.purpose} ${e.signedBy === 'ca' ? 'CA-signed certificate installed' : 'self-signed certificate generated'} on ${e.nodes.join(', ')}: ${e.subject} (serial ${e.serial})`;
    case 'csr.generated': return `CSR for ${e.purpose} on ${e.node}: ${e.subject}`;
    case 'trust.added': return `${e.store}/${e.name}.pem added on ${e.nodes.join(', ')}${e.replaced ? ` (replaced serial ${e.replaced})` : ''}`;
    case 'trust.unchanged': return `${e.store}/${e.name}.pem already present on ${e.nodes.join(', ')}`;
    case 'trust.deleted': return `${e.store}/${e.name}.pem deleted on ${e.nodes.join(', ')}`;
    case 'file.rebuilt': return `${e.file} rebuilt on ${e.nodes.join(', ') || 'no TFTP node'}: ${e.reason}`;
    case 'service.restart': return `${e.automatic ? 'restarted automatically' : 'restart required'}: ${e.service} on ${e.nodes.join(', ')} — ${e.reason}`;
    case 'phones.reset': return `${e.automatic ? 'phones reset automatically' : 'reset phones'}: ${e.reason}`;
    case 'ctl.update.required': return `CTL update required: ${e.reason}`;
    case 'cluster.mode': return `cluster security mode: ${e.securityMode}`;
    case 'param.changed': return `enterprise parameter ${e.name} = ${JSON.stringify(e.value)}`;
    case 'device.changed': return `${e.device}: ${e.change}`;
    case 'warning': return `warning (${e.code}): ${e.message}`;
  }
}

export function printResult(io: CliIo, r: OpResult, json: boolean | undefined, extra: Record<string, unknown> = {}): void {
  if (json) {
    printJson(io, { ...extra, events: r.events, warnings: r.warnings });
    return;
  }
  for (const e of r.events) io.out(`${MARK[e.type]} ${describeEvent(e)}\n`);
}
