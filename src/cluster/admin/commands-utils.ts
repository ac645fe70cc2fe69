import { suggestion } from '../../shared/suggest.js';
import { certMonitorOf } from '../ops/monitor.js';
import { profileOf } from '../release.js';
import { confirm, NOTE, refuse, reportOp } from './common.js';
import { CLI_SERVICES, PLATFORM_SERVICES, cliServiceOf, type CliService } from './services.js';
import { done, type AdminCommand, type AdminOutcome, type AdminSession, type AdminTerminal } from './types.js';

/**
 * `utils itl reset localkey|remotekey` (CLI Reference, Utils Commands; privilege 4, publisher
 * only). remotekey fetches ITLRecovery.p12 by SFTP on CUCM; here the certificate and key are pasted.
 */
const itlReset: AdminCommand = {
  words: ['utils', 'itl', 'reset'], params: [{ name: 'key', values: ['localkey', 'remotekey'] }], twin: 'trustlab utils itl reset localkey|remotekey',
  summary: 're-sign the ITL with the other SAST key (localkey), or with a recovery key brought in (remotekey)',
  publisherOnly: true,
  run: async (s, [which], term) => {
    let remoteKeyPem: string | undefined;
    if (which === 'remotekey') {
      remoteKeyPem = await term.paste(`${NOTE} paste the ITLRecovery certificate and its private key (PEM), as converted from ITLRecovery.p12, and hit Enter\n`);
      if (!remoteKeyPem) return refuse(term, 'INVALID_ARGUMENT', 'no recovery certificate and key were given');
    }
    term.write('Generating the reset ITL file.....\n');
    const r = await s.cluster.itlReset({ which: which as 'localkey' | 'remotekey', ...(remoteKeyPem ? { remoteKeyPem } : {}) });
    const tftp = s.cluster.state.nodes.filter((n) => n.services.includes('TFTP')).map((n) => n.hostname);
    return reportOp(term, r, [
      'The reset ITL file was generated successfully', '', 'Locating active Tftp servers in the cluster.....', '',
      'Following is the list of Active tftp servers in the cluster', '', '====================', ...tftp, '=====================', '',
      `Number of Active TFTP servers in the cluster : ${tftp.length}`, '', 'Transferring new reset ITL file to the TFTP server nodes in the cluster.........', '',
      ...tftp.map((h) => `Successfully transferred reset ITL to node ${h}`),
    ]);
  },
};

const RESTART_TFTP_AND_CALLMANAGER = 'Please Restart the TFTP and Cisco CallManager services on all nodes in the cluster that run these services';

/** CUCM's closing notice after a CTL change (decision 031 §6; 12.x words it as a phone reset and a CTIManager restart). */
function ctlNotice(s: AdminSession): string[] {
  return profileOf(s.cluster.state.release).itlSigner === 'ITLRecovery'
    ? ['You must reset all phones to ensure they received the updated CTL file.', 'You must restart Cisco CTIManager services on all the nodes in the cluster that have the service activated.']
    : [RESTART_TFTP_AND_CALLMANAGER];
}

const setCluster: AdminCommand = {
  words: ['utils', 'ctl', 'set-cluster'], params: [{ name: 'mode', values: ['mixed-mode', 'non-secure-mode'] }], twin: 'trustlab utils ctl set-cluster mixed-mode|non-secure-mode',
  summary: 'switch the cluster to mixed mode (tokenless CTL) or back to non-secure mode',
  publisherOnly: true,
  run: async (s, [mode], term) => {
    const mixed = mode === 'mixed-mode';
    if (!(await confirm(term, `This operation will set the cluster to ${mixed ? 'Mixed mode' : 'non secure mode'}. Do you want to continue? (y/n):`))) return { status: 'cancelled' };
    const r = await s.cluster.ctlSetCluster(mixed ? 'mixed' : 'non-secure');
    if (r.events.some((e) => e.type === 'warning' && e.code === 'ALREADY_IN_MODE')) return reportOp(term, r, []);
    return reportOp(term, r, mixed ? ['Moving Cluster to Mixed Mode', 'Cluster set to Mixed Mode', ...ctlNotice(s)] : ['Moving Cluster to Non Secure Mode', 'Cluster set to Non Secure Mode', RESTART_TFTP_AND_CALLMANAGER]);
  },
};

const ctlUpdate: AdminCommand = {
  words: ['utils', 'ctl', 'update', 'CTLFile'], params: [], twin: 'trustlab utils ctl update CTLFile',
  summary: 'rebuild the CTL from the current certificates and copy it to every node',
  publisherOnly: true,
  run: async (s, _a, term) => {
    if (!(await confirm(term, 'This operation updates the CTLFile. Do you want to continue? (y/n):'))) return { status: 'cancelled' };
    return reportOp(term, await s.cluster.ctlUpdate(), ['Updating CTL file', 'CTL file Updated', ...ctlNotice(s)]);
  },
};

const ctlReset: AdminCommand = {
  words: ['utils', 'ctl', 'reset'], params: [{ name: 'key', values: ['localkey'] }], twin: 'trustlab utils ctl reset localkey',
  summary: 'write a CTL signed by the other SAST key (CallManager), for an ITLRecovery regeneration in mixed mode (REG-7a)',
  publisherOnly: true,
  run: async (s, _a, term) => {
    if (!(await confirm(term, 'This operation updates the CTLFile. Do you want to continue? (y/n):'))) return { status: 'cancelled' };
    return reportOp(term, await s.cluster.ctlResetLocalkey(), ['Updating CTL file', 'CTL file Updated', ...ctlNotice(s)]);
  },
};

