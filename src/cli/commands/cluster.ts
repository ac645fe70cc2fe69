import type { Command } from 'commander';
import { Lab, RELEASES, parseRelease, profileOf, releaseLabel, type ClusterInit } from '../../cluster/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError } from '../io.js';
import { labDir, openCluster, withLabOptions, type LabFlags } from '../lab-options.js';
import { certOf, CUCM_SERVICE_NAME, pendingRestarts } from '../../cluster/index.js';

/** `trustlab cluster init|show|list`: create a modelled CUCM cluster in a lab and look at it. */
export function registerCluster(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const cluster = program.command('cluster').description('create and inspect modelled CUCM clusters in a lab directory');

  withLabOptions(
    cluster
      .command('init')
      .description('create a cluster (publisher first) with self-signed identity certificates, as a fresh install has')
      .argument('<name>', 'cluster name (letters, digits, - and _)')
      .requiredOption('--release <release>', `CUCM release: ${RELEASES.join(', ')}, with a Service Update where it matters (14SU3)`)
      .requiredOption('--nodes <hosts>', 'comma-separated host names, publisher first (e.g. pub,sub1)')
      .option('--domain <domain>', 'DNS domain of the nodes (default: <name>.lab.example, one per cluster, so that clusters\' certificates differ)')
      .option('--addresses <ips>', 'comma-separated IPv4 address per node, for the servers to bind (default 127.<n>.0.10, .11, …, where n counts the clusters in the lab)')
      .option('--mixed', 'put the cluster in mixed mode at once (utils ctl set-cluster mixed-mode)')
      .option('--no-ecdsa', 'do not create CallManager-ECDSA and tomcat-ECDSA certificates')
      .option('--private-keys', 'keep pooled keys inside this lab instead of sharing ~/.cache/trustlab/keypool')
      .option('--seed <seed>', 'make serial numbers deterministic for this lab'),
    false,
  )
    .option('--json', 'print the cluster summary as JSON')
    .action(act(ctx, async (name: string, o: LabFlags & { release: string; nodes: string; domain?: string; mixed?: boolean; ecdsa: boolean; privateKeys?: boolean; seed?: string; addresses?: string }) => {
      try {
        const { release, su } = parseRelease(o.release);
        const hosts = o.nodes.split(',').map((h) => h.trim()).filter(Boolean);
        const ips = o.addresses?.split(',').map((a) => a.trim());
        if (ips && ips.length !== hosts.length) throw new EmulatorError('USAGE', `--addresses lists ${ips.length} address(es) for ${hosts.length} node(s); give one per node, in the same order as --nodes`);
        const lab = await Lab.openOrCreate(labDir(o), { sharedKeys: !o.privateKeys, ...(o.seed ? { seed: o.seed } : {}) });
        const init: ClusterInit = { name, release, ...(su ? { su } : {}), nodes: hosts.map((hostname, i) => ({ hostname, ...(ips ? { ipv4: ips[i]! } : {}) })), ...(o.domain ? { domain: o.domain } : {}), ecdsa: o.ecdsa };
        const c = await lab.createCluster(init);
        if (o.mixed) await c.ctlSetCluster('mixed');
        if (o.json) printJson(io, summary(c.state));
        else {
          io.out(`created cluster ${name} (CUCM ${releaseLabel(release, su)}) in ${lab.dir}\n`);
          printSummary(io, summary(c.state));
        }
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(cluster.command('show').description('show a cluster: release, mode, nodes, services, identity certificates, enterprise parameters'))
    .action(act(ctx, async (o: LabFlags) => {
      try {
        const { cluster: c } = await openCluster(o);
        if (o.json) printJson(io, summary(c.state));
        else printSummary(io, summary(c.state));
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(cluster.command('list').description('list the clusters in a lab'), true)
    .action(act(ctx, async (o: LabFlags) => {
      try {
        const lab = await Lab.open(labDir(o));
        if (o.json) printJson(io, { lab: lab.dir, clusters: lab.clusterNames });
        else io.out(lab.clusterNames.length ? `${lab.clusterNames.join('\n')}\n` : 'no clusters yet\n');
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
}

type ClusterSummary = ReturnType<typeof summary>;

function summary(s: import('../../cluster/index.js').ClusterState) {
  const p = profileOf(s.release);
  return {
    name: s.name,
    release: releaseLabel(s.release, s.su),
    securityMode: s.securityMode,
    itlSigner: p.itlSigner,
    rev: s.rev,
    params: s.params,
    nodes: s.nodes.map((n) => ({ hostname: n.hostname, fqdn: `${n.hostname}.${n.domain}`, ipv4: n.ipv4, role: n.role, services: n.services })),
    identities: s.identities.map((i) => {
      const c = certOf(i.certPem);
      return { purpose: i.purpose, nodes: i.nodes, distribution: i.distribution, signedBy: i.reusedFrom ? `reused ${i.reusedFrom}` : i.signedBy, subject: c.subjectCucm, serial: c.serialHex, key: `${c.keyType.toUpperCase()} ${c.keyBits}`, notAfter: c.notAfter.toISOString() };
    }),
    pendingCsrs: s.csrs.map((c) => ({ purpose: c.purpose, node: c.node, distribution: c.distribution })),
    devices: s.devices.length,
    ctl: s.tftp.ctl !== null,
    pinnedResetItl: Object.keys(s.tftp.itlOverrides),
    pendingRestarts: pendingRestarts(s).map((p) => ({ node: p.node, service: CUCM_SERVICE_NAME[p.service], operation: p.operation, reason: p.reason })),
  };
}

function printSummary(io: CliContext['io'], s: ClusterSummary): void {
  io.out(`cluster ${s.name}: CUCM ${s.release}, ${s.securityMode} mode, ITL signed by ${s.itlSigner}${s.pinnedResetItl.length ? ` (reset ITL pinned on ${s.pinnedResetItl.join(', ')} until TFTP restarts)` : ''}\n`);
  io.out(`enterprise parameters: ${Object.entries(s.params).map(([k, v]) => `${k}=${String(v)}`).join(', ')}\n\n`);
  io.out(table(['NODE', 'ROLE', 'ADDRESS', 'SERVICES'], s.nodes.map((n) => [n.fqdn, n.role, n.ipv4, n.services.join(' ')])));
  io.out('\n');
  io.out(table(['PURPOSE', 'NODES', 'SIGNED', 'KEY', 'EXPIRES', 'SUBJECT'], s.identities.map((i) => [i.purpose, i.nodes.join(','), i.signedBy, i.key, i.notAfter.slice(0, 10), i.subject])));
  if (s.pendingRestarts.length) {
    io.out('\nrestarts pending (a restart of the service on that node clears them):\n');
    io.out(table(['NODE', 'SERVICE', 'CAUSED BY', 'WHY'], s.pendingRestarts.map((p) => [p.node, p.service, p.operation, p.reason])));
  }
  if (s.pendingCsrs.length) io.out(`\npending CSRs: ${s.pendingCsrs.map((c) => `${c.purpose}@${c.node}`).join(', ')}\n`);
  io.out(`\n${s.devices} devices provisioned; CTL file ${s.ctl ? 'present' : 'absent'}\n`);
}

/** A plain text table with aligned columns. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
