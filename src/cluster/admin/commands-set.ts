import { suggestion } from '../../shared/suggest.js';
import { PURPOSES, TRUST_STORES, type Purpose, type TrustStoreName } from '../model.js';
import { confirm, NOTE, refuse, reportOp } from './common.js';
import type { AdminCommand, AdminOutcome, AdminTerminal } from './types.js';

const purposeOf = (name: string): Purpose | undefined => PURPOSES.find((p) => p.toLowerCase() === name.toLowerCase());

/** The trust store a CLI unit names: `tomcat` (as `set cert import trust tomcat` writes it) or `tomcat-trust`. */
const storeOf = (unit: string): TrustStoreName | undefined => {
  const u = unit.toLowerCase();
  return TRUST_STORES.find((t) => t.toLowerCase() === u || t.toLowerCase() === `${u}-trust`);
};

function unknownUnit(term: AdminTerminal, unit: string, names: readonly string[]): AdminOutcome {
  return refuse(term, 'INVALID_ARGUMENT', `${NOTE} "${unit}" is not a certificate unit on this node; ${suggestion(unit, names) ?? ''}`.trimEnd());
}

/**
 * `set cert regen NAME` (decision 031 §2, CLI Reference 12.5(1)SU2): the overwrite warning
 * (ITLRecovery has its own), `Proceed with regeneration (yes|no)?`, then CUCM's two success lines.
 * The model applies the chapter's side effects (Table 7, REG-1..REG-10) and trustlab lists them.
 */
const regen: AdminCommand = {
  words: ['set', 'cert', 'regen'], params: [{ name: 'unit' }], twin: 'trustlab cert regenerate PURPOSE --node N',
  summary: 'regenerate an identity certificate on this node (tomcat, CallManager, CAPF, TVS, ipsec, ITLRecovery, and the -ECDSA ones)',
  run: async (s, [unit], term) => {
    const purpose = purposeOf(unit!);
    if (!purpose) return unknownUnit(term, unit!, PURPOSES);
    term.write(purpose === 'ITLRecovery'
      ? '\nWARNING: If you are using a tokenless CTL and if the CallManager certificate is recently\ngenerated, please ensure that the CTL File already has the new CallManager certificate and is\nupdated to the endpoints, before generating the ITL Recovery certificate. Are you sure want\nto proceed?\n\n'
      : `WARNING: This operation will overwrite any CA signed certificate previously imported for  ${purpose}\n`);
    if (!(await confirm(term, 'Proceed with regeneration (yes|no)? '))) return { status: 'cancelled' };
    return reportOp(term, await s.cluster.regenerate(purpose, s.node), [
      `Successfully Regenerated Certificate for ${purpose}.`,
      `You must restart services related to ${purpose} for the regenerated certificates to become active.`,
    ]);
  },
};

/**
 * `set cert delete UNIT NAME`: deletes a trust certificate (from 11.0 on every node, TAC 211300).
 * CUCM's prompt and success wording for this command were not found (decision 031 §3); the
 * `(yes|no)?` prompt follows the other `set cert` commands.
 */
const remove: AdminCommand = {
  words: ['set', 'cert', 'delete'], params: [{ name: 'unit' }, { name: 'name' }], twin: 'trustlab cert delete NAME --store STORE --node N',
  summary: 'delete a trust certificate from a trust unit (tomcat, CallManager, CAPF, Phone-SAST, …) on every node',
  run: async (s, [unit, name], term) => {
    if (purposeOf(unit!) && !storeOf(unit!)) {
      return reportOp(term, await s.cluster.deleteTrust({ store: purposeOf(unit!)!, node: s.node, name: name! }), []);
    }
    const store = storeOf(unit!);
    if (!store) return unknownUnit(term, unit!, TRUST_STORES);
    const stem = (n: string): string => n.replace(/\.pem$/i, '').toLowerCase();
    const entry = s.cluster.state.trust.find((t) => t.store === store && t.node === s.node && stem(t.name) === stem(name!));
    if (!entry) return refuse(term, 'CERT_NOT_FOUND', `${NOTE} ${store} on ${s.node} has no "${name}"; see show cert list trust`);
    const file = `${store}/${entry.name.replace(/\.pem$/i, '')}.pem`;
    if (!(await confirm(term, `Are you sure you want to delete ${file} (yes|no)? `))) return { status: 'cancelled' };
    return reportOp(term, await s.cluster.deleteTrust({ store, node: s.node, name: entry.name }), [`Successfully deleted ${file}.`]);
  },
};

/**
 * `set cert import trust UNIT` (CLI Reference 12.5(1)SU2): paste the certificate, then CUCM's
 * "Successfully imported certificate for UNIT." and the restart notice. The paste prompt's
 * wording is not documented (decision 031 §4).
 */
const importTrust: AdminCommand = {
  words: ['set', 'cert', 'import', 'trust'], params: [{ name: 'unit' }], twin: 'trustlab cert upload FILE --store STORE --node N',
  summary: 'import a pasted PEM certificate into a trust unit (tomcat → tomcat-trust)',
  run: async (s, [unit], term) => {
    const store = storeOf(unit!);
    if (!store) return unknownUnit(term, unit!, TRUST_STORES.map((t) => t.replace(/-trust$/, '')));
    const pem = await term.paste('Paste the Certificate and Hit Enter\n');
    if (!pem?.includes('-----BEGIN CERTIFICATE-----')) return refuse(term, 'INVALID_ARGUMENT', 'no certificate was pasted (paste a PEM block, -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----, then an empty line)');
    const u = store.replace(/-trust$/, '');
    return reportOp(term, await s.cluster.uploadTrust({ store, node: s.node, data: new TextEncoder().encode(pem) }), [
      `Successfully imported certificate for ${u}.`,
      `Please restart services related to ${u} for the new certificate to become active.`,
    ]);
  },
};

export const SET_COMMANDS: readonly AdminCommand[] = [regen, remove, importTrust];
