import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ROOT, trustlab } from './helpers/cli.js';

/**
 * `trustlab phone` as a tester uses it (issue 6's phone by hand): add a phone to a lab, serve the
 * cluster from another process, boot and reset the phone over real sockets, read its flash.
 */
const BIN = resolve(ROOT, 'bin/trustlab.js');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** `trustlab serve --lab … --json` in a child; resolves with the TFTP and HTTP ports of the publisher. */
function serve(lab: string): Promise<{ tftp: number; http: number }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--lab', lab, '--tftp-port', '0', '--http-port', '0', '--poll-ms', '100', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRUSTLAB_KEYPOOL: resolve(ROOT, '.trustlab-keypool') } });
  children.push(child);
  return new Promise((res, rej) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const l = JSON.parse(buf.slice(0, i)) as { type: string; nodes?: Array<{ tftp: { port: number }; http: { port: number } }> };
        buf = buf.slice(i + 1);
        if (l.type === 'serve.listening') res({ tftp: l.nodes![0]!.tftp.port, http: l.nodes![0]!.http.port });
      }
    });
    child.on('exit', (code) => rej(new Error(`serve exited ${code}`)));
  });
}

it('adds a phone, boots it against a served cluster, and a security reset takes the ITL again on first use', async () => {
  const lab = mkdtempSync(join(tmpdir(), 'phone-lab-'));
  const net = `127.${randomInt(2, 250)}.${randomInt(1, 250)}`;
  expect((await trustlab(['cluster', 'init', 'A', '--lab', lab, '--release', '12.5', '--nodes', 'pub', '--addresses', `${net}.10`])).code).toBe(0);
  const added = await trustlab(['phone', 'add', '--lab', lab, '--model', '8861', '--json']);
  expect(added.code).toBe(0);
  const phone = JSON.parse(added.stdout) as { mac: string; device: string; tftpServers: string[] };
  expect(phone).toMatchObject({ mac: '00AC00000000', device: 'SEP00AC00000000', tftpServers: [`${net}.10`] });
  expect((await trustlab(['phone', 'add', '--lab', lab, '--mac', '00AC00000000'])).code).toBe(64);

  const ports = await serve(lab);
  const where = ['--lab', lab, '--tftp-port', String(ports.tftp), '--http-port', String(ports.http)];
  const boot = await trustlab(['phone', 'boot', phone.mac, ...where]);
  expect(boot.code).toBe(0);
  expect(boot.stdout).toContain('status: ITL installed');
  expect(boot.stdout).toMatch(/SEP00AC00000000: registered — registered to [0-9.]+ over TCP/);

  const shown = JSON.parse((await trustlab(['phone', 'show', phone.mac, '--lab', lab, '--json'])).stdout) as { itl: { signer: string; serial: string } | null; lastRun: { state: string; action: string }; config: boolean; log: Array<{ message: string }> };
  expect(shown.itl?.signer).toMatch(/^CN=ITLRECOVERY_pub/);
  const ids = JSON.parse((await trustlab(['cluster', 'show', '--lab', lab, '--json'])).stdout).identities as Array<{ purpose: string; serial: string }>;
  expect(shown.itl?.serial).toBe(ids.find((i) => i.purpose === 'ITLRecovery')!.serial);
  expect(shown.lastRun).toMatchObject({ state: 'registered', action: 'boot' });
  expect((await trustlab(['phone', 'show', phone.mac, '--lab', lab])).stdout).toMatch(/state: registered after `phone boot` at \S+ — registered to /);
  expect(shown.config).toBe(true);
  expect(shown.log.map((l) => l.message)).toContain('Using leap of faith to accept TL file');

  // SC-23 from the terminal: TVS vouches for the publisher's Tomcat, and the answer is kept in flash.
  const dir = await trustlab(['phone', 'directory', phone.mac, ...where]);
  expect(dir.code).toBe(0);
  expect(dir.stdout).toMatch(/directory https:\/\/[0-9.]+:8443\/ccmcip\/xmldirectory\.jsp: loaded — "Corporate Directory" \(server certificate trusted by tvs\)/);
  const cached = await trustlab(['phone', 'directory', phone.mac, ...where]);
  expect(cached.stdout).toContain('(server certificate trusted by tvs-cache)');

  const again = await trustlab(['phone', 'security-reset', phone.mac, ...where, '--json']);
  expect(again.code).toBe(0);
  const out = JSON.parse(again.stdout) as { state: string; statuses: string[] };
  expect(out.state).toBe('registered');
  expect(out.statuses).toEqual(['Erasing CTL and ITL files', 'ITL installed']);

  // Issue 13: a failed boot keeps and prints its status log, and a boot that does not settle
  // says where the phone was (not "off": the outcome is read before the phone is switched off).
  const secure = JSON.parse((await trustlab(['phone', 'add', '--lab', lab, '--profile', 'encrypted', '--json'])).stdout) as { mac: string };
  const failed = await trustlab(['phone', 'boot', secure.mac, ...where]);
  expect(failed.code).toBe(1);
  expect(failed.stdout).toMatch(/unregistered — secure profile without a CTL.*BOOT-3/);
  expect(failed.stdout).toContain('status log of this boot:');
  expect(failed.stdout).toMatch(/status log of this boot:\n(.*\n)*\s+\S+\s+File Not Found <CTLFile\.tlv>/);
  const failedShow = (await trustlab(['phone', 'show', secure.mac, '--lab', lab])).stdout;
  expect(failedShow).toMatch(/state: unregistered after `phone boot`/);
  expect(failedShow).toMatch(/status messages of the last boot:\n(.*\n)*\s+\S+\s+File Not Found <CTLFile\.tlv>/);
  expect(failedShow).toContain('LSC: none (the phone uses its MIC)');
  // Nothing listens on port 9: the boot refuses at once with the command to run, instead of timing out.
  const t0 = Date.now();
  const noServer = await trustlab(['phone', 'boot', secure.mac, '--lab', lab, '--tftp-port', '9', '--http-port', '9', '--timeout', '30']);
  expect(noServer.code).toBe(1);
  expect(noServer.stderr).toContain('SERVER_NOT_RUNNING');
  expect(noServer.stderr).toMatch(/Start cluster \S+'s servers in another terminal: trustlab serve --lab \S+ --tftp-port 9/);
  expect(Date.now() - t0).toBeLessThan(20_000);
  // A port that is open but never answers: the phone waits, and the timeout says where it was.
  const silent = createSocket('udp4');
  const tftpAddress = (JSON.parse((await trustlab(['phone', 'show', secure.mac, '--lab', lab, '--json'])).stdout) as { tftpServers: string[] }).tftpServers[0]!;
  await new Promise<void>((r) => silent.bind(0, tftpAddress, () => r()));
  const stalled = await trustlab(['phone', 'boot', secure.mac, '--lab', lab, '--tftp-port', String(silent.address().port), '--http-port', '9', '--timeout', '1', '--json']);
  silent.close();
  expect(stalled.code).toBe(1);
  const late = JSON.parse(stalled.stdout) as { state: string; reason: string };
  expect(late.state).toBe('timeout');
  expect(late.reason).toMatch(/^not settled within 1 s: SEP[0-9A-F]{12}: phase ctl; pending fetch #\d+/);

  const missing = await trustlab(['phone', 'boot', '00AC0000FFFF', '--lab', lab]);
  expect(missing.code).toBe(66);
  expect(missing.stderr).toContain('trustlab phone list');
}, 120_000);

it.each([['phone'], ['phone', 'add'], ['phone', 'boot'], ['phone', 'directory'], ['phone', 'reset'], ['phone', 'security-reset'], ['phone', 'factory-reset'], ['phone', 'show'], ['phone', 'list']])('trustlab %s … --help', async (...args) => {
  const r = await trustlab([...args, '--help']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^Usage: trustlab phone/);
});
