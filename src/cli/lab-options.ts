import { resolve } from 'node:path';
import type { Command } from 'commander';
import { describeClusterEvent, Lab, type Cluster, type ClusterEvent, type OpResult } from '../cluster/index.js';
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
  'service.restarted': '✓',
  'service.restart-required': '!',
  'phones.reset': '✓',
  'phones.reset-required': '!',
  'ctl.update.required': '!',
  'cluster.mode': '✓',
  'param.changed': '✓',
  'device.changed': '✓',
  warning: '!',
};

export function printResult(io: CliIo, r: OpResult, json: boolean | undefined, extra: Record<string, unknown> = {}): void {
  if (json) {
    printJson(io, { ...extra, events: r.events, warnings: r.warnings });
    return;
  }
  for (const e of r.events) io.out(`${MARK[e.type]} ${describeClusterEvent(e)}\n`);
}
