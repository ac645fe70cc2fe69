import type { Command } from 'commander';
import { CERT_MONITOR_SERVICE, SERVICES, clusterServiceOf, type ServiceName } from '../../cluster/index.js';
import { readFileBytes } from '../../shared/fs.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError } from '../io.js';
import { openCluster, printResult, withLabOptions, type LabFlags } from '../lab-options.js';

/**
 * `trustlab utils …`: the CUCM platform CLI commands a certificate runbook uses —
 * `utils itl reset localkey|remotekey`, `utils ctl set-cluster mixed-mode|non-secure-mode`,
 * `utils ctl update CTLFile`, `utils ctl reset localkey`, `utils service restart`.
 */
export function registerUtils(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const utils = program.command('utils').description('CUCM platform CLI: utils itl, utils ctl, utils service');
  const itl = utils.command('itl').description('utils itl reset localkey|remotekey');
  withLabOptions(itl.command('reset').description('re-sign the ITL with the other SAST key (localkey) or a recovery key from SFTP (remotekey)').argument('<which>', 'localkey or remotekey'))
    .option('--key <file>', 'remotekey: PEM with the ITLRecovery certificate and private key (as `file get tftp ITLRecovery.p12` gives, converted)')
    .action(act(ctx, async (which: string, o: LabFlags & { key?: string }) => {
      try {
        if (which !== 'localkey' && which !== 'remotekey') throw new EmulatorError('USAGE', `utils itl reset takes localkey or remotekey, not "${which}"`);
        if (which === 'remotekey' && !o.key) throw new EmulatorError('USAGE', 'utils itl reset remotekey needs --key FILE');
        const remoteKeyPem = o.key ? Buffer.from(await readFileBytes(o.key, 1024 * 1024)).toString('utf8') : undefined;
        const { cluster } = await openCluster(o);
        printResult(io, await cluster.itlReset({ which, ...(remoteKeyPem ? { remoteKeyPem } : {}) }), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  const ctl = utils.command('ctl').description('utils ctl set-cluster | update CTLFile | reset localkey');
  withLabOptions(ctl.command('set-cluster').description('switch the cluster to mixed mode (tokenless CTL) or back to non-secure mode').argument('<mode>', 'mixed-mode or non-secure-mode'))
    .action(act(ctx, async (mode: string, o: LabFlags) => {
      try {
        if (mode !== 'mixed-mode' && mode !== 'non-secure-mode') throw new EmulatorError('USAGE', `set-cluster takes mixed-mode or non-secure-mode, not "${mode}"`);
        const { cluster } = await openCluster(o);
        printResult(io, await cluster.ctlSetCluster(mode === 'mixed-mode' ? 'mixed' : 'non-secure'), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
  withLabOptions(ctl.command('update').description('rebuild the CTL from the current certificates (utils ctl update CTLFile)').argument('[file]', 'CTLFile', 'CTLFile'))
    .action(act(ctx, async (_file: string, o: LabFlags) => {
      try {
        const { cluster } = await openCluster(o);
        printResult(io, await cluster.ctlUpdate(), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
  withLabOptions(ctl.command('reset').description('write a CTL signed by the other SAST key (utils ctl reset localkey)').argument('<which>', 'localkey'))
    .action(act(ctx, async (which: string, o: LabFlags) => {
      try {
        if (which !== 'localkey') throw new EmulatorError('USAGE', 'utils ctl reset takes localkey');
        const { cluster } = await openCluster(o);
        printResult(io, await cluster.ctlResetLocalkey(), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  const service = utils.command('service').description('utils service restart|stop|start');
  const isMonitor = (name: string): boolean => /^(cisco\s+)?certificate\s+expiry\s+monitor(\s+service)?$/i.test(name.trim());
  withLabOptions(service.command('restart').description(`restart a service (TVS loads new trust, TFTP drops a reset ITL, CallManager loads its new certificate; "${CERT_MONITOR_SERVICE}" recalculates its schedule)`).argument('<service>', `${SERVICES.join(', ')} or "${CERT_MONITOR_SERVICE}"`))
    .option('--node <host>', 'only on this node (repeatable; default: every node running it)', (v: string, p: string[] = []) => [...p, v], [])
    .action(act(ctx, async (name: string, o: LabFlags & { node: string[] }) => {
      try {
        const { cluster } = await openCluster(o);
        if (isMonitor(name)) {
          printResult(io, await cluster.controlCertMonitor('restart'), o.json);
          return EXIT.OK;
        }
        const s = clusterServiceOf(name);
        if (!s) throw new EmulatorError('USAGE', `unknown service "${name}"; use ${SERVICES.join(', ')} or "${CERT_MONITOR_SERVICE}"`);
        printResult(io, await cluster.restartService(s as ServiceName, o.node), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
  for (const action of ['stop', 'start'] as const) {
    withLabOptions(service.command(action).description(`${action} the ${CERT_MONITOR_SERVICE} network service (a stopped monitor sends nothing)`).argument('<service>', `"${CERT_MONITOR_SERVICE}"`))
      .action(act(ctx, async (name: string, o: LabFlags) => {
        try {
          if (!isMonitor(name)) throw new EmulatorError('USAGE', `only "${CERT_MONITOR_SERVICE}" can be stopped and started here; other services take \`utils service restart\``);
          const { cluster } = await openCluster(o);
          printResult(io, await cluster.controlCertMonitor(action), o.json);
          return EXIT.OK;
        } catch (e) {
          return reportError(io, e, Boolean(o.json));
        }
      }));
  }

  withLabOptions(utils.command('fips_common_criteria').description('Common Criteria mode: with it on, a Revoked or Unknown revocation status fails the connection (it also turns FIPS mode on)').argument('<action>', 'enable, disable or status'))
    .action(act(ctx, async (action: string, o: LabFlags) => {
      try {
        if (!['enable', 'disable', 'status'].includes(action)) throw new EmulatorError('USAGE', `utils fips_common_criteria takes enable, disable or status, not "${action}"`);
        const { cluster } = await openCluster(o);
        if (action === 'status') {
          const on = Boolean(cluster.state.commonCriteria);
          if (o.json) printJson(io, { commonCriteria: on, fipsMode: cluster.state.params.fipsMode });
          else io.out(`The system is operating in ${on ? 'Common Criteria mode' : 'non-Common Criteria mode'}${cluster.state.params.fipsMode ? ' (FIPS mode on)' : ''}\n`);
          return EXIT.OK;
        }
        printResult(io, await cluster.setCommonCriteria(action === 'enable'), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
}
