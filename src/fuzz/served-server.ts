import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { decodePacket, tftpGet, TftpServer, type FileProvider } from '../../tftp-sim/index.js';
import { TvsElementTag, TvsFramer, TvsServer, tvsCommandName, tvsVerify, type TvsAuthority } from '../../tvs-sim/index.js';
import { certOf, identityOf } from '../cluster/index.js';
import { clusterTvsAuthority } from '../cluster/serve/index.js';
import { systemClock } from '../shared/clock.js';
import type { FuzzStatus } from './engine.js';
import { FindingLog, type Finding } from './findings.js';
import { mutate, MUTATOR_GROUPS, type MutationContext } from './mutators.js';
import { Rng } from './rng.js';
import type { FuzzSetup } from './setup.js';
import type { FindingKind } from './targets.js';

/**
 * The served target for the protocols (issue 8; "servers survive garbage, truncation and slow
 * peers"). Mutated TFTP datagrams go over UDP to a live `TftpServer`, to its request port and
 * to the ports of transfers they open. Mutated TVS frames go over TLS to a live `TvsServer`, one
 * connection each. The oracles:
 *
 * - no uncaught exception while the run lasts (`crash`);
 * - a well-formed client still gets a correct answer, checked every {@link PROBE_EVERY}
 *   executions and at the end (`server-down`): the whole file, byte for byte, over TFTP; or the
 *   cluster's verdict on its CallManager certificate over TVS;
 * - every TVS reply to a mutant decodes as TVS messages (`bad-response`);
 * - once the mutants stop, the server's transfers or connections drain to zero within its own
 *   timeouts (`resource-leak`).
 *
 * A finding's input is the last mutant sent before the oracle failed. A server fault can depend
 * on earlier datagrams too, so `trustlab fuzz repro` replays such findings through the codec
 * only, and the message says how many mutants preceded it.
 */
export const PROBE_EVERY = 64;
/** The fuzzer's own source address, apart from the probe's, so per-client caps never block a probe. */
const FUZZ_ADDRESS = '127.0.0.3';
const PROBE_ADDRESS = '127.0.0.2';

/** A live server under fuzz, as the loop drives it. Tests plant a broken one. */
export interface ServerHarness {
  /** Sends one mutant; returns a `bad-response` message, if the reply was one. */
  send(bytes: Uint8Array, rng: Rng): Promise<string | undefined>;
  /** Kinds of reply seen (coverage: which server paths the mutants reached). */
  readonly replies: Set<string>;
  probe(): Promise<string | undefined>;
  /** Live transfers or connections. */
  live(): number;
  close(): Promise<void>;
}

export interface FuzzServerOptions {
  kind: 'tftp' | 'tvs';
  seed: string;
  runs?: number;
  timeMs?: number;
  setup: FuzzSetup;
  onStatus?: (s: FuzzStatus) => void;
  onFinding?: (f: Finding) => void | Promise<void>;
  signal?: AbortSignal;
  /** The server under test (default: the product's, from {@link serverHarness}). */
  harness?: (setup: FuzzSetup) => Promise<ServerHarness>;
}

/**
 * The product's server for a kind, ready for mutants. A test may swap what the server serves
 * from (the TFTP file provider, the TVS authority) to plant a fault the oracles must catch.
 */
export function serverHarness(kind: 'tftp' | 'tvs', setup: FuzzSetup, plant: { files?: (file: Uint8Array) => FileProvider; authority?: TvsAuthority } = {}): Promise<ServerHarness> {
  return kind === 'tftp' ? tftpHarness(setup, plant.files) : tvsHarness(setup, plant.authority);
}

export async function fuzzServer(o: FuzzServerOptions): Promise<{ status: FuzzStatus; findings: Finding[] }> {
  const rng = new Rng(`${o.seed}/served/${o.kind}`);
  const corpus = [...o.setup.seeds[o.kind]];
  const mctx: MutationContext = { rng, corpus, rogue: o.setup.rogue, forged: o.setup.forged, kind: 'list' };
  const log = new FindingLog(o.onFinding);
  let execs = 0;
  let sinceProbe = 0;
  let last: { bytes: Uint8Array; applied: string[] } = { bytes: corpus[0]!, applied: [] };
  const uncaught: Error[] = [];
  const onUncaught = (e: Error): void => void uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  const t0 = performance.now();
  const status = (): FuzzStatus => ({ execs, elapsedMs: performance.now() - t0, execsPerSecond: execs / Math.max((performance.now() - t0) / 1000, 1e-9), findings: log.findings.length, errorCodes: [], features: h.replies.size, corpus: corpus.length, accepted: 0, disagreements: 0, byKind: log.byKind, replies: [...h.replies].sort() });
  const report = (kind: FindingKind, message: string): Promise<void> =>
    log.report({ fuzzKind: o.kind, target: 'served', kind, message, seed: o.seed, iteration: execs, mutators: last.applied, input: Buffer.from(last.bytes).toString('base64') });
  const check = async (): Promise<void> => {
    for (const e of uncaught.splice(0)) await report('crash', `uncaught ${e.name}: ${e.message}`);
    const down = await h.probe();
    if (down) await report('server-down', `${down} (after ${sinceProbe} mutant(s) since the last good probe)`);
    sinceProbe = 0;
  };
  const h = await (o.harness ?? ((s: FuzzSetup) => serverHarness(o.kind, s)))(o.setup);
  try {
    const runs = o.runs ?? (o.timeMs ? Number.POSITIVE_INFINITY : 10_000);
    const deadline = o.timeMs ? t0 + o.timeMs : Number.POSITIVE_INFINITY;
    for (let i = 0; i < runs && performance.now() < deadline && !o.signal?.aborted; i++) {
      last = mutate(rng.pick(corpus), mctx, MUTATOR_GROUPS.bytes);
      const bad = await h.send(last.bytes, rng);
      execs++;
      sinceProbe++;
      if (bad) await report('bad-response', bad);
      if (execs % PROBE_EVERY === 0) await check();
      if (o.onStatus && (i & 63) === 0) o.onStatus(status());
    }
    await check();
    const drained = await drain(h);
    if (drained) await report('resource-leak', drained);
  } finally {
    process.off('uncaughtException', onUncaught);
    await h.close();
  }
  const s = status();
  o.onStatus?.(s);
  return { status: s, findings: log.findings };
}

