import { createCsr, toPem, type HashName } from '../../pki/index.js';
import { EmulatorError } from '../../shared/errors.js';
import type { ClusterContext } from '../context.js';
import type { ClusterEvent } from '../events.js';
import { sanFor, subjectFor } from '../identity.js';
import type { ClusterState, Purpose } from '../model.js';
import { PURPOSE_RULES } from '../purposes.js';
import { profileOf } from '../release.js';
import { checkCertParams, defaultParams } from '../validation.js';
import { holdersFor, requireNode } from './generate.js';

/**
 * "Generate CSR" (chapter Table 5): a new key and a PKCS#10 request with the key usage and
 * extended key usage of its purpose (Table 3; docs/decisions/010-csr-key-usage.md — Data
 * Encipherment is never dropped), the OU only when asked ("Include OU in CSR"), and for
 * multi-server distribution every node's FQDN in the SAN and `<host>-ms.<domain>` as CN. A new
 * CSR for the same purpose and node overwrites the old one.
 */
export interface CsrArgs {
  purpose: Purpose;
  node: string;
  distribution?: 'node' | 'multi-server';
  keyLength?: number;
  hash?: HashName;
  includeOu?: boolean;
}

export async function generateCsr(state: ClusterState, ctx: ClusterContext, a: CsrArgs): Promise<ClusterEvent[]> {
  const rule = PURPOSE_RULES[a.purpose];
  if (!rule.csr) throw new EmulatorError('CERT_PARAMS_INVALID', `${a.purpose} is self-signed only; CUCM offers no CSR for it`);
  const node = requireNode(state, a.node);
  const distribution = a.distribution ?? 'node';
  const holders = holdersFor(state, a.purpose, node, distribution);
  const d = defaultParams(a.purpose, profileOf(state.release).defaultValidityYears);
  const params = { keyLength: a.keyLength ?? d.keyLength, hash: a.hash ?? d.hash, validityYears: d.validityYears };
  const keySpec = checkCertParams(a.purpose, params, state.params.fipsMode);
  const keys = await ctx.pool.take(keySpec, 'identity');
  const spec = { purpose: a.purpose, nodes: holders, distribution, includeOu: a.includeOu === true };
  const csr = await createCsr({
    subject: subjectFor(state, spec),
    keys,
    hash: params.hash,
    keyUsage: rule.keyUsage,
    extendedKeyUsage: rule.extendedKeyUsage,
    dnsNames: sanFor(spec),
    ...(rule.ca ? { ca: { pathLength: 0 } } : {}),
  });
  state.csrs = state.csrs.filter((c) => !(c.purpose === a.purpose && c.node === node.hostname));
  state.csrs.push({
    purpose: a.purpose,
    node: node.hostname,
    distribution,
    csrPem: toPem(csr.der, 'CERTIFICATE REQUEST'),
    keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    keySpec,
    hash: params.hash,
    rev: state.rev,
  });
  return [{ type: 'csr.generated', purpose: a.purpose, node: node.hostname, subject: csr.subjectCucm }];
}
