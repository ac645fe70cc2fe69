import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, identityOf, certOf, type Cluster } from '../cluster/index.js';
import { ManualClock } from '../shared/clock.js';
import { positiveSerial, signCertificate, type CertificateInfo } from '../pki/index.js';
import { buildTvsRequest, buildTvsResponse, encodeTvsMessage, TvsCommand } from '../../tvs-sim/index.js';
import { encodePacket } from '../../tftp-sim/index.js';
import type { Flash } from '../../phones/index.js';
import type { KeyObject } from 'node:crypto';
import { referenceRecords } from './reference.js';
import type { FuzzKind, PhoneScene } from './targets.js';

/**
 * Seeds and scenes for a fuzz run (issue 8): a generated lab (a mixed-mode 12.5 cluster A whose
 * phones are the subject, an 11.5 cluster B whose files are strangers to them), the real samples
 * from ../shared/samples read at run time, rogue signing keys and forged look-alikes of A's
 * signers. Everything comes from the key pool and a seeded lab, so a seed gives the same run.
 */
export interface FuzzSetup {
  seeds: Record<FuzzKind, Uint8Array[]>;
  scenes: Record<'itl' | 'ctl' | 'sgn', PhoneScene[]>;
  rogue: Array<{ certificate: CertificateInfo; privateKey: KeyObject }>;
  forged: Array<{ certificate: CertificateInfo; privateKey: KeyObject }>;
  /** The clusters (for the served target). */
  lab: Lab;
  A: Cluster;
  B: Cluster;
  dispose(): void;
}

/**
 * Where the real samples are: $TRUSTLAB_SAMPLES, else `../shared/samples` beside the working
 * directory or beside the package (the layout CI and the repository use).
 */
export const SAMPLES_DIR = (): string => {
  if (process.env.TRUSTLAB_SAMPLES) return process.env.TRUSTLAB_SAMPLES;
  const fromCwd = join(process.cwd(), '..', 'shared', 'samples');
  if (existsSync(fromCwd)) return fromCwd;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, '..', 'shared', 'samples');
};