/** Waits (up to 10 s) for the server's transfers or connections to end once nothing is sent. */
async function drain(h: ServerHarness): Promise<string | undefined> {
  const until = performance.now() + 10_000;
  while (h.live() > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
  return h.live() > 0 ? `${h.live()} transfer(s) or connection(s) still open 10 s after the last mutant` : undefined;
}

async function tftpHarness(setup: FuzzSetup, files?: (file: Uint8Array) => FileProvider): Promise<ServerHarness> {
  const file = setup.A.itl('pub');
  const server = new TftpServer({
    // Any *.tlv name is served, so the seed's ITLSEP<MAC>.tlv and its mutants open transfers.
    files: files?.(file) ?? { read: async (name) => (name.endsWith('.tlv') ? file : undefined) },
    timeoutMs: 200, maxRetries: 1, maxTransfers: 64, maxTransfersPerClient: 16,
  });
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  const sock: UdpSocket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address: FUZZ_ADDRESS, port: 0 }, () => resolve());
  });
  sock.on('error', () => undefined);
  // Transfers answer from their own port: mutants go there too, to reach the running sessions.
  let transferPort: number | undefined;
  const replies = new Set<string>();
  sock.on('message', (m, rinfo) => {
    if (rinfo.port !== port) transferPort = rinfo.port;
    try {
      const p = decodePacket(m);
      replies.add(p.type === 'ERROR' ? `ERROR ${p.code}` : p.type);
    } catch {
      replies.add('undecodable');
    }
  });
  let sent = 0;
  return {
    replies,
    async send(bytes, rng) {
      const to = transferPort !== undefined && rng.chance(0.5) ? transferPort : port;
      await new Promise<void>((resolve) => sock.send(bytes, to, '127.0.0.1', () => resolve()));
      // Let the server read what was sent before the next burst.
      if (++sent % 16 === 0) await new Promise((r) => setImmediate(r));
      return undefined;
    },
    async probe() {
      try {
        const r = await tftpGet('ITLFile.tlv', { host: '127.0.0.1', port, localAddress: PROBE_ADDRESS, blockSize: 1428, timeoutMs: 1000, maxRetries: 3 });
        return Buffer.from(r.bytes).equals(Buffer.from(file)) ? undefined : `a well-formed RRQ got ${r.bytes.length} bytes that differ from the ${file.length}-byte file`;
      } catch (e) {
        return `a well-formed RRQ failed: ${(e as Error).message}`;
      }
    },
    live: () => server.stats.liveTransfers,
    async close() {
      sock.close();
      await server.close();
    },
  };
}

async function tvsHarness(setup: FuzzSetup, authority?: TvsAuthority): Promise<ServerHarness> {
  const A = setup.A;
  const tvsId = identityOf(A.state, 'TVS', 'pub')!;
  const cm = certOf(identityOf(A.state, 'CallManager', 'pub')!.certPem).der;
  const server = new TvsServer({ name: 'pub', host: '127.0.0.1', port: 0, identity: () => ({ certPem: tvsId.certPem, keyPem: tvsId.keyPem }), authority: authority ?? clusterTvsAuthority(A, 'pub'), idleTimeoutMs: 500 });
  const { port } = await server.listen();
  const expected = A.tvs('pub', cm).roles.join(',');
  const replies = new Set<string>();
  return {
    replies,
    send(bytes) {
      return new Promise((resolve) => {
        const framer = new TvsFramer();
        let bad: string | undefined;
        // `localAddress` reaches net.connect (the typings of tls.connect omit it).
        const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...{ localAddress: FUZZ_ADDRESS } }, () => s.end(bytes));
        const done = (): void => {
          clearTimeout(timer);
          s.destroy();
          resolve(bad);
        };
        // The mutant is sent with end-of-stream, so the server answers and closes at once; the
        // timer only bounds a server that does neither (its own idle timeout is checked by drain).
        const timer = setTimeout(done, 200);
        s.on('data', (chunk: Buffer) => {
          try {
            for (const m of framer.push(chunk)) {
              const st = m.elements.find((e) => e.tag === TvsElementTag.Status)?.value[0];
              replies.add(`${tvsCommandName(m.command)}${st === undefined ? '' : ` status ${st}`}`);
            }
          } catch (e) {
            bad ??= `the server sent bytes that do not decode as TVS messages: ${(e as Error).message}`;
          }
        });
        s.on('error', () => undefined);
        s.on('close', done);
      });
    },
    async probe() {
      const r = await tvsVerify({ members: [{ host: '127.0.0.1', port, priority: 0 }], trustedTvs: [certOf(tvsId.certPem).der], certificate: cm, deviceName: 'CP-8861-SEP00AA00000001', timeoutMs: 3000, clock: systemClock, localAddress: PROBE_ADDRESS });
      if (r.kind !== 'vouched') return `a well-formed VERIFY_REQUEST got ${r.kind}`;
      return r.roles.join(',') === expected ? undefined : `a well-formed VERIFY_REQUEST got roles {${r.roles.join(',')}}, not {${expected}}`;
    },
    live: () => server.connectionCount,
    close: () => server.close(),
  };
}
