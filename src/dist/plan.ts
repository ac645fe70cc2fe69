import { readFileSync } from 'node:fs';
import { EmulatorError } from '../shared/errors.js';

/**
 * Sockets, ports and file descriptors planned before a run starts, not hit in the middle of it
 * (issue 17 §3; decision 029).
 *
 * - **Source addresses.** A loopback fleet gives each group of {@link PHONES_PER_ADDRESS} phones
 *   a source address of its own (`127.0.<1+f>.<2+g>`), because one address has about 28,000
 *   ephemeral ports (`ip_local_port_range` 32768–60999) and TIME_WAIT holds each closed
 *   connection for 60 s. A boot makes at most {@link CONNECTIONS_PER_BOOT} connections per phone,
 *   so a group uses at most about 10,000 ports a minute.
 * - **File descriptors.** At most `concurrency` phones of a shard work at once, each with at most
 *   two sockets open, and the servers see each of them: a shard needs about
 *   `2 × concurrency + 64` descriptors and the coordinator `2 × concurrency × shards + 256`.
 */
export const PHONES_PER_ADDRESS = 2048;
export const CONNECTIONS_PER_BOOT = 5;
const EPHEMERAL_PORTS = 28_000;

export interface ResourcePlan {
  sourceAddresses: number;
  portsPerAddressPerMinute: number;
  coordinatorFds: number;
  shardFds: number;
  fdLimit: number | undefined;
}

export function planResources(o: { fleets: ReadonlyArray<{ name: string; count: number }>; shards: number; concurrency: number; loopback: boolean }): ResourcePlan {
  if (o.loopback && o.fleets.length > 254) throw new EmulatorError('INVALID_ARGUMENT', `${o.fleets.length} fleets need more than the 254 loopback source blocks 127.0.1–254.x; merge fleets`);
  let sourceAddresses = 0;
  for (const f of o.fleets) {
    const groups = Math.ceil(f.count / PHONES_PER_ADDRESS);
    if (o.loopback && groups > 253) throw new EmulatorError('INVALID_ARGUMENT', `fleet ${f.name}: ${f.count} phones need ${groups} source addresses of ${PHONES_PER_ADDRESS} phones each, more than the 253 of its loopback block; split it into fleets of at most ${253 * PHONES_PER_ADDRESS}`);
    sourceAddresses += groups;
  }
  const portsPerAddressPerMinute = PHONES_PER_ADDRESS * CONNECTIONS_PER_BOOT;
  if (portsPerAddressPerMinute > EPHEMERAL_PORTS) throw new EmulatorError('INTERNAL', 'the source-address plan exceeds the ephemeral port range');
  const coordinatorFds = 2 * o.concurrency * o.shards + 256;
  const shardFds = 2 * o.concurrency + 64;
  const fdLimit = openFileLimit();
  if (fdLimit !== undefined && coordinatorFds > fdLimit) {
    throw new EmulatorError('INVALID_ARGUMENT', `${o.shards} shard(s) with ${o.concurrency} phones working at once need about ${coordinatorFds} file descriptors in this process, but its limit is ${fdLimit}; raise it (\`ulimit -n ${coordinatorFds * 2}\`) or use fewer shards`);
  }
  return { sourceAddresses, portsPerAddressPerMinute, coordinatorFds, shardFds, fdLimit };
}

/** This process's soft limit on open files (Linux /proc), if it can be read. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+([0-9]+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
