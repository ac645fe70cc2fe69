import type { Static } from '@sinclair/typebox';
import type { ClusterServiceName } from '../../cluster/serve/index.js';
import { EmulatorError } from '../../shared/errors.js';
import type { ScenarioContext } from '../context.js';
import { tamperTrustList } from '../tamper.js';
import { defineStep } from './registry.js';
import { ClusterName, Enum, NetworkService, NodeName, Obj, Opt, Tamper } from './schemas.js';

/**
 * Network events: a node's real servers stop and start (phones then meet refused connections
 * and silence), or a TFTP node serves a spoiled trust list.
 */
const SERVICES_OF: Record<Static<typeof NetworkService>, ClusterServiceName[] | undefined> = {
  tftp: ['tftp', 'http'], http: ['http'], tvs: ['tvs'], sip: ['sip'], capf: ['capf'], https: ['https'], all: undefined,
};

const Where = Obj({ cluster: ClusterName, node: Opt(NodeName), service: Opt(NetworkService) });

async function network(ctx: ScenarioContext, a: Static<typeof Where>, up: boolean): Promise<string[]> {
  const rc = ctx.requireCluster(a.cluster);
  const nodes = a.node ? [a.node] : rc.cluster.state.nodes.map((n) => n.hostname);
  const services = SERVICES_OF[a.service ?? 'all'];
  for (const n of nodes) {
    if (!services) await (up ? rc.servers.start(n) : rc.servers.stop(n));
    else for (const s of services) await (up ? rc.servers.start(n, s) : rc.servers.stop(n, s));
  }
  return [`${a.cluster}: ${a.service ?? 'every service'} ${up ? 'started' : 'stopped'} on ${nodes.join(', ')}`];
}

export const stop = defineStep({
  name: 'stop',
  summary: 'Stop a node\'s servers (all, or one network service): its port refuses or stays silent.',
  args: Where,
  example: { cluster: 'A', node: 'sub1', service: 'tvs' },
  run: (ctx, a) => network(ctx, a, false),
});

export const start = defineStep({
  name: 'start',
  summary: 'Start a node\'s stopped servers again.',
  args: Where,
  example: { cluster: 'A', service: 'tvs' },
  run: (ctx, a) => network(ctx, a, true),
});

export const tamper = defineStep({
  name: 'tamper',
  summary: 'Serve a spoiled copy of the ITL or CTL from TFTP nodes (none: serve the model\'s file again).',
  args: Obj({ cluster: ClusterName, node: Opt(NodeName), file: Enum(['ITLFile.tlv', 'CTLFile.tlv'] as const), how: Tamper }),
  example: { cluster: 'A', file: 'ITLFile.tlv', how: 'signature' },
  run: async (ctx, a) => {
    const rc = ctx.requireCluster(a.cluster);
    const nodes = a.node ? [a.node] : rc.cluster.state.nodes.filter((n) => n.services.includes('TFTP')).map((n) => n.hostname);
    for (const n of nodes) {
      if (a.how === 'none') {
        rc.servers.overrideFile(n, a.file, undefined);
        continue;
      }
      const real = a.file === 'ITLFile.tlv' ? rc.cluster.itl(n) : rc.cluster.ctl();
      if (!real) throw new EmulatorError('INVALID_STATE', `${a.cluster} serves no ${a.file} to tamper with`);
      rc.servers.overrideFile(n, a.file, tamperTrustList(real, a.how));
    }
    return [`${a.cluster}: ${a.file} on ${nodes.join(', ')} ${a.how === 'none' ? 'served as the model builds it again' : `replaced by a copy with ${a.how} tampered`}`];
  },
});

export const NETWORK_STEPS = [stop, start, tamper] as const;
