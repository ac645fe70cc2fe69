import { EmulatorError } from '../shared/errors.js';
import type { ClusterState } from './model.js';
import { RELEASES } from './model.js';

/**
 * Checks that a parsed cluster.json has the shape this version writes, so a damaged or
 * hand-edited file is refused with a message naming what is wrong instead of failing later.
 */
export function checkClusterState(s: unknown, path: string): ClusterState {
  const bad = (why: string): never => {
    throw new EmulatorError('LAB_CORRUPT', `${path}: ${why}`);
  };
  if (typeof s !== 'object' || s === null) return bad('not an object');
  const o = s as Record<string, unknown>;
  if (typeof o.formatVersion !== 'number') bad('missing formatVersion');
  if ((o.formatVersion as number) > 1) throw new EmulatorError('LAB_FORMAT_TOO_NEW', `${path} was written by a newer trustlab (cluster format ${o.formatVersion}); upgrade trustlab to open it`);
  if (typeof o.name !== 'string') bad('missing name');
  if (!RELEASES.includes(o.release as never)) bad(`unknown release ${String(o.release)}`);
  for (const k of ['nodes', 'identities', 'csrs', 'trust', 'services', 'devices'] as const) if (!Array.isArray(o[k])) bad(`${k} is not a list`);
  if (typeof o.tftp !== 'object' || o.tftp === null) bad('missing tftp');
  if (typeof o.rev !== 'number') bad('missing rev');
  for (const [i, id] of (o.identities as Array<Record<string, unknown>>).entries()) {
    if (typeof id.certPem !== 'string' || typeof id.keyPem !== 'string' || !Array.isArray(id.nodes)) bad(`identities[${i}] lacks certPem, keyPem or nodes`);
  }
  for (const [i, t] of (o.trust as Array<Record<string, unknown>>).entries()) {
    if (typeof t.certPem !== 'string' || typeof t.store !== 'string' || typeof t.node !== 'string') bad(`trust[${i}] lacks certPem, store or node`);
  }
  return s as ClusterState;
}