/** Every .tlv/.sgn file under the samples directory (empty when it is not there). */
export function sampleFiles(dir = SAMPLES_DIR()): Array<{ name: string; bytes: Uint8Array }> {
  if (!existsSync(dir)) return [];
  const out: Array<{ name: string; bytes: Uint8Array }> = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(tlv|sgn)$/i.test(e)) out.push({ name: p, bytes: new Uint8Array(readFileSync(p)) });
    }
  };
  walk(dir);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function fuzzSetup(o: { seed: string; keyPoolDir?: string; samplesDir?: string }): Promise<FuzzSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'trustlab-fuzz-'));
  const clock = new ManualClock(new Date(Date.UTC(2026, 0, 1)));
  const lab = await Lab.create(dir, { clock, seed: `fuzz:${o.seed}`, ...(o.keyPoolDir ? { keyPoolDir: o.keyPoolDir } : {}) });
  // No ECDSA identities: ECDSA signatures are randomised, and a seed must give the same files.
  const A = await lab.createCluster({ name: 'A', release: '12.5', ecdsa: false, nodes: [{ hostname: 'pub', ipv4: '127.250.0.10' }, { hostname: 'sub', ipv4: '127.250.0.11' }] });
  await A.ctlSetCluster('mixed');
  await A.upsertDevices([{ mac: '00AA00000001', model: '8861' }]);
  const B = await lab.createCluster({ name: 'B', release: '11.5', ecdsa: false, nodes: [{ hostname: 'bpub', ipv4: '127.250.1.10' }] });
  await B.upsertDevices([{ mac: '00AA00000001', model: '8861' }]);
  const samples = sampleFiles(o.samplesDir);
  const lists = [A.itl('pub'), A.itl('sub'), A.ctl()!, B.itl('bpub'), ...samples.filter((s) => s.name.endsWith('.tlv')).map((s) => s.bytes)];
  const configs = [A.config('SEP00AA00000001', { signed: true, node: 'pub' })!, B.config('SEP00AA00000001', { signed: true, node: 'bpub' })!, ...samples.filter((s) => s.name.endsWith('.sgn')).map((s) => s.bytes)];

  const rogue = [];
  for (let i = 0; i < 2; i++) {
    const keys = await lab.pool.take({ type: 'rsa', bits: 2048 }, 'device');
    const certificate = await signCertificate({ subject: [['CN', `rogue-${i}.example`], ['O', 'attacker']], publicKey: keys.publicKey, signer: { privateKey: keys.privateKey }, notBefore: new Date(clock.now() - 86_400_000), notAfter: new Date(clock.now() + 365 * 86_400_000), serial: positiveSerial((n) => lab.random.bytes(n)) });
    rogue.push({ certificate, privateKey: keys.privateKey });
  }
  const forged = [];
  for (const purpose of ['ITLRecovery', 'CallManager'] as const) {
    const real = certOf(identityOf(A.state, purpose, 'pub')!.certPem);
    const keys = await lab.pool.take({ type: 'rsa', bits: 2048 }, 'device');
    const certificate = await signCertificate({ subject: real.subject as never, publicKey: keys.publicKey, signer: { privateKey: keys.privateKey }, notBefore: real.notBefore, notAfter: real.notAfter, serial: real.serial });
    forged.push({ certificate, privateKey: keys.privateKey });
  }

  // What A's TVS vouches for with SAST (lists) and TFTP/CCM+TFTP (configs), among every certificate the seeds carry.
  const candidates = new Map<string, Uint8Array>();
  for (const b of lists) for (const r of referenceRecords(b) ?? []) candidates.set(Buffer.from(r.der).toString('base64'), r.der);
  for (const d of [...forged, ...rogue].map((x) => x.certificate.der)) candidates.set(Buffer.from(d).toString('base64'), d);
  for (const p of ['CallManager', 'ITLRecovery'] as const) for (const c of [A, B]) for (const n of c.state.nodes) {
    const id = identityOf(c.state, p, n.hostname);
    if (id) candidates.set(Buffer.from(certOf(id.certPem).der).toString('base64'), certOf(id.certPem).der);
  }
  const vouched = (roles: number[]) => [...candidates.values()].filter((d) => {
    const v = A.tvs('pub', d);
    return v.status === 'valid' && v.roles.some((r) => roles.includes(r));
  });
  const tvsSast = vouched([0]);
  const tvsTftp = vouched([2, 3]);
  const key = (d: Uint8Array): string => Buffer.from(d).toString('base64');
  const sastSet = new Set(tvsSast.map(key));
  const tftpSet = new Set(tvsTftp.map(key));
  const itl = A.itl('pub');
  const ctl = A.ctl()!;
  const recs = (b: Uint8Array, roles: number[]): Uint8Array[] => (referenceRecords(b) ?? []).filter((r) => roles.includes(r.role)).map((r) => r.der);
  const flash = (f: Partial<Flash>): Flash => ({ tvsCache: [], log: [], ...f });
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
  const scenes = {
    itl: [
      { name: 'holds A ITL', flash: flash({ itl: b64(itl) }), reference: { trusted: recs(itl, [0]), tvs: tvsSast, firstUse: false }, tvsVouches: (d: Uint8Array) => sastSet.has(key(d)) },
      { name: 'holds A CTL+ITL', flash: flash({ itl: b64(itl), ctl: b64(ctl) }), reference: { trusted: recs(ctl, [0, 2]), tvs: tvsSast, firstUse: false }, tvsVouches: (d: Uint8Array) => sastSet.has(key(d)) },
      { name: 'factory fresh', flash: flash({}), reference: { trusted: [], tvs: [], firstUse: true }, tvsVouches: () => false },
    ],
    ctl: [
      { name: 'holds A CTL+ITL', flash: flash({ itl: b64(itl), ctl: b64(ctl) }), reference: { trusted: recs(ctl, [0]), tvs: tvsSast, firstUse: false }, tvsVouches: (d: Uint8Array) => sastSet.has(key(d)) },
      { name: 'holds A ITL', flash: flash({ itl: b64(itl) }), reference: { trusted: recs(itl, [0]), tvs: tvsSast, firstUse: false }, tvsVouches: (d: Uint8Array) => sastSet.has(key(d)) },
    ],
    sgn: [
      { name: 'holds A ITL', flash: flash({ itl: b64(itl) }), reference: { trusted: recs(itl, [2, 3]), tvs: tvsTftp, firstUse: false, signedFile: true }, tvsVouches: (d: Uint8Array) => tftpSet.has(key(d)) },
      { name: 'holds A CTL+ITL', flash: flash({ itl: b64(itl), ctl: b64(ctl) }), reference: { trusted: [...recs(ctl, [2, 3]), ...recs(itl, [2, 3])], tvs: tvsTftp, firstUse: false, signedFile: true }, tvsVouches: (d: Uint8Array) => tftpSet.has(key(d)) },
    ],
  } satisfies FuzzSetup['scenes'];

  const tvsSeeds = [
    encodeTvsMessage(buildTvsRequest({ sessionId: 7, deviceName: 'CP-8861-SEP00AA00000001', certificate: certOf(identityOf(A.state, 'CallManager', 'pub')!.certPem).der })),
    encodeTvsMessage(buildTvsRequest({ sessionId: 8, deviceName: 'CP-8861-SEP00AA00000001', subject: 'CN=pub.lab.example;OU=VTG;O=trustlab;L=San Jose;ST=CA;C=US', command: TvsCommand.QueryRequest })),
    encodeTvsMessage(buildTvsResponse({ requestCommand: TvsCommand.VerifyRequest, sessionId: 7, valid: true, roles: [0, 2], ttlSeconds: 86400 })),
  ];
  const tftpSeeds = [
    encodePacket({ type: 'RRQ', filename: 'ITLSEP00AA00000001.tlv', mode: 'octet', options: [{ name: 'blksize', value: '1428' }, { name: 'tsize', value: '0' }, { name: 'windowsize', value: '8' }] }),
    encodePacket({ type: 'DATA', block: 1, data: itl.subarray(0, 512) }),
    encodePacket({ type: 'ACK', block: 3 }),
    encodePacket({ type: 'ERROR', code: 1, message: 'File not found' }),
    encodePacket({ type: 'OACK', options: [{ name: 'blksize', value: '1428' }] }),
  ];
  return {
    seeds: { itl: lists, ctl: lists, sgn: configs, tvs: tvsSeeds, tftp: tftpSeeds },
    scenes, rogue, forged, lab, A, B,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

