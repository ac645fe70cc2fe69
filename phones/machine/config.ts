import { decodeDeviceConfig } from '../../src/config/index.js';
import { startCapf, capfPending, secureProfile } from './capf.js';
import { fetchPhase, onFileResult } from './files.js';
import * as M from './messages.js';
import { startRegister } from './register.js';
import type { Step } from './step.js';
import { subMachine } from './table.js';
import { CONFIG_SIGNER_ROLES, internFile, internText, trustsOnFirstUse } from './trust.js';
import { askTvs } from './tvs.js';
import { AFTER_CONFIG, CAPF_STARTS } from './targets.js';
import type { PhoneState } from './types.js';

/**
 * Config download and verification (phone-behaviour.md BOOT-2, CFG-1..CFG-4, ITL-6, ITL-8): a
 * phone holding a trust list asks for the signed config and accepts it only from a TFTP-role
 * signer of its CTL/ITL, or one TVS vouches for; a phone without one takes the unsigned file. A
 * rejected or missing config leaves the cached one in force. Then CAPF (secure profile) or the
 * registration.
 */


/** The config a flash copy holds, or null when there is none or it no longer parses. */
export function parsedConfig(xml: string | undefined): PhoneState['config'] {
  if (!xml) return null;
  try {
    return decodeDeviceConfig(xml);
  } catch {
    return null;
  }
}

export function toConfig(st: Step): void {
  const signed = Boolean(st.s.flash.ctl || st.s.flash.itl);
  const names = signed ? [`${st.s.device}.cnf.xml.sgn`] : [];
  if (!signed || trustsOnFirstUse(st.s.flash)) names.push(`${st.s.device}.cnf.xml`);
  if (!fetchPhase(st, 'config', names)) afterFiles(st, 'no TFTP server configured');
}

function onConfigFile(st: Step, name: string, bytes: Uint8Array): void {
  const d = st.decide.decideConfig(bytes, name.endsWith('.sgn'), st.s.flash);
  if (d.kind === 'accept') return applyConfig(st, d.xml, d.config);
  if (d.kind === 'ask-tvs') {
    return askTvs(st, { purpose: 'config', file: internFile(bytes), fileName: name, subject: d.subject, wantRoles: CONFIG_SIGNER_ROLES });
  }
  rejectConfig(st, d.reason, d.signerUnknown);
}

export function applyConfig(st: Step, xml: string, config: NonNullable<PhoneState['config']>): void {
  const same = st.s.flash.config === xml;
  if (!same) st.flash({ config: internText(xml) });
  st.s = { ...st.s, config, boot: { ...st.s.boot, config: same ? 'unchanged' : 'applied' } };
  afterConfig(st);
}

export function rejectConfig(st: Step, reason: string, signerUnknown: boolean): void {
  st.log(signerUnknown ? M.sgnSignerNotInCtl(st.s.device) : M.sgnVerifyFailed);
  st.status(M.authenticatedFail(st.s.device));
  st.s = { ...st.s, boot: { ...st.s.boot, config: 'rejected', rejection: st.s.boot.rejection ?? `config rejected: ${reason}` } };
  afterConfig(st);
}

/** The TFTP servers could not be reached: carry on with the cached configuration (ITL-6). */
export function afterFiles(st: Step, why: string): void {
  st.s = { ...st.s, fetch: null, boot: { ...st.s.boot, rejection: st.s.boot.rejection ?? why } };
  afterConfig(st);
}

/** The config in force decides what comes next: nothing to register with, CAPF first (secure profile, CAPF-3), or the registration. */
export function afterConfig(st: Step): void {
  st.s = { ...st.s, fetch: null };
  if (!st.s.config) {
    st.s = { ...st.s, phase: 'failed' };
    st.settle('unregistered', st.s.boot.rejection ?? 'no configuration file');
    return;
  }
  if (capfPending(st) && secureProfile(st)) {
    st.s = { ...st.s, phase: 'enrol' };
    return startCapf(st);
  }
  startRegister(st);
}

export const configMachine = subMachine('phone', {
  name: 'config',
  title: 'Config download and verification',
  source: 'BOOT-2, CFG-1..CFG-4, ITL-6, ITL-8',
  owns: ['config'],
}, (edge) => [
  edge({
    from: ['config'], on: 'file.result', to: ['config', 'tvs', ...AFTER_CONFIG], also: { capf: CAPF_STARTS }, doc: 'config applied, rejected or absent: CAPF or registration',
    run: (st, e) => {
      const r = onFileResult(st, e);
      if (r.kind === 'next') return;
      if (r.kind === 'unreachable') return afterFiles(st, r.why);
      if (r.kind === 'absent') {
        st.log(M.fileNotFound(r.name));
        st.s = { ...st.s, boot: { ...st.s.boot, config: 'absent' } };
        return afterConfig(st);
      }
      onConfigFile(st, r.name, r.bytes);
    },
  }),
]);
