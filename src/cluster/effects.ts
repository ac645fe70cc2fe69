import type { ClusterEvent } from './events.js';
import type { ClusterState, Purpose, ServiceName } from './model.js';
import { identityOf } from './identity.js';
import { profileOf } from './release.js';

/**
 * The side effects the chapter and phone-behaviour.md list when an identity certificate
 * changes (regenerated, CA-signed upload, reuse): which files the TFTP service rebuilds, which
 * services restart by themselves and which must be restarted by hand (Table 7; REG-8..REG-10;
 * TVS-8), whether phones reset (REG-1: automatically from 14 when "Phone Interaction on
 * Certificate Update" is automatic; by hand before 14), and whether the CTL must be updated
 * (CTL-6). Automatic restarts are applied to the model here; manual ones are only reported.
 *
 * Model choice (docs/decisions/012-service-state.md): files are rebuilt from the live model on
 * every read, as CUCM's certificate change notification makes the TFTP service do; the
 * CallManager service keeps presenting the certificate it loaded until it restarts, which
 * before 14 is a manual step.
 */
export function certificateChangeEvents(state: ClusterState, purpose: Purpose, holders: readonly string[], what: string): ClusterEvent[] {
  const profile = profileOf(state.release);
  const tftpNodes = state.nodes.filter((n) => n.services.includes('TFTP')).map((n) => n.hostname);
  const events: ClusterEvent[] = [];
  const resetPhones = (reason: string): void => {
    const automatic = profile.phoneInteractionParam && state.params.phoneInteractionOnCertUpdate === 'automatic';
    events.push(automatic
      ? { type: 'phones.reset', by: 'cluster', reason: `${reason}: Phone Interaction on Certificate Update is Automatic (REG-1)` }
      : { type: 'phones.reset-required', reason: `${reason}: reset the phones (Device > Reset) so they fetch the new ITL` });
  };
  const restart = (service: ServiceName, nodes: readonly string[], automatic: boolean, reason: string): void => {
    const on = nodes.filter((h) => state.nodes.find((n) => n.hostname === h)?.services.includes(service));
    if (on.length === 0) return;
    if (automatic) restartServices(state, service, on);
    events.push(automatic ? { type: 'service.restarted', service, nodes: on, by: 'cluster', reason } : { type: 'service.restart-required', service, nodes: on, reason });
  };
  const ctlUpdate = (): void => {
    if (state.securityMode === 'mixed') events.push({ type: 'ctl.update.required', reason: `${what}: run utils ctl update CTLFile so the CTL carries it (CTL-6)` });
  };
  const itl = (): void => {
    if (tftpNodes.length) events.push({ type: 'file.rebuilt', file: 'ITLFile.tlv', nodes: tftpNodes, reason: what });
  };
  switch (purpose) {
    case 'CallManager':
    case 'CallManager-ECDSA':
      itl();
      events.push({ type: 'file.rebuilt', file: 'SEP<MAC>.cnf.xml.sgn', nodes: holders.filter((h) => tftpNodes.includes(h)), reason: `${what}: configs are signed with the TFTP node's CallManager key (CFG-1)` });
      for (const s of profile.callManagerRestarts) {
        restart(s, s === 'TVS' || s === 'TFTP' ? state.nodes.map((n) => n.hostname) : holders, profile.callManagerRestartAutomatic, `${what} (Table 7)`);
      }
      ctlUpdate();
      resetPhones(what);
      break;
    case 'TVS':
      restart('TVS', holders, true, `${what}: TVS restarts by itself (TVS-8)`);
      itl();
      resetPhones(what);
      break;
    case 'CAPF':
      restart('CAPF', holders, true, `${what}: CAPF restarts by itself`);
      if (!profile.phoneInteractionParam) {
        restart('TVS', state.nodes.map((n) => n.hostname), false, `${what}: restart TVS on every node (REG-9)`);
        restart('TFTP', state.nodes.map((n) => n.hostname), false, `${what}: restart TFTP on every node (REG-9)`);
      }
      itl();
      ctlUpdate();
      resetPhones(what);
      break;
    case 'ITLRecovery':
      itl();
      ctlUpdate();
      resetPhones(what);
      break;
    case 'tomcat':
    case 'tomcat-ECDSA':
      events.push({ type: 'warning', code: 'RESTART_TOMCAT', message: `${what}: restart Cisco Tomcat (and DRF, UDS, AXL web services) on ${holders.join(', ')} (Table 7)` });
      restart('TFTP', holders, false, `${what}: TFTP keeps offering the old cached tomcat certificate until restarted`);
      break;
    case 'ipsec':
      events.push({ type: 'warning', code: 'RESTART_IPSEC', message: `${what}: restart the IPsec service on ${holders.join(', ')} (Table 7)` });
      break;
  }
  return events;
}

/**
 * (Re)starts a service on nodes: TVS starts answering from the trust that has arrived so far;
 * CallManager loads the current CallManager certificates; TFTP drops a pinned reset ITL.
 */
export function restartServices(state: ClusterState, service: ServiceName, nodes: readonly string[]): void {
  for (const hostname of nodes) {
    let s = state.services.find((x) => x.node === hostname && x.service === service);
    if (!s) {
      s = { node: hostname, service, startedRev: state.rev, loaded: {} };
      state.services.push(s);
    }
    s.startedRev = state.rev;
    s.loaded = {};
    delete s.pending;
    if (service === 'CallManager') {
      for (const p of ['CallManager', 'CallManager-ECDSA'] as const) {
        const id = identityOf(state, p, hostname);
        if (id) s.loaded[p] = { certPem: id.certPem, keyPem: id.keyPem };
      }
    }
    if (service === 'TFTP') delete state.tftp.itlOverrides[hostname];
  }
}
