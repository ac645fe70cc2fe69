import type { Command } from 'commander';
import { parseTrustList, renderShowItl, summarize, verifyHeaderSignature } from '../../trustlist/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError } from '../io.js';
import { openCluster, withLabOptions, type LabFlags } from '../lab-options.js';
import { certOf, type ClusterState } from '../../cluster/index.js';

/**
 * `trustlab show itl|ctl|cert`: the admin CLI's `show itl` / `show ctl` on a modelled node, and
 * `show cert list own|trust` / `show cert own|trust NAME` with each certificate's latest
 * revocation check (Certificate Revocation, 14SU3+).
 */
export function registerShow(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const show = program.command('show').description('show itl | show ctl | show cert, as the CUCM admin CLI prints them');
  for (const which of ['itl', 'ctl'] as const) {
    withLabOptions(show.command(which).description(`print the ${which.toUpperCase()} a node serves, marking the signer`))
      .option('--node <host>', 'TFTP node (default: the publisher)')
      .action(act(ctx, async (o: LabFlags & { node?: string }) => {
        try {
          const { cluster } = await openCluster(o);
          const node = o.node ?? cluster.publisher.hostname;
          cluster.node(node);
          const bytes = which === 'itl' ? cluster.itl(node) : cluster.ctl();
          if (!bytes) throw new EmulatorError('CERT_NOT_FOUND', 'CTL File not found. The cluster has never been in mixed mode; run trustlab utils ctl set-cluster mixed-mode');
          const parsed = parseTrustList(bytes);
          const v = verifyHeaderSignature(bytes, parsed.list.header, parsed.signatureOffset, { records: parsed.list.records });
          const s = summarize(parsed.list, bytes, v);
          if (o.json) printJson(io, { node, ...s });
          else io.out(renderShowItl(parsed.list, s));
          return EXIT.OK;
        } catch (e) {
          return reportError(io, e, Boolean(o.json));
        }
      }));
  }

  const cert = show.command('cert').description('show cert list own|trust, show cert own|trust NAME (with the latest revocation check)');
  withLabOptions(cert.command('list').description('identity (own) or trust certificates on a node').argument('<which>', 'own or trust'))
    .option('--node <host>', 'node (default: the publisher)')
    .action(act(ctx, async (which: string, o: LabFlags & { node?: string }) => {
      try {
        if (which !== 'own' && which !== 'trust') throw new EmulatorError('USAGE', `show cert list takes own or trust, not "${which}"`);
        const { cluster } = await openCluster(o);
        const node = o.node ?? cluster.publisher.hostname;
        cluster.node(node);
        const rows = certRows(cluster.state, node, which);
        if (o.json) printJson(io, rows);
        else for (const r of rows) io.out(`${r.name}: ${r.subject}, serial ${r.serial}, expires ${r.notAfter.slice(0, 10)}, revocation ${r.revocation}\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
  for (const which of ['own', 'trust'] as const) {
    withLabOptions(cert.command(which).description(`one ${which === 'own' ? 'identity' : 'trust'} certificate: subject, issuer, serial, validity, AIA OCSP URI, CRL Distribution Point, revocation`).argument('<name>', which === 'own' ? 'the purpose, e.g. tomcat' : 'STORE/NAME, e.g. tomcat-trust/trustlab_Enterprise_Root_CA'))
      .option('--node <host>', 'node (default: the publisher)')
      .action(act(ctx, async (name: string, o: LabFlags & { node?: string }) => {
        try {
          const { cluster } = await openCluster(o);
          const node = o.node ?? cluster.publisher.hostname;
          cluster.node(node);
          const want = name.replace(/\.pem$/, '').toLowerCase();
          const row = certRows(cluster.state, node, which).find((r) => r.name.toLowerCase() === want || r.name.toLowerCase().endsWith(`/${want}`));
          if (!row) throw new EmulatorError('CERT_NOT_FOUND', `no ${which} certificate "${name}" on ${node}; see trustlab show cert list ${which} --node ${node}`);
          if (o.json) printJson(io, row);
          else {
            io.out(`${row.name} on ${node}\n  subject:     ${row.subject}\n  issuer:      ${row.issuer}\n  serial:      ${row.serial}\n  valid:       ${row.notBefore} to ${row.notAfter}\n`);
            io.out(`  OCSP (AIA):  ${row.ocsp.join(', ') || 'none'}\n  CRL DP:      ${row.crl.join(', ') || 'none'}\n  revocation:  ${row.revocation}${row.checked ? ` (${row.checked})` : ''}\n`);
          }
          return EXIT.OK;
        } catch (e) {
          return reportError(io, e, Boolean(o.json));
        }
      }));
  }
}

/** A node's identity (own) or trust certificates, each with its latest revocation check. */
function certRows(state: ClusterState, node: string, which: 'own' | 'trust') {
  const entries = which === 'own'
    ? state.identities.filter((i) => i.nodes.includes(node)).map((i) => ({ name: i.purpose, where: `identity/${i.purpose}`, pem: i.certPem }))
    : state.trust.filter((t) => t.node === node).map((t) => ({ name: `${t.store}/${t.name}`, where: `trust/${t.store}/${t.name}`, pem: t.certPem }));
  return entries.map((e) => {
    const c = certOf(e.pem);
    const check = (state.revocationChecks ?? []).find((k) => k.node === node && k.where === e.where && k.serial === c.serialHex);
    return {
      name: e.name, subject: c.subjectCucm, issuer: c.issuerCucm, serial: c.serialHex, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(),
      ocsp: c.extensions.ocspUrls, crl: c.extensions.crlUrls,
      revocation: check ? `${check.status}${check.by ? ` by ${check.by}` : ''}${check.code ? ` ${check.code}` : ''}` : 'not checked',
      ...(check ? { checked: `${check.trigger} ${check.checkedAt}` } : {}),
    };
  });
}
