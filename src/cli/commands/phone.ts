import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { fleetMac, manufacturePhone, PHONE_MODELS, phoneModel, PhoneStore, VirtualPhone, type PhoneBusEvent, type PhoneRecord } from '../../../phones/index.js';
import { certOf, Lab, withLabLock } from '../../cluster/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { EventBus } from '../../shared/events.js';
import { decodeTrustList } from '../../trustlist/index.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError, type CliIo } from '../io.js';
import { labDir, openCluster, withLabOptions, type LabFlags } from '../lab-options.js';
import { int } from './serve-common.js';
import { tftpPortClosed } from '../probe.js';

/**
 * `trustlab phone`: one virtual phone from the terminal (issue 6's phone, driven by hand). `add`
 * manufactures it into the lab (MIC from the lab's manufacturing CA, `lab/phones/<MAC>/`) and
 * provisions the device on a cluster. `boot`, `reset`, `security-reset` and `factory-reset` then
 * run it over real sockets against whatever serves its TFTP address: `trustlab serve --lab` in
 * another terminal, or any TFTP server. Each run starts from the phone's flash on disk and
 * saves it back, as a phone keeps its flash across power cycles.
 */
interface RunFlags {
  lab?: string;
  tftpPort: string;
  httpPort: string;
  timeout: string;
  authString?: string;
  json?: boolean;
}

const ACTIONS: Record<string, { describe: string; run: (p: VirtualPhone) => void; then?: (p: VirtualPhone) => void }> = {
  boot: { describe: 'power the phone on: CTL, ITL, config, CAPF if asked, registration', run: (p: VirtualPhone) => p.powerOn() },
  directory: {
    describe: 'boot, then open the corporate directory (HTTPS, the server certificate checked through the trust list or TVS)',
    run: (p: VirtualPhone) => p.powerOn(),
    then: (p: VirtualPhone) => p.openDirectory(),
  },
  reset: { describe: 'reset the phone (Device > Reset): the same boot, from what its flash holds', run: (p: VirtualPhone) => p.reset() },
  'security-reset': { describe: '"Reset security settings": erase the CTL and ITL, then boot', run: (p: VirtualPhone) => p.securityReset() },
  'factory-reset': { describe: 'factory reset: erase the CTL, ITL, config and LSC, then boot', run: (p: VirtualPhone) => p.factoryReset() },
};

