import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server } from 'node:tls';
import { generateKeyPair, issueCertificate, toPem, type KeySpec } from '../src/pki/index.js';
import { buildTvsRequest, buildTvsResponse, encodeTvsMessage, TvsServer, tvsVerify, type TvsAuthority, type TvsIdentity } from '../tvs-sim/index.js';
import { printComparison, type Comparison, type Rate } from './harness.js';

/**
 * TVS verifications per second, each over a new TLS connection (handshake, one
 * VERIFY_REQUEST, one VERIFY_RESPONSE, close), against a bare `node:tls` server that presents
 * the same certificate and answers every connection with the same canned bytes, in the same
 * run. Both sides are driven by the same client (`tvsVerify`, 8 in flight), so the ratio is
 * what the TVS server's shell costs over TLS itself: per-connection identity lookup, framer,
 * decode, authority, encode, events. A last line compares the client against a bare
 * `tls.connect` that writes the request and waits for any bytes back.
 */
const CONCURRENCY = 8;
const SESSION = 0x2445;
const DEVICE = 'CP-8861-SEP001122334455';

export async function benchTvs(seconds: number): Promise<Comparison[]> {
  const signer = await identity('ITLRecovery-bench', { type: 'rsa', bits: 2048 });
  const authority: TvsAuthority = {
    verify: (der) => (sha256(der) === signer.sha256 ? { status: 'valid', roles: [0, 3] } : { status: 'invalid', roles: [] }),
  };
  const canned = encodeTvsMessage(buildTvsResponse({ requestCommand: 1, sessionId: SESSION, valid: true, roles: [0, 3], ttlSeconds: 86_400 }));
  const request = encodeTvsMessage(buildTvsRequest({ sessionId: SESSION, deviceName: DEVICE, certificate: signer.der }));
  const out: Comparison[] = [];
  for (const spec of [{ type: 'rsa', bits: 2048 }, { type: 'ec', curve: 'P-256' }] as const) {
    const tvs = await identity(`TVS-bench-${spec.type}`, spec);
    const server = new TvsServer({ identity: () => tvs.identity, authority, host: '127.0.0.1', port: 0 });
    const tvsPort = (await server.listen()).port;
    const bare = createServer({ cert: tvs.identity.certPem, key: tvs.identity.keyPem }, (s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.end(canned));
    });
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const barePort = (bare.address() as AddressInfo).port;
    const verify = (port: number) => async (): Promise<void> => {
      const o = await tvsVerify({ members: [{ host: '127.0.0.1', port }], trustedTvs: [tvs.der], certificate: signer.der, deviceName: DEVICE, sessionId: SESSION });
      if (o.kind !== 'vouched') throw new Error(`bench verification ended ${o.kind}`);
    };
    const label = spec.type === 'rsa' ? 'RSA-2048' : 'ECDSA P-256';
    out.push(await compareAsync(`TVS verify, new TLS connection each, ${label}: TvsServer`, 'verifications', 'bare node:tls server, canned answer, same client', verify(barePort), verify(tvsPort), seconds));
    if (spec.type === 'rsa') {
      out.push(await compareAsync('TVS client (tvsVerify) against the bare server, RSA-2048', 'verifications', 'bare tls.connect + write + first bytes', () => rawExchange(barePort, request), verify(barePort), seconds));
    }
    await server.close();
    await new Promise<void>((r) => (bare as Server).close(() => r()));
  }
  out.forEach(printComparison);
  return out;
}

async function identity(cn: string, spec: KeySpec): Promise<{ identity: TvsIdentity; der: Uint8Array; sha256: string }> {
  const keys = await generateKeyPair(spec);
  const now = Date.now();
  const c = await issueCertificate({ subject: [['C', 'US'], ['O', 'bench'], ['CN', cn]], keys, notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 5 * 365 * 86_400_000) });
  return { der: c.der, sha256: sha256(c.der), identity: { certPem: toPem(c.der), keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string } };
}

function sha256(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** The least a client can do: TLS without verification, write, wait for the first bytes. */
function rawExchange(port: number, request: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => s.write(request));
    s.once('data', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

/** Runs `fn` with `CONCURRENCY` in flight for `ms`, returning the count and elapsed time. */
async function round(fn: () => Promise<void>, ms: number): Promise<Rate> {
  const t0 = process.hrtime.bigint();
  const end = Date.now() + ms;
  let ops = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        await fn();
        ops++;
      }
    }),
  );
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { ops, seconds: s, perSecond: ops / s };
}

/**
 * The async counterpart of the harness's `compareSync`: alternating rounds of baseline and
 * subject (after one discarded warm-up round each), so machine noise hits both alike.
 */
async function compareAsync(name: string, unit: string, baselineName: string, baseline: () => Promise<void>, subject: () => Promise<void>, seconds: number): Promise<Comparison> {
  const ROUND_MS = 250;
  await round(baseline, ROUND_MS);
  await round(subject, ROUND_MS);
  const b: Rate = { ops: 0, seconds: 0, perSecond: 0 };
  const s: Rate = { ops: 0, seconds: 0, perSecond: 0 };
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    for (const [acc, fn] of [[b, baseline], [s, subject]] as const) {
      const r = await round(fn, ROUND_MS);
      acc.ops += r.ops;
      acc.seconds += r.seconds;
    }
  }
  b.perSecond = b.ops / b.seconds;
  s.perSecond = s.ops / s.seconds;
  return { name, unit, baselineName, baseline: b, subject: s, ratio: s.perSecond / b.perSecond };
}
