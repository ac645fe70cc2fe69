import { initialPhone, messages as M, phoneModel, reduce, type NetworkEffect, type PhoneState, type TrustDecisions } from '../../phones/index.js';
import { Role } from '../trustlist/index.js';
import type { PhoneScene } from './targets.js';

/**
 * Drives the phone's machine with one downloaded file (the phone target, issue 8 and 13): the
 * phone is in the phase that fetches it, with the scene's flash; the file arrives as the answer
 * to that fetch; a TVS question is answered as the cluster's TVS would. No sockets: the machine
 * is pure, so a fuzz execution costs the trust decision and little more.
 */
export interface DriveOutcome {
  /** The phone installed the list, or applied the config. */
  accepted: boolean;
  /** The same bytes as installed: nothing to decide. */
  unchanged: boolean;
  /** It took the file on first use. */
  tofu: boolean;
  /** The decision path, as a coverage feature. */
  path: string;
  /** An INVALID_TRANSITION finding, if the machine met one. */
  invalid?: string;
}

const MODEL = phoneModel('8861');
const MAC = '00F0F0F0F0F0';
const TVS_MEMBER = { priority: 0, address: '10.0.0.2', port: 2445 };

/** The phone ready for the download, once per scene (the state is never mutated). */
const ready = new WeakMap<PhoneScene, Record<'itl' | 'ctl' | 'sgn', PhoneState>>();

function phoneFor(scene: PhoneScene, kind: 'itl' | 'ctl' | 'sgn'): PhoneState {
  let r = ready.get(scene);
  if (!r) {
    const base = initialPhone({ mac: MAC, model: MODEL, tftpServers: ['10.0.0.1'], flash: scene.flash });
    // TVS can be asked only about members the config names (TVS-2); give a scene without a
    // config one member, so that the question reaches TVS.
    const config = base.config ? { ...base.config, tvs: base.config.tvs.length ? base.config.tvs : [TVS_MEMBER] } : {
      fullConfig: true, deviceProtocol: 'SIP' as const, deviceSecurityMode: 1 as const, callManagers: [], tvs: [TVS_MEMBER], loadInformation: '', capfAuthMode: 0 as const, capf: [], certHash: '', encrConfig: false,
    };
    const at = (phase: PhoneState['phase'], name: string): PhoneState => ({
      ...base, config, phase, settled: { state: 'booting', reason: 'downloading' }, fetch: { names: [name], server: 0 }, effects: [{ id: 1, type: 'fetch', region: 'phone' }], nextEffect: 2,
    });
    r = { ctl: at('ctl', 'CTLFile.tlv'), itl: at('itl', 'ITLFile.tlv'), sgn: at('config', `SEP${MAC}.cnf.xml.sgn`) };
    ready.set(scene, r);
  }
  return r[kind];
}

export function drivePhone(kind: 'itl' | 'ctl' | 'sgn', bytes: Uint8Array, scene: PhoneScene, decisions: TrustDecisions & { reduce?: typeof reduce }): DriveOutcome {
  const step = decisions.reduce ?? reduce;
  let s = phoneFor(scene, kind);
  const logBefore = s.flash.log.length;
  const name = s.fetch!.names[0]!;
  let t = step(s, { type: 'file.result', at: 0, effect: 1, name, bytes }, MODEL, decisions);
  let invalid = t.invalid?.message;
  let askedTvs = false;
  const ask = t.effects.find((e): e is Extract<NetworkEffect, { type: 'tvs.verify' | 'tvs.query' }> => e.type === 'tvs.verify' || e.type === 'tvs.query');
  if (ask && !invalid) {
    askedTvs = true;
    s = t.state;
    const vouched = ask.type === 'tvs.verify' ? (scene.tvsVouches(ask.certificate) ? [ask.certificate] : []) : scene.reference.tvs.filter((c) => scene.tvsVouches(c));
    t = step(s, vouched.length
      ? { type: 'tvs.result', at: 0, effect: ask.id, outcome: 'vouched', roles: ask.type === 'tvs.verify' ? [Role.SAST] : [Role.TFTP, Role.CCM_TFTP], ttlSeconds: 86_400, certificates: vouched }
      : { type: 'tvs.result', at: 0, effect: ask.id, outcome: 'refused' }, MODEL, decisions);
    invalid = t.invalid?.message;
  }
  const boot = t.state.boot;
  const outcome = kind === 'sgn' ? boot.config : kind === 'itl' ? boot.itl : boot.ctl;
  const tofu = t.state.flash.log.slice(logBefore).some((l) => l.message === M.leapOfFaith);
  const why = outcome === 'rejected' ? `:${(boot.rejection ?? '').replace(/^(CTL|ITL|config) rejected: /, '').split(/[:(]/)[0]!.trim()}` : '';
  return {
    accepted: outcome === 'installed' || outcome === 'updated' || outcome === 'applied',
    unchanged: outcome === 'unchanged',
    tofu,
    path: `${kind}:${outcome ?? 'none'}${askedTvs ? ':tvs' : ''}${tofu ? ':tofu' : ''}${why}`,
    ...(invalid ? { invalid } : {}),
  };
}
