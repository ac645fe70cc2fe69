import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect, createSecureContext, createServer, type Server } from 'node:tls';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { generateKeyPair, issueCertificate, toPem, type CertificateInfo, type KeyPair, type KeySpec } from '../src/pki/index.js';
import { SipRegistrar, type RegistrarPolicy } from '../src/sip/index.js';
import { formatRate, printComparison, type Comparison, type Rate } from './harness.js';

/**
 * SIP REGISTERs per second, each over a new mutual-TLS connection (TCP connect, TLS 1.2
 * handshake with the phone's LSC, one REGISTER, the 200, close), against a bare `node:tls`
 * server with the same certificates (`requestCert`, `rejectUnauthorized`, CallManager-trust as
 * `ca`) that answers every connection with the same canned 200, in the same run.
 *
 * The phone side runs in a worker thread (the machine has two cores), 16 connections in flight,
 * and is the same code for both servers (one client TLS context, made once); rounds alternate between the two so that noise hits
 * both. The ratio is what the registrar's shell costs over TLS itself: the handshake tap, the
 * JavaScript stream under TLSSocket, chain validation on the injected clock, per-connection
 * identity/policy/trust lookups, SIP framing and parsing, the registration table and events.
 *
 * Both sides negotiate the same suite (the client offers only ECDHE-RSA-AES256-GCM-SHA384).
 * A second subject runs with `handshakeAlerts: false` (no tap; the certificate is checked after
 * the handshake), which shows what the in-handshake alert costs. Each line also gives the rates
 * per second of the server thread's busy time (event-loop utilisation), which a slow client or
 * other load on the machine disturbs less than wall-clock rates.
 * Two phone keys: with a P-256 LSC the phone's own signature is cheap and the server is the
 * bottleneck (the honest case for the ratio); with an RSA-2048 LSC both sides sign with RSA.
 */
const CONCURRENCY = 16;
const ROUND_MS = 250;
const DEVICE = 'SEP001122334455';
const WORKER_FLAG = 'trustlabRegistrarBenchClient';

interface ClientData {
  [WORKER_FLAG]: true;
  cert: string;
  key: string;
  request: string;
}

if (!isMainThread && (workerData as Partial<ClientData> | null)?.[WORKER_FLAG]) runClientWorker(workerData as ClientData);

export async function benchRegistrar(seconds: number): Promise<Comparison[]> {
  const now = Date.now();
  const days = (n: number): Date => new Date(now + n * 86_400_000);
  const capf = await ca('CAPF-bench');
  const cm = await leaf('cucm-bench.example', { type: 'rsa', bits: 2048 }, undefined, days);
  const cmEc = await leaf('cucm-bench-EC.example', { type: 'ec', curve: 'P-256' }, undefined, days);
  const policy: RegistrarPolicy = {
    identity: () => ({ rsa: cm.pem, ecdsa: cmEc.pem }),
    cipherPolicy: () => 'all-rsa-preferred',
    callManagerTrust: () => [capf.pem.certPem],
    device: (name) => (name === DEVICE ? { profile: 'encrypted' } : undefined),
  };
  const subjects = [
    { label: 'SipRegistrar (default: in-handshake alerts via the tap)', registrar: new SipRegistrar({ policy, tlsPort: 0, tcpPort: null }) },
    { label: 'SipRegistrar (handshakeAlerts: false)', registrar: new SipRegistrar({ policy, tlsPort: 0, tcpPort: null, handshakeAlerts: false }) },
  ];
  const ports = await Promise.all(subjects.map(async (x) => (await x.registrar.listen()).port));
  const canned = `SIP/2.0 200 OK\r\nVia: x\r\nFrom: x\r\nTo: x;tag=1\r\nCall-ID: x\r\nCSeq: 101 REGISTER\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n`;
  const bare = createServer({
    key: [cm.pem.keyPem, cmEc.pem.keyPem], cert: [cm.pem.certPem, cmEc.pem.certPem], ca: [capf.pem.certPem],
    requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2',
  }, (s) => {
    let buf = '';
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) s.write(canned);
    });
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const barePort = (bare.address() as AddressInfo).port;

  const out: Comparison[] = [];
  for (const spec of [{ type: 'ec', curve: 'P-256' }, { type: 'rsa', bits: 2048 }] as const) {
    const lsc = await leaf(DEVICE, spec, capf, days);
    const worker = new Worker(new URL(import.meta.url), { workerData: { [WORKER_FLAG]: true, cert: lsc.pem.certPem, key: lsc.pem.keyPem, request: registerText() } satisfies ClientData });
    let failed: unknown;
    worker.on('error', (err) => (failed = err));
    const client = (port: number, ms: number): Promise<Rate & { errors: number }> => new Promise((resolve, reject) => {
      if (failed) return reject(failed);
      worker.once('message', resolve);
      worker.postMessage({ port, ms });
    });
    for (const port of [barePort, ...ports]) await client(port, 200);
    const targets = [barePort, ...ports].map((port) => ({ port, wall: rate(), busy: rate() }));
    let errors = 0;
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      for (const t of targets) {
        const before = performance.eventLoopUtilization();
        const r = await client(t.port, ROUND_MS);
        const elu = performance.eventLoopUtilization(before);
        t.wall.ops += r.ops; t.wall.seconds += r.seconds;
        t.busy.ops += r.ops; t.busy.seconds += elu.active / 1000;
        errors += r.errors;
      }
    }
    await worker.terminate();
    if (errors) throw new Error(`${errors} REGISTERs failed during the benchmark`);
    for (const t of targets) for (const r of [t.wall, t.busy]) r.perSecond = r.ops / r.seconds;
    const [b, ...subs] = targets;
    const phone = spec.type === 'ec' ? 'P-256 LSC' : 'RSA-2048 LSC';
    subs.forEach((t, i) => {
      const c: Comparison = {
        name: `SIP REGISTER, new mutual-TLS connection each (TLS 1.2, CallManager RSA-2048, phone ${phone}): ${subjects[i]!.label}`,
        unit: 'REGISTERs', baselineName: 'bare node:tls, same certificates and client, canned 200', baseline: b!.wall, subject: t.wall, ratio: t.wall.perSecond / b!.wall.perSecond,
      };
      out.push(c);
      printComparison(c);
      process.stdout.write(`  per busy second of the server thread (event-loop utilisation): ${formatRate(t.busy.perSecond)} vs ${formatRate(b!.busy.perSecond)}, ratio ${(t.busy.perSecond / b!.busy.perSecond).toFixed(3)}\n\n`);
    });
  }
  await Promise.all(subjects.map((x) => x.registrar.close()));
  await new Promise<void>((r) => (bare as Server).close(() => r()));
  return out;
}

