import { Role } from '../../src/trustlist/index.js';
import { afterFiles, parsedConfig, toConfig } from './config.js';
import { fetchPhase, onFileResult } from './files.js';
import * as M from './messages.js';
import type { Step } from './step.js';
import { subMachine } from './table.js';
import { internFile } from './trust.js';
import { CAPF_STARTS, ENTER_CONFIG, ENTER_ITL, START_BOOT } from './targets.js';
import { askTvs } from './tvs.js';
import type { Phase, TrustListKind } from './types.js';

/**
 * Boot and trust-list sync (phone-behaviour.md BOOT-1, §4 ITL-1..ITL-9, §7 CTL-3/CTL-5, FMT-6,
 * REC-4): power and the technician's actions start a boot; the boot fetches the CTL, then the
 * ITL (Security by Default models only), installing, keeping or rejecting each as `trust.ts`
 * decides, with trust on first use and TVS for an unknown signer; then it hands over to the
 * config download.
 */

const ON_PHASES: readonly Phase[] = ['ctl', 'itl', 'tvs', 'config', 'enrol', 'register', 'registered', 'failed'];

function powerOff(st: Step, reason: string): void {
  st.cancel(() => true);
  st.s = { ...st.s, phase: 'off', fetch: null, tvsAsk: null, register: { server: 0 }, service: null, capf: { ...st.s.capf, stage: 'idle' } };
  st.settle('off', reason);
}

export function startBoot(st: Step): void {
  st.s = { ...st.s, boot: {}, tvsAsk: null, capf: { stage: 'idle', attempts: 0, done: false }, register: { server: 0 }, config: parsedConfig(st.s.flash.config) };
  st.settle('booting', 'downloading trust lists and configuration');
  if (!fetchPhase(st, 'ctl', [`CTLSEP${st.s.mac}.tlv`, 'CTLFile.tlv'])) afterFiles(st, 'no TFTP server configured (DHCP option 150)');
}

function restart(st: Step, reason: string, erase?: () => void): void {
  powerOff(st, reason);
  erase?.();
  startBoot(st);
}

/** The ITL phase, or straight to the config for a model without Security by Default (TVS-7). */
export function toItl(st: Step): void {
  if (!st.model.sbd) {
    st.s = { ...st.s, boot: { ...st.s.boot, itl: 'not-supported' } };
    return toConfig(st);
  }
  if (!fetchPhase(st, 'itl', [`ITLSEP${st.s.mac}.tlv`, 'ITLFile.tlv'])) afterFiles(st, 'no TFTP server configured');
}

/** What comes after a trust list is decided: the ITL after the CTL, the config after the ITL. */
export function afterList(st: Step, kind: TrustListKind): void {
  if (kind === 'CTL') toItl(st);
  else toConfig(st);
}

function onTrustList(st: Step, kind: TrustListKind, name: string, bytes: Uint8Array): void {
  const d = st.decide.decideTrustList(kind, bytes, st.s.flash, st.model.sbd, st.at);
  switch (d.kind) {
    case 'unchanged':
      st.s = { ...st.s, boot: { ...st.s.boot, [kind.toLowerCase()]: 'unchanged' } };
      return afterList(st, kind);
    case 'accept':
      if (d.how === 'tofu') st.log(M.leapOfFaith);
      return installList(st, kind, bytes);
    case 'reject':
      return rejectList(st, kind, d.reason);
    case 'ask-tvs':
      return askTvs(st, { purpose: kind, file: internFile(bytes), fileName: name, certificate: Buffer.from(d.signer).toString('base64'), wantRoles: [Role.SAST] }, d.signer);
  }
}

/** Installs a CTL or ITL (the TVS cache is flushed with it, TVS-5) and moves on. */
export function installList(st: Step, kind: TrustListKind, bytes: Uint8Array): void {
  const had = kind === 'CTL' ? st.s.flash.ctl : st.s.flash.itl;
  const hadOther = kind === 'CTL' ? st.s.flash.itl : st.s.flash.ctl;
  const b = internFile(bytes);
  st.flash(kind === 'CTL' ? { ctl: b, tvsCache: [] } : { itl: b, tvsCache: [] });
  st.s = { ...st.s, boot: { ...st.s.boot, [kind.toLowerCase()]: had ? 'updated' : 'installed' } };
  if (kind === 'CTL') st.log(M.tlVerified);
  if (had || (kind === 'CTL' && hadOther)) {
    if (had) st.log(M.tlUpdated);
    st.status(M.STATUS.trustListUpdated);
  } else if (kind === 'ITL') {
    st.status(hadOther || st.s.boot.ctl === 'installed' ? M.STATUS.ctlAndItlInstalled : M.STATUS.itlInstalled);
  }
  afterList(st, kind);
}

/** Keeps the installed list (ITL-5) and moves on; an ITL too large to load stops the phone (FMT-6). */
export function rejectList(st: Step, kind: TrustListKind, reason: string): void {
  st.log(`${kind} rejected: ${reason}`);
  st.status(kind === 'CTL' && st.s.flash.ctl ? M.STATUS.ctlUpdateFailed : M.STATUS.trustListUpdateFailed);
  st.s = { ...st.s, boot: { ...st.s.boot, [kind.toLowerCase()]: 'rejected', rejection: `${kind} rejected: ${reason}` } };
  if (kind === 'ITL' && /exceeds 64 KB/.test(reason)) {
    st.s = { ...st.s, phase: 'failed', fetch: null };
    st.settle(st.s.flash.itl ? 'trust-update-failed' : 'unregistered', `ITL too large to load; the phone cannot register (FMT-6)`);
    return;
  }
  afterList(st, kind);
}

