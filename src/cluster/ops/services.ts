import { EmulatorError } from '../../shared/errors.js';
import { restartServices } from '../effects.js';
import type { ClusterEvent } from '../events.js';
import type { ClusterState, ServiceName } from '../model.js';

/** `utils service restart` / Control Center: restart a service on some or all nodes. */
export function restartService(state: ClusterState, service: ServiceName, nodes?: readonly string[]): ClusterEvent[] {
  const running = state.nodes.filter((n) => n.services.includes(service)).map((n) => n.hostname);
  const target = nodes?.length ? nodes : running;
  for (const h of target) {
    if (!state.nodes.some((n) => n.hostname === h)) throw new EmulatorError('NODE_NOT_FOUND', `no node "${h}"`);
    if (!running.includes(h)) throw new EmulatorError('INVALID_ARGUMENT', `${service} is not activated on ${h}`);
  }
  restartServices(state, service, target);
  const events: ClusterEvent[] = [{ type: 'service.restarted', service, nodes: [...target], by: 'administrator', reason: 'utils service restart' }];
  if (service === 'TFTP') events.push({ type: 'file.rebuilt', file: 'ITLFile.tlv', nodes: [...target], reason: 'TFTP restarted: any reset ITL is replaced by the normal one' });
  return events;
}
