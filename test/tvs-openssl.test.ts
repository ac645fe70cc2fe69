import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pemCertificates } from '../src/pki/index.js';
import { Role } from '../src/trustlist/index.js';
import { buildTvsRequest, decodeTvsMessage, encodeTvsMessage, parseTvsResponse, tvsDeviceName, TvsServer } from '../tvs-sim/index.js';
import { MapAuthority, recorder, tvsIdentity, until, type TvsTestIdentity } from './tvs-fixtures.js';

/**
 * Interop with a TLS client nobody here wrote: `openssl s_client` against the TVS server
 * (issue 5 item 6). TVS asks for no client certificate (tvsd runs CERT_NONE), so s_client
 * needs none; it trusts the server only through `-CAfile` holding the TVS certificate itself,
 * as a phone trusts it only through its ITL's TVS record. With `-quiet` (which implies
 * `-ign_eof`) s_client passes stdin through verbatim, so a hand-built VERIFY_REQUEST goes in
 * and the VERIFY_RESPONSE comes out on stdout.
 */

const OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const HAVE_OPENSSL = OPENSSL.status === 0;
const DEVICE = tvsDeviceName(8861, '001122334455');

interface Run {
  code: number | null;
  stdout: Buffer;
  text: string;
}

function sClient(args: string[], input: Uint8Array = new Uint8Array(0)): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out);
      resolve({ code, stdout, text: `${stdout.toString('latin1')}\n${Buffer.concat(err).toString('utf8')}` });
    });
    child.stdin.end(input);
  });
}

describe.skipIf(!HAVE_OPENSSL)(`openssl s_client ↔ TVS server (${HAVE_OPENSSL ? OPENSSL.stdout.trim() : 'SKIPPED: openssl not found on PATH'})`, () => {
  let dir: string;
  let signer: TvsTestIdentity;
  let other: TvsTestIdentity;
  const ids: Record<string, TvsTestIdentity> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvs-openssl-'));
    [ids.RSA, ids.ECDSA, signer, other] = await Promise.all([
      tvsIdentity('TVS-ossl-rsa'),
      tvsIdentity('TVS-ossl-ec', { type: 'ec', curve: 'P-256' }),
      tvsIdentity('ITLRecovery-ossl'),
      tvsIdentity('TVS-somebody-else'),
    ]);
    for (const [name, id] of Object.entries({ ...ids, other })) writeFileSync(join(dir, `${name}.pem`), id.identity.certPem);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe.each(['RSA', 'ECDSA'])('with an %s TVS certificate', (kind) => {
    let server: TvsServer;
    let port: number;
    let rec: ReturnType<typeof recorder>;

    beforeAll(async () => {
      rec = recorder();
      server = new TvsServer({
        identity: () => ids[kind]!.identity,
        authority: new MapAuthority().add(signer.der, [Role.SAST, Role.TFTP]),
        host: '127.0.0.1',
        port: 0,
        events: rec.bus,
      });
      port = (await server.listen()).port;
    });

    afterAll(() => server.close());

    it('completes the handshake without a client certificate and presents the TVS certificate', async () => {
      const r = await sClient(['-connect', `127.0.0.1:${port}`, '-CAfile', join(dir, `${kind}.pem`), '-verify_return_error', '-showcerts']);
      expect(r.code, r.text).toBe(0);
      expect(r.text).toMatch(/Verify return code: 0 \(ok\)/);
      expect(r.text).toContain(`CN = TVS-ossl-${kind === 'RSA' ? 'rsa' : 'ec'}`);
      expect(r.text).toMatch(kind === 'RSA' ? /Server public key is 2048 bit/ : /Server public key is 256 bit/);
      if (kind === 'ECDSA') expect(r.text).toMatch(/Peer signature type: ECDSA/);
      const presented = pemCertificates(r.text);
      expect(presented).toHaveLength(1);
      expect(Buffer.from(presented[0]!).equals(Buffer.from(ids[kind]!.der))).toBe(true);
      // s_client closed without a request: the server saw a handshake and a peer that left.
      await until(() => rec.of('tvs.connection.closed').length > 0, 'connection closed');
      expect(rec.of('tvs.connection.closed').at(-1)!.reason).toBe('peer-closed');
    });

    it('fails verification when s_client trusts a different certificate only', async () => {
      const r = await sClient(['-connect', `127.0.0.1:${port}`, '-CAfile', join(dir, 'other.pem'), '-verify_return_error']);
      expect(r.code).not.toBe(0);
      expect(r.text).toMatch(/verify error:num=18:self[- ]signed certificate/);
    });

    it('carries a hand-built VERIFY_REQUEST in and the VERIFY_RESPONSE out (-quiet)', async () => {
      const request = encodeTvsMessage(buildTvsRequest({ sessionId: 0x2445, deviceName: DEVICE, certificate: signer.der }));
      const r = await sClient(['-connect', `127.0.0.1:${port}`, '-CAfile', join(dir, `${kind}.pem`), '-verify_return_error', '-quiet'], request);
      expect(r.code, r.text).toBe(0);
      const answer = parseTvsResponse(decodeTvsMessage(new Uint8Array(r.stdout)));
      expect(answer).toMatchObject({ command: 2, sessionId: 0x2445, status: 0, roles: [Role.SAST, Role.TFTP], ttlSeconds: 86_400 });
      expect(rec.of('tvs.verify.result').at(-1)).toMatchObject({ deviceName: DEVICE, status: 'valid' });

      const unknown = encodeTvsMessage(buildTvsRequest({ sessionId: 7, deviceName: DEVICE, certificate: other.der }));
      const no = await sClient(['-connect', `127.0.0.1:${port}`, '-CAfile', join(dir, `${kind}.pem`), '-quiet'], unknown);
      expect(parseTvsResponse(decodeTvsMessage(new Uint8Array(no.stdout)))).toMatchObject({ sessionId: 7, status: 1 });
    });

    // AES256-SHA is RSA key exchange, so only the RSA certificate can offer it.
    if (kind === 'RSA') it('negotiates the AES256-SHA suite CUCM TVS logs (TLS 1.2)', async () => {
      const r = await sClient(['-connect', `127.0.0.1:${port}`, '-CAfile', join(dir, 'RSA.pem'), '-tls1_2', '-cipher', 'AES256-SHA']);
      expect(r.code, r.text).toBe(0);
      expect(r.text).toMatch(/Cipher\s*(is|:)\s*AES256-SHA/);
    });
  });
});
