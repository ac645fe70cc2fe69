import { Type } from '@sinclair/typebox';
import type { PhoneAction, PhoneMirror } from '../../dist/index.js';
import type { ScenarioContext } from '../context.js';
import { selectPhones } from './common.js';
import { defineStep, type Progress } from './registry.js';
import { ClusterName, FleetName, NodeName, Obj, Opt, Selector, type PhoneSelector } from './schemas.js';

/**
 * What a technician or a user does to the phones: each acts on the selected phones and waits
 * until nothing of theirs is on the network. A phone left waiting for a timer (a CAPF retry in
 * 30 s) is reported by the runner, and `advance` or `settle` lets that time pass.
 */
async function act(ctx: ScenarioContext, sel: PhoneSelector, progress: Progress, action: PhoneAction): Promise<string[]> {
  const groups = selectPhones(ctx, sel);
  const total = groups.reduce((a, g) => a + g.phones.length, 0);
  let before = 0;
  // The fleets act together, as phones of several fleets would be reset at once.
  const results = await Promise.all(groups.map((g) => {
    const base = before;
    before += g.phones.length;
    return ctx.act(g.fleet, action, g.phones, (done) => progress(base + done, total)).then((tally) => ({ g, tally }));
  }));
  return results.map(({ g, tally }) => `${g.fleet}: ${g.phones.length} phone(s): ${Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(', ')}`);
}

const phoneStep = <const N extends string>(name: N, summary: string, action: PhoneAction) => defineStep({
  name, summary, args: Selector, example: 'phones',
  run: (ctx, sel, progress) => act(ctx, sel, progress, action),
});

export const boot = phoneStep('boot', 'Power the phones on: CTL, ITL, config, CAPF if pending, registration (phones already on are left as they are).', { kind: 'power-on' });
export const powerOn = phoneStep('power-on', 'The same as boot.', { kind: 'power-on' });
export const powerOff = phoneStep('power-off', 'Switch the phones off; they keep their flash.', { kind: 'power-off' });
export const reset = phoneStep('reset', 'Reset the phones (Device > Reset): they boot again from what their flash holds.', { kind: 'reset' });
export const securityReset = phoneStep('security-reset', '"Reset security settings": erase the CTL, ITL and TVS cache, then boot (REC-4).', { kind: 'security-reset' });
export const factoryReset = phoneStep('factory-reset', 'Factory reset: erase the CTL, ITL, config and LSC, then boot (REC-4).', { kind: 'factory-reset' });
export const deleteItl = phoneStep('delete-itl', 'Delete the ITL from the phone\'s menu (older models); the next boot trusts on first use.', { kind: 'delete-itl' });
export const openDirectory = phoneStep('open-directory', 'Open the corporate directory (HTTPS on the publisher\'s Tomcat, its certificate checked through the trust list or TVS: SC-23).', { kind: 'open-directory' });

export const authString = defineStep({
  name: 'auth-string',
  summary: 'Type the CAPF authentication string on every phone of the fleet (CAPF-2).',
  args: Obj({ fleet: FleetName, value: Type.String({ pattern: '^[0-9]{4,10}$', description: 'the 4–10 digit string' }) }),
  example: { fleet: 'phones', value: '246810' },
  run: async (ctx, a, progress) => {
    const f = ctx.requireFleet(a.fleet);
    await ctx.act(a.fleet, { kind: 'auth-string', value: a.value }, undefined, progress);
    return [`authentication string entered on ${f.phones.length} phone(s)`];
  },
});

export const move = defineStep({
  name: 'move',
  summary: 'Point the phones at another cluster through DHCP option 150 (they restart against it); devices missing there are added.',
  args: Obj({ fleet: FleetName, to: ClusterName, tftp: Opt(Type.Array(NodeName, { minItems: 1, description: 'TFTP nodes of the target (default its publisher)' })), count: Opt(Type.Integer({ minimum: 0, description: 'only the first N phones' })) }),
  example: { fleet: 'phones', to: 'B' },
  run: async (ctx, a, progress) => {
    const f = ctx.requireFleet(a.fleet);
    const target = ctx.requireCluster(a.to).cluster;
    const phones = f.phones.slice(0, a.count ?? f.phones.length);
    const missing = phones.filter((p) => !target.device(p.device));
    if (missing.length) await target.upsertDevices(missing.map((p) => ({ mac: p.mac, model: p.model, profile: f.spec.profile ?? 'non-secure' })));
    const servers = (a.tftp ?? [target.publisher.hostname]).map((n) => target.node(n).ipv4);
    await ctx.act(a.fleet, { kind: 'set-tftp', servers }, phones, progress);
    if (phones.length === f.phones.length) f.cluster = a.to;
    return [`${phones.length} phone(s) of ${a.fleet} pointed at ${a.to} (option 150 ${servers.join(', ')})${missing.length ? `; ${missing.length} device(s) added to ${a.to}` : ''}`];
  },
});

export const copyLsc = defineStep({
  name: 'copy-lsc',
  summary: 'Switch the phones of one fleet off and restore into their flash the LSCs of another fleet\'s phones, as a phone cloned from another\'s flash image would hold (device identity, TAC 211304).',
  args: Obj({ from: FleetName, to: FleetName }),
  example: { from: 'phones', to: 'clones' },
  run: async (ctx, a) => {
    const from = ctx.requireFleet(a.from).phones;
    const to = ctx.requireFleet(a.to).phones;
    // Phone i of the clones takes the LSC of phone i (mod the source fleet's size).
    const lscs = from.length ? await ctx.shards.lscOf(a.from, to.map((_, i) => from[i % from.length]!)) : [];
    const items: Array<[PhoneMirror, PhoneAction]> = [];
    for (const [i, p] of to.entries()) {
      const lsc = lscs[i];
      if (lsc) items.push([p, { kind: 'restore-lsc', lsc }]);
    }
    await ctx.shards.actEach(a.to, items, ctx.clock.now());
    const copied = items.length;
    return [`${copied} phone(s) of ${a.to} switched off holding the LSCs of ${a.from}'s phones${copied < to.length ? `; ${to.length - copied} had no LSC to copy` : ''}`];
  },
});

export const PHONE_STEPS = [boot, powerOn, powerOff, reset, securityReset, factoryReset, deleteItl, openDirectory, authString, move, copyLsc] as const;