/** STARTED or STOPPED as this node has it: not activated, stopped in the model (monitor), or its listeners closed. */
function stateOf(s: AdminSession, svc: CliService): string {
  const node = s.cluster.node(s.node);
  if (svc.model && !node.services.includes(svc.model)) return '[STOPPED]  Service Not Activated';
  if (svc.monitor && !certMonitorOf(s.cluster.state).service.running) return '[STOPPED]  Commanded Out of Service';
  if (s.servers && svc.listeners?.length && svc.listeners.every((l) => !s.servers!.isRunning(s.node, l))) return '[STOPPED]  Commanded Out of Service';
  return '[STARTED]';
}

/**
 * `utils service list` in CUCM's layout (decision 031 §7), and, after a service, the restarts
 * the model says it still owes, with the operation that asked for each (issue 18).
 */
const serviceList: AdminCommand = {
  words: ['utils', 'service', 'list'], params: [], twin: 'trustlab cluster show',
  summary: 'every service of this node and its state; trustlab adds the restarts each still owes',
  run: async (s, _a, term) => {
    term.write(`Requesting service status, please wait...\n${PLATFORM_SERVICES.map((p) => `${p} [STARTED]\n`).join('')}Service Manager is running\nGetting list of all services\n>> Return code = 0\n`);
    const owed = s.cluster.state.services.filter((x) => x.node === s.node);
    for (const svc of CLI_SERVICES) {
      const pending = owed.find((x) => x.service === svc.model)?.pending ?? [];
      term.write(`${svc.name}${stateOf(s, svc)}${pending.length ? `  ${NOTE} restart pending: ${pending.map((p) => p.operation).join('; ')}` : ''}\n`);
    }
    term.write(`Primary Node =${s.node === s.cluster.publisher.hostname}\n`);
    return done();
  },
};

function unknownService(term: AdminTerminal, name: string): AdminOutcome {
  return refuse(term, 'INVALID_ARGUMENT', `${NOTE} "${name}" is not a service of this node; ${suggestion(name, CLI_SERVICES.map((x) => x.name))}`);
}

const RESTART_BANNER = 'Do not press Ctrl+C while the service is restarting. If the service has not restarted properly, execute the same command again.\nService Manager is running\n';

/** `utils service restart|stop|start NAME` on this node only, as on CUCM (the CLI acts on the node you are logged in to). */
function serviceControl(action: 'restart' | 'stop' | 'start'): AdminCommand {
  return {
    words: ['utils', 'service', action], params: [{ name: 'service', rest: true }], twin: action === 'restart' ? 'trustlab utils service restart SERVICE --node N' : `trustlab utils service ${action} "Cisco Certificate Expiry Monitor"`,
    summary: action === 'restart' ? 'restart a service on this node (TVS loads new trust, TFTP drops a reset ITL, CallManager loads its new certificate)' : `${action} a service on this node (its listeners ${action === 'stop' ? 'close' : 'open again'} when the servers run in this process)`,
    run: async (s, [name], term) => {
      const svc = cliServiceOf(name!);
      if (!svc) return unknownService(term, name!);
      const lines = action === 'stop' ? [`${svc.name}[STOPPING]`, `${svc.name}[STOPPED]`] : action === 'start' ? [`${svc.name}[STARTING]`, `${svc.name}[STARTED]`] : [`${svc.name}[STOPPING]`, `${svc.name}[STARTING]`, `${svc.name}[STARTED]`];
      if (svc.model && !s.cluster.node(s.node).services.includes(svc.model)) return refuse(term, 'INVALID_ARGUMENT', `${svc.name}[STOPPED]  Service Not Activated`);
      if (svc.monitor) {
        term.write(RESTART_BANNER);
        return reportOp(term, await s.cluster.controlCertMonitor(action), lines);
      }
      if (action !== 'restart') {
        if (!svc.listeners) return refuse(term, 'ADMIN_NOT_EMULATED', `${NOTE} ${svc.name} has no part in trust here, so it cannot be stopped or started`);
        if (!s.servers) return refuse(term, 'ADMIN_NOT_EMULATED', `${NOTE} ${svc.name} runs in \`trustlab serve\`, not in this process: stop that, or use a scenario's \`cli:\` or \`stop:\` step`);
        term.write(RESTART_BANNER);
        for (const l of svc.listeners) await (action === 'stop' ? s.servers.stop(s.node, l) : s.servers.start(s.node, l));
        term.write(lines.map((l) => `${l}\n`).join(''));
        return done();
      }
      term.write(RESTART_BANNER);
      if (!svc.model) return reportOp(term, { events: [], warnings: [] }, [...lines, `${NOTE} ${svc.name} has no part in trust in trustlab's model; nothing else changed`]);
      return reportOp(term, await s.cluster.restartService(svc.model, [s.node]), lines);
    },
  };
}

export const UTILS_COMMANDS: readonly AdminCommand[] = [itlReset, setCluster, ctlUpdate, ctlReset, serviceList, serviceControl('restart'), serviceControl('stop'), serviceControl('start')];
