import { EmulatorError } from '../../shared/errors.js';
import type { ClusterContext } from '../context.js';
import type { ClusterEvent } from '../events.js';
import { buildCtl, type CtlSigner } from '../files/ctl.js';
import type { ClusterState } from '../model.js';

/**
 * `utils ctl set-cluster mixed-mode | non-secure-mode`, `utils ctl update CTLFile` and
 * `utils ctl reset localkey` (phone-behaviour.md CTL-1, CTL-2, REC-2). The CTL is a file the
 * commands write — unlike the ITL it is not rebuilt on its own, so a certificate changed after
 * the last update is missing from it until the next update (SC-18, SC-20).
 */
function writeCtl(state: ClusterState, ctx: ClusterContext, which: CtlSigner, reason: string): ClusterEvent[] {
  const built = buildCtl(state, which, Math.floor(ctx.clock.now() / 1000));
  state.tftp.ctl = Buffer.from(built.bytes).toString('base64');
  const tftp = state.nodes.filter((n) => n.services.includes('TFTP')).map((n) => n.hostname);
  return [{ type: 'file.rebuilt', file: 'CTLFile.tlv', nodes: tftp, reason: `${reason}: ${built.records} records, signed by ${built.signer}` }];
}

export function ctlSetCluster(state: ClusterState, ctx: ClusterContext, mode: 'mixed' | 'non-secure'): ClusterEvent[] {
  if (state.securityMode === mode) {
    return [{ type: 'warning', code: 'ALREADY_IN_MODE', message: `the cluster is already in ${mode === 'mixed' ? 'mixed' : 'non-secure'} mode` }];
  }
  state.securityMode = mode;
  const tftp = state.nodes.filter((n) => n.services.includes('TFTP')).map((n) => n.hostname);
  const cm = state.nodes.filter((n) => n.services.includes('CallManager')).map((n) => n.hostname);
  return [
    { type: 'cluster.mode', securityMode: mode },
    ...writeCtl(state, ctx, 'normal', mode === 'mixed' ? 'utils ctl set-cluster mixed-mode' : 'utils ctl set-cluster non-secure-mode (CCM+TFTP entries become placeholders)'),
    { type: 'file.rebuilt', file: 'ITLFile.tlv', nodes: tftp, reason: `the TFTP record role is now ${mode === 'mixed' ? 'CCM+TFTP' : 'TFTP'} (CONT-3)` },
    { type: 'service.restart-required', service: 'TFTP', nodes: tftp, reason: 'restart TFTP after changing the cluster security mode (CTL-1)' },
    { type: 'service.restart-required', service: 'CallManager', nodes: cm, reason: 'restart CallManager after changing the cluster security mode (CTL-1)' },
    { type: 'phones.reset-required', reason: 'reset the phones so they fetch the CTL' },
  ];
}

export function ctlUpdate(state: ClusterState, ctx: ClusterContext, which: CtlSigner = 'normal'): ClusterEvent[] {
  if (state.securityMode !== 'mixed') {
    throw new EmulatorError('CTL_NOT_MIXED', 'the cluster is not in mixed mode; run utils ctl set-cluster mixed-mode first');
  }
  return [
    ...writeCtl(state, ctx, which, which === 'normal' ? 'utils ctl update CTLFile' : 'utils ctl reset localkey'),
    { type: 'phones.reset-required', reason: 'reset the phones so they fetch the updated CTL' },
  ];
}