function onListFile(st: Step, kind: TrustListKind, e: Parameters<typeof onFileResult>[1]): void {
  const r = onFileResult(st, e);
  switch (r.kind) {
    case 'next':
      return;
    case 'unreachable':
      return afterFiles(st, r.why);
    case 'absent':
      st.log(M.fileNotFound(r.name));
      if (kind === 'CTL') {
        st.s = { ...st.s, boot: { ...st.s.boot, ctl: 'absent' } };
        return toItl(st);
      }
      st.s = { ...st.s, boot: { ...st.s.boot, itl: 'absent' } };
      if (!st.s.flash.ctl && !st.s.flash.itl) st.status(M.STATUS.noTrustList);
      return toConfig(st);
    case 'file':
      return onTrustList(st, kind, r.name, r.bytes);
  }
}

export const bootMachine = subMachine('phone', {
  name: 'boot',
  title: 'Boot and trust-list sync',
  source: 'BOOT-1, ITL-1..ITL-9, CTL-3, CTL-5, FMT-6, REC-4',
  owns: ['off', 'ctl', 'itl'],
}, (edge) => [
  edge({ from: ['off'], on: 'power.on', to: START_BOOT, also: { capf: CAPF_STARTS }, doc: 'boot: fetch the CTL first', run: (st) => startBoot(st) }),
  edge({ from: ON_PHASES, on: 'power.on', to: ['stay'], doc: 'already on: nothing happens', run: () => undefined }),
  edge({ from: 'any', on: 'power.off', to: ['off'], also: { capf: ['idle'], service: ['idle'] }, doc: 'everything in flight is cancelled', run: (st) => powerOff(st, 'powered off') }),
  edge({ from: 'any', on: 'action.reset', to: START_BOOT, also: { capf: ['idle', ...CAPF_STARTS], service: ['idle'] }, doc: 'reset: boot again from flash', run: (st) => restart(st, 'resetting') }),
  edge({
    from: 'any', on: 'action.security-reset', to: START_BOOT, also: { capf: ['idle', ...CAPF_STARTS], service: ['idle'] }, doc: 'erase CTL, ITL and the TVS cache, then boot (REC-4)',
    run: (st) => restart(st, 'resetting security settings', () => {
      st.status(M.STATUS.erasing);
      st.erase('ctl', 'itl');
      st.flash({ tvsCache: [] });
    }),
  }),
  edge({
    from: 'any', on: 'action.factory-reset', to: START_BOOT, also: { capf: ['idle', ...CAPF_STARTS], service: ['idle'] }, doc: 'erase CTL, ITL, config, LSC and the TVS cache, then boot (REC-4)',
    run: (st) => restart(st, 'factory reset', () => {
      st.status(M.STATUS.erasing);
      st.s = { ...st.s, config: null };
      st.erase('ctl', 'itl', 'config', 'lsc', 'capfAuthString');
      st.flash({ tvsCache: [] });
    }),
  }),
  edge({
    from: 'any', on: 'action.delete-itl', to: ['stay'], doc: 'the ITL is erased from flash; the next boot trusts on first use',
    run: (st) => {
      st.log('ITL deleted from the phone menu');
      st.erase('itl');
    },
  }),
  edge({
    from: ['off'], on: 'action.set-tftp', to: ['stay'], doc: 'option 150 changes for the next boot',
    run: (st, e) => {
      st.s = { ...st.s, tftpServers: [...e.servers] };
      st.log(`TFTP server set to ${e.servers.join(', ')} (DHCP option 150)`);
    },
  }),
  edge({
    from: ON_PHASES, on: 'action.set-tftp', to: START_BOOT, also: { capf: ['idle', ...CAPF_STARTS], service: ['idle'] }, doc: 'option 150 changes: the phone restarts against the new server',
    run: (st, e) => {
      st.s = { ...st.s, tftpServers: [...e.servers] };
      st.log(`TFTP server set to ${e.servers.join(', ')} (DHCP option 150)`);
      restart(st, 'restarting for the new TFTP server');
    },
  }),
  edge({
    from: ['off'], on: 'action.restore-lsc', to: ['stay'], doc: 'a restored flash image brings another LSC (the phone is off)',
    run: (st, e) => {
      st.flash({ lsc: e.lsc });
      st.log('flash restored: LSC replaced');
    },
  }),
  edge({ from: ['ctl'], on: 'file.result', to: ['ctl', 'tvs', ...ENTER_ITL], also: { capf: CAPF_STARTS }, doc: 'CTL decided (or absent): on to the ITL', run: (st, e) => onListFile(st, 'CTL', e) }),
  edge({ from: ['itl'], on: 'file.result', to: ['itl', 'tvs', 'failed', ...ENTER_CONFIG], also: { capf: CAPF_STARTS }, doc: 'ITL decided (or absent): on to the config', run: (st, e) => onListFile(st, 'ITL', e) }),
]);
