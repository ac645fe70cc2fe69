import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { testLab } from '../helpers/lab.js';
import { makePhone, startCluster, testEnv, wrapPhone, TEST_TFTP_PORT, type RunningCluster } from '../helpers/phone-rig.js';
import { PhoneStore, VirtualPhone } from '../../phones/index.js';
import type { Lab } from '../../src/cluster/index.js';
import type { ManualClock } from '../../src/shared/clock.js';

/**
 * Issue 6 "Must show": a phone restarted from its flash after a process kill makes the same trust
 * decision it would have made without the kill. The phone runs in a child process and is killed
 * with SIGKILL while it is asking TVS about a new ITL signer (SC-3); a phone rebuilt from the
 * flash left on disk then decides exactly as a control phone built from the pre-kill flash.
 */
let lab: Lab;
let clock: ManualClock;
let r: RunningCluster;

beforeAll(async () => {
  ({ lab, clock } = await testLab());
  r = await startCluster(lab, clock, { name: 'k', release: '11.5', nodes: ['pub', 'sub'] });
}, 60_000);

afterAll(() => r.servers.close());

it('a phone killed mid-update restarts from flash and makes the same decision as one never killed', async () => {
  const store = new PhoneStore(mkdtempSync(join(tmpdir(), 'trustlab-phones-')));
  const first = await makePhone(lab, clock, { tftp: [r.ip('pub')], store });
  const mac = first.phone.record.mac;
  await r.cluster.upsertDevices([{ mac, model: '8861' }]);
  await first.act((p) => p.powerOn());
  expect(first.phone.settled.state).toBe('registered');
  first.phone.powerOff();
  const before = await store.loadFlash(mac);
  expect(before?.itl).toBe(first.phone.state.flash.itl);

  await r.cluster.regenerate('CallManager', 'pub');
  await r.cluster.restartService('TFTP');

  // The phone in its own process; killed as soon as TVS sees it connect.
  const child = spawn(process.execPath, [resolve(ROOT, 'test/helpers/phone-child.mjs'), ROOT, store.labDir, mac, String(TEST_TFTP_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, sig) => res(sig)));
  const killed = new Promise<void>((res) => {
    const off = r.servers.events.on('tvs.connection', () => {
      off();
      child.kill('SIGKILL');
      res();
    });
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await killed;
  expect(await exited).toBe('SIGKILL');
  expect(out).not.toContain('IDLE');

  // What is on disk is a whole flash image: the one from before the update (the kill came first).
  const after = await store.loadFlash(mac);
  expect(after).toEqual(before);

  const control = wrapPhone(new VirtualPhone((await store.loadRecord(mac))!, structuredClone(before!), testEnv(lab, clock)));
  const restarted = wrapPhone(new VirtualPhone((await store.loadRecord(mac))!, after, testEnv(lab, clock, { store })));
  await control.act((p) => p.reset());
  await restarted.act((p) => p.reset());
  expect(control.phone.state.boot).toMatchObject({ itl: 'updated' });
  expect(restarted.phone.state.boot).toEqual(control.phone.state.boot);
  expect(restarted.phone.state.flash.itl).toBe(control.phone.state.flash.itl);
  expect(restarted.statuses).toEqual(control.statuses);
  expect(restarted.phone.settled).toEqual(control.phone.settled);
  expect((await store.loadFlash(mac))!.itl).toBe(restarted.phone.state.flash.itl);
});