function rate(): Rate {
  return { ops: 0, seconds: 0, perSecond: 0 };
}

function registerText(): string {
  return [
    'REGISTER sip:127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bKbench',
    'From: <sip:1001@127.0.0.1>;tag=bench',
    'To: <sip:1001@127.0.0.1>',
    'Call-ID: CALLID@127.0.0.1',
    'Max-Forwards: 70',
    'CSeq: 101 REGISTER',
    `Contact: <sip:bench@127.0.0.1:5099;transport=tls>;+u.sip!devicename.ccm.cisco.com="${DEVICE}"`,
    'Expires: 3600',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** The phone side: `CONCURRENCY` loops of connect → REGISTER → 200 → close for `ms`. */
function runClientWorker(data: ClientData): void {
  let n = 0;
  const secureContext = createSecureContext({ cert: data.cert, key: data.key, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' });
  const once = (port: number): Promise<boolean> => new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, secureContext, rejectUnauthorized: false });
    let buf = '';
    s.on('secureConnect', () => s.write(data.request.replace('CALLID', `c${++n}`)));
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) {
        s.destroy();
        resolve(buf.startsWith('SIP/2.0 200'));
      }
    });
    s.on('error', () => resolve(false));
    s.on('close', () => resolve(false));
  });
  parentPort!.on('message', async ({ port, ms }: { port: number; ms: number }) => {
    const t0 = process.hrtime.bigint();
    const stop = Date.now() + ms;
    let ops = 0;
    let errors = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < stop) {
        if (await once(port)) ops++;
        else errors++;
      }
    }));
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    parentPort!.postMessage({ ops, seconds: secs, perSecond: ops / secs, errors });
  });
}

interface Made {
  info: CertificateInfo;
  keys: KeyPair;
  pem: { certPem: string; keyPem: string };
}

function made(info: CertificateInfo, keys: KeyPair): Made {
  return { info, keys, pem: { certPem: toPem(info.der), keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string } };
}

async function ca(cn: string): Promise<Made> {
  const keys = await generateKeyPair({ type: 'rsa', bits: 2048 });
  const now = Date.now();
  const info = await issueCertificate({
    subject: [['C', 'US'], ['O', 'bench'], ['CN', cn]], keys, notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 5 * 365 * 86_400_000),
    ca: { pathLength: 0 }, keyUsage: ['digitalSignature', 'keyCertSign'],
  });
  return made(info, keys);
}

async function leaf(cn: string, spec: KeySpec, issuer: Made | undefined, days: (n: number) => Date): Promise<Made> {
  const keys = await generateKeyPair(spec);
  const info = await issueCertificate({
    subject: [['C', 'US'], ['O', 'bench'], ['CN', cn]], keys, notBefore: days(-1), notAfter: days(365),
    ...(issuer ? { issuer: { certificate: issuer.info, keys: issuer.keys } } : {}),
    keyUsage: ['digitalSignature', 'keyEncipherment'], extendedKeyUsage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
  });
  return made(info, keys);
}