export function registerPhone(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const phone = program.command('phone').description('one virtual phone from the terminal: add it to a lab, then boot or reset it against a served cluster');

  withLabOptions(phone.command('add').description('manufacture a phone into the lab and provision its device on a cluster'))
    .option('--mac <mac>', 'MAC address, 12 hex digits (default: the next free 00AC…)')
    .option('--model <model>', `phone model: ${Object.keys(PHONE_MODELS).join(', ')}`, '8861')
    .option('--profile <profile>', 'device security profile: non-secure, authenticated or encrypted', 'non-secure')
    .option('--tftp <server...>', 'TFTP servers (DHCP option 150): node names of the cluster or addresses (default: the publisher)')
    .addHelpText('after', '\nExample:\n  trustlab phone add --lab lab --cluster A --model 7841\n  trustlab serve --lab lab --cluster A --tftp-port 6969 &\n  trustlab phone boot 00AC00000000 --lab lab --tftp-port 6969')
    .action(act(ctx, async (o: LabFlags & { mac?: string; model: string; profile: string; tftp?: string[] }) => {
      try {
        return await add(io, o);
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  for (const [name, a] of Object.entries(ACTIONS)) {
    phone.command(name).description(a.describe).argument('<mac>', 'the phone, by MAC')
      .option('--lab <dir>', 'lab directory (default: $TRUSTLAB_LAB or ./lab)')
      .option('--tftp-port <n>', 'TFTP port of the server (`trustlab serve --tftp-port`)', '69')
      .option('--http-port <n>', 'HTTP file service port, tried first by models that use it', '6970')
      .option('--timeout <seconds>', 'give up waiting for the phone to settle after this long', '60')
      .option('--auth-string <digits>', 'CAPF authentication string, typed on the phone before it boots')
      .option('--json', 'print the outcome as JSON')
      .addHelpText('after', `\nExit codes: 0 the phone registered${a.then ? ' and the directory loaded' : ''}; 1 otherwise (the reason is printed); 64 usage; 66 no such phone.`)
      .action(act(ctx, async (mac: string, o: RunFlags) => {
        try {
          return await runAction(io, mac, o, a.run, a.then, name);
        } catch (e) {
          return reportError(io, e, Boolean(o.json));
        }
      }));
  }

  phone.command('show').description('what a phone holds: model, trust lists and their signers, LSC, TVS cache, status log').argument('<mac>', 'the phone, by MAC')
    .option('--lab <dir>', 'lab directory (default: $TRUSTLAB_LAB or ./lab)')
    .option('--json', 'print it as JSON')
    .action(act(ctx, async (mac: string, o: { lab?: string; json?: boolean }) => {
      try {
        return await show(io, mac, o);
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  phone.command('list').description('the phones in the lab').option('--lab <dir>', 'lab directory (default: $TRUSTLAB_LAB or ./lab)').option('--json', 'print the list as JSON')
    .action(act(ctx, async (o: { lab?: string; json?: boolean }) => {
      try {
        const store = new PhoneStore(labDir(o));
        const records = (await Promise.all((await macsIn(store)).map((m) => store.loadRecord(m)))).filter((r): r is PhoneRecord => r !== undefined);
        if (o.json) printJson(io, records.map((r) => ({ mac: r.mac, device: `SEP${r.mac}`, model: r.model, tftpServers: r.tftpServers })));
        else for (const r of records) io.out(`SEP${r.mac}  ${phoneModel(r.model).productName.padEnd(10)}  TFTP ${r.tftpServers.join(', ')}\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
}

async function macsIn(store: PhoneStore): Promise<string[]> {
  const names = await readdir(join(store.labDir, 'phones')).catch(() => [] as string[]);
  return names.filter((n) => /^[0-9A-F]{12}$/.test(n)).sort();
}

async function add(io: CliIo, o: LabFlags & { mac?: string; model: string; profile: string; tftp?: string[] }): Promise<number> {
  if (!['non-secure', 'authenticated', 'encrypted'].includes(o.profile)) throw new EmulatorError('USAGE', `--profile is non-secure, authenticated or encrypted, not "${o.profile}"`);
  const model = phoneModel(o.model);
  const { lab, cluster } = await openCluster(o);
  const store = new PhoneStore(lab.dir);
  // The MAC is chosen, the phone made and the device provisioned under the lab's write lock, so
  // that phones added at the same time from several terminals get distinct MACs and all stay
  // provisioned (decision 023).
  const { record, tftpServers } = await withLabLock(lab.dir, async () => {
    const taken = new Set(await macsIn(store));
    let mac = o.mac?.replace(/[:.-]/g, '').toUpperCase();
    if (!mac) for (let i = 0; !mac || taken.has(mac); i++) mac = fleetMac(i, '00AC');
    if (taken.has(mac)) throw new EmulatorError('USAGE', `phone ${mac} is already in the lab; \`trustlab phone show ${mac}\` shows it`);
    const tftpServers = (o.tftp ?? [cluster.publisher.hostname]).map((t) => (cluster.state.nodes.some((n) => n.hostname === t) ? cluster.node(t).ipv4 : t));
    const record = await manufacturePhone({ mac, model: model.id, tftpServers, manufacturing: lab.cas.manufacturing, pool: lab.pool, manufactured: new Date(Date.now() - 86_400_000) });
    await cluster.upsertDevices([{ mac: record.mac, model: model.id, profile: o.profile as 'non-secure' }]);
    await store.saveRecord(record);
    return { record, tftpServers };
  }, { command: 'phone add' });
  if (o.json) printJson(io, { mac: record.mac, device: `SEP${record.mac}`, model: model.id, cluster: cluster.name, profile: o.profile, tftpServers });
  else io.out(`SEP${record.mac} (${model.productName}) added to ${lab.dir}; provisioned on ${cluster.name} (${o.profile}); TFTP ${tftpServers.join(', ')}\nnext: trustlab phone boot ${record.mac}${o.lab ? ` --lab ${o.lab}` : ''}\n`);
  return EXIT.OK;
}

async function loadPhone(labPath: string, mac: string): Promise<{ store: PhoneStore; record: PhoneRecord }> {
  await Lab.open(labPath); // a clear error when the directory is not a lab
  const store = new PhoneStore(labPath);
  const m = mac.replace(/[:.-]/g, '').replace(/^SEP/i, '').toUpperCase();
  const record = await store.loadRecord(m);
  if (!record) throw new EmulatorError('IO_NOT_FOUND', `no phone ${m} in ${labPath}; \`trustlab phone list\` shows the phones, \`trustlab phone add\` makes one`);
  return { store, record };
}

async function runAction(io: CliIo, mac: string, o: RunFlags, run: (p: VirtualPhone) => void, then: ((p: VirtualPhone) => void) | undefined, action: string): Promise<number> {
  const timeoutMs = int(o.timeout, '--timeout', 1, 86_400) * 1000;
  const { store, record } = await loadPhone(labDir(o), mac);
  const events = new EventBus<PhoneBusEvent>();
  const say = (text: string): void => {
    if (!o.json) io.out(`${new Date().toISOString()} ${text}\n`);
  };
  const statuses: string[] = [];
  events.on('phone.status', (e) => {
    statuses.push(e.message);
    say(`status: ${e.message}`);
  });
  events.on('phone.settled', (e) => say(`${e.state}: ${e.reason}`));
  const phone = new VirtualPhone(record, await store.loadFlash(record.mac), {
    store, events, tftpPort: int(o.tftpPort, '--tftp-port', 1, 65535), httpPort: int(o.httpPort, '--http-port', 1, 65535),
  });
  if (o.authString !== undefined) {
    if (!/^[0-9]{4,10}$/.test(o.authString)) throw new EmulatorError('USAGE', '--auth-string is 4 to 10 digits');
    phone.enterAuthString(o.authString);
  }
  await failFastWithoutServer(labDir(o), record, int(o.tftpPort, '--tftp-port', 1, 65535), o.lab);
  const deadline = Date.now() + timeoutMs;
  // The last entry before this boot (entries are shared between log copies, so it can be found again).
  const mark = phone.state.flash.log.at(-1);
  run(phone);
  let rested = await untilAtRest(phone, deadline);
  if (rested && then && phone.settled.state === 'registered') {
    then(phone);
    rested = await untilAtRest(phone, deadline);
  }
  // The outcome is read before anything else touches the phone: switching a phone that did not
  // settle off would put it in `off` and lose what it was doing.
  const s = phone.settled;
  const where = phone.describe();
  const log = phone.state.flash.log;
  const bootLog = log.slice(mark ? log.lastIndexOf(mark) + 1 : 0).map((l) => ({ at: new Date(l.at).toISOString(), message: l.message }));
  const service = then ? phone.state.lastService : undefined;
  const capf = phone.state.lastCapf;
  if (!rested) phone.powerOff();
  await phone.flushed();
  const outcome = {
    device: phone.device, model: record.model, state: rested ? s.state : 'timeout',
    reason: rested ? s.reason : `not settled within ${o.timeout} s: ${where}`,
    statuses, log: bootLog, boot: phone.state.boot, ...(service ? { service } : {}), ...(capf ? { capf } : {}),
  };
  await store.saveLastRun(record.mac, { at: new Date().toISOString(), action, state: outcome.state, reason: outcome.reason, log: bootLog });
  if (o.json) printJson(io, outcome);
  else {
    io.out(`${phone.device}: ${outcome.state} — ${outcome.reason}\n`);
    if (capf) io.out(`CAPF: ${capf.outcome} — ${capf.reason} (${capf.attempts} attempt(s))\n`);
    if (service) io.out(`directory ${service.url}: ${service.outcome} — ${service.reason}${service.trustedBy ? ` (server certificate trusted by ${service.trustedBy})` : ''}\n`);
    if (outcome.state !== 'registered' && bootLog.length) io.out(`status log of this boot:\n${bootLog.map((l) => `  ${l.at}  ${l.message}\n`).join('')}`);
  }
  const ok = outcome.state === 'registered' && (!then || service?.outcome === 'loaded');
  return ok ? EXIT.OK : EXIT.NEGATIVE;
}

/**
 * Refuses at once, with the command to run, when every TFTP server of the phone has its port
 * closed: the phone would only wait out its timeouts and fail the same way.
 */
async function failFastWithoutServer(dir: string, record: PhoneRecord, port: number, labFlag: string | undefined): Promise<void> {
  const closed = await Promise.all(record.tftpServers.map((a) => tftpPortClosed(a, port)));
  if (!closed.every(Boolean) || closed.length === 0) return;
  const lab = await Lab.open(dir);
  let cluster: string | undefined;
  for (const name of lab.clusterNames) if ((await lab.cluster(name)).state.nodes.some((n) => record.tftpServers.includes(n.ipv4))) cluster = name;
  const where = record.tftpServers.map((a) => `${a}:${port}`).join(', ');
  const serve = `trustlab serve${labFlag ? ` --lab ${labFlag}` : ''}${cluster && lab.clusterNames.length > 1 ? ` --cluster ${cluster}` : ''}${port !== 69 ? ` --tftp-port ${port}` : ''}`;
  throw new EmulatorError('SERVER_NOT_RUNNING', `nothing serves TFTP at ${where} (the port is closed), so SEP${record.mac} could not download its files. Start ${cluster ? `cluster ${cluster}'s` : 'the'} servers in another terminal: ${serve}`, { details: { servers: record.tftpServers, port, ...(cluster ? { cluster } : {}) } });
}

/**
 * Waits until the phone rests or the deadline passes. A phone waiting for a timer (a CAPF retry
 * 30 s after a failure) is waited for in real time, as a real phone would be: this command runs
 * on the wall clock.
 */
async function untilAtRest(phone: VirtualPhone, deadline: number): Promise<boolean> {
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return phone.atRest;
    let timer: NodeJS.Timeout | undefined;
    const idle = await Promise.race([phone.whenIdle().then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), left)))]);
    clearTimeout(timer);
    if (!idle) return false;
    if (phone.atRest) return true;
    const due = phone.nextDue;
    if (due === undefined) return false;
    await new Promise((r) => setTimeout(r, Math.min(Math.max(0, due - Date.now()) + 5, Math.max(0, deadline - Date.now()))));
  }
}

/** Signer, its serial and when the file was signed, for a trust list held in flash. */
function trustListOf(b64: string | undefined): { signer: string; serial: string; signed: string } | null | '(unreadable)' {
  if (!b64) return null;
  try {
    const h = decodeTrustList(Buffer.from(b64, 'base64')).header;
    return { signer: h.signerName, serial: Buffer.from(h.signerSerial).toString('hex'), signed: new Date(h.timestamp * 1000).toISOString() };
  } catch {
    return '(unreadable)';
  }
}

/**
 * `trustlab phone show`: what the phone holds and how its last run ended (issue 18): its state
 * then, the CTL and ITL in flash with each signer's serial, the LSC and its issuer, the TVS
 * cache, and the status messages of the last boot.
 */
async function show(io: CliIo, mac: string, o: { lab?: string; json?: boolean }): Promise<number> {
  const { store, record } = await loadPhone(labDir(o), mac);
  const flash = await store.loadFlash(record.mac);
  const last = await store.loadLastRun(record.mac);
  const now = Date.now();
  const lsc = flash?.lsc ? certOf(flash.lsc.certPem) : undefined;
  const view = {
    device: `SEP${record.mac}`, model: record.model, product: phoneModel(record.model).productName, tftpServers: record.tftpServers,
    lastRun: last ?? null,
    ctl: trustListOf(flash?.ctl), itl: trustListOf(flash?.itl),
    lsc: lsc ? { subject: lsc.subjectCucm, issuer: lsc.issuerCucm, serial: lsc.serialHex, notAfter: lsc.notAfter.toISOString() } : null,
    config: Boolean(flash?.config),
    tvsCache: (flash?.tvsCache ?? []).filter((c) => c.expiresAt > now).map((c) => ({ sha256: c.sha256, roles: c.roles, expiresAt: new Date(c.expiresAt).toISOString() })),
    log: (flash?.log ?? []).slice(-20).map((l) => ({ at: new Date(l.at).toISOString(), message: l.message })),
  };
  if (o.json) {
    printJson(io, view);
    return EXIT.OK;
  }
  const list = (t: typeof view.itl): string => (t === null ? 'none' : typeof t === 'string' ? t : `signed by ${t.signer}, serial ${t.serial}, signed ${t.signed}`);
  io.out(`${view.device}  ${view.product}  TFTP ${view.tftpServers.join(', ')}\n`);
  io.out(`  state: ${last ? `${last.state} after \`phone ${last.action}\` at ${last.at} — ${last.reason}` : 'never run (trustlab phone boot runs it)'}\n`);
  io.out(`  CTL: ${list(view.ctl)}\n  ITL: ${list(view.itl)}\n`);
  io.out(`  LSC: ${view.lsc ? `${view.lsc.subject}, issued by ${view.lsc.issuer}, serial ${view.lsc.serial}, expires ${view.lsc.notAfter}` : 'none (the phone uses its MIC)'}\n`);
  io.out(`  cached config: ${view.config ? 'yes' : 'no'}; TVS cache: ${view.tvsCache.length} certificate(s)\n`);
  if (last && last.state !== 'registered' && last.log.length) io.out(`  status messages of the last boot:\n${last.log.map((l) => `    ${l.at}  ${l.message}\n`).join('')}`);
  else if (view.log.length) io.out(`  recent status log:\n${view.log.map((l) => `    ${l.at}  ${l.message}\n`).join('')}`);
  return EXIT.OK;
}
