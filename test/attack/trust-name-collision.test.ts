import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trustlab } from '../helpers/cli.js';
import { has } from '../helpers/tools.js';

/** The certificates these tests upload are made by openssl, not by trustlab. */
const HAVE_OPENSSL = has('openssl');
const reason = HAVE_OPENSSL ? 'openssl found' : 'skipped: openssl not found on PATH (.ci/run installs it)';

/**
 * Issue 15 §5: a certificate whose CN turns into the same file name as the system "Cisco
 * Manufacturing CA SHA2" (CN `Cisco:Manufacturing:CA:SHA2`, O=Evil) replaced it on upload. Only
 * the same subject may replace (TS-2); a different subject gets `<CN>_<serial>` (the chapter:
 * "Common Name or Common Name_SerialNumber is the file name of the certificate").
 */
describe.skipIf(!HAVE_OPENSSL)(`attack: trust-store entry-name collision (${reason})`, () => {
  it('an upload whose name collides with the system Cisco Manufacturing CA SHA2 is added beside it, evicting nothing', { timeout: 60_000 }, async () => {
    const lab = mkdtempSync(join(tmpdir(), 'trustlab-attack-name-'));
    const init = await trustlab(['cluster', 'init', 'A', '--release', '12.5', '--nodes', 'pub,sub', '--lab', lab, '--json']);
    expect(init.code, init.stderr).toBe(0);
    const entries = (): { store: string; node: string; name: string; certPem: string }[] => JSON.parse(readFileSync(join(lab, 'clusters', 'A', 'cluster.json'), 'utf8')).trust;
    const system = entries().filter((t) => t.store === 'CallManager-trust' && t.name === 'Cisco_Manufacturing_CA_SHA2');
    expect(system.length).toBe(2);

    const pem = join(lab, 'evil.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(lab, 'evil.key'), '-out', pem, '-days', '365', '-subj', '/CN=Cisco:Manufacturing:CA:SHA2/O=Evil']);
    expect(r.status, String(r.stderr)).toBe(0);
    const serial = spawnSync('openssl', ['x509', '-in', pem, '-noout', '-serial'], { encoding: 'utf8' }).stdout.trim().replace(/^serial=/, '').toLowerCase()
      // openssl prints whole bytes, with a 00 byte for the sign when the top bit is set; the entry
      // name carries the serial's magnitude in whole bytes, so only zero *bytes* are dropped
      // (a serial starting 05… keeps its 0).
      .replace(/^(00)+(?=..)/, '');

    const up = await trustlab(['cert', 'upload', pem, '--store', 'CallManager-trust', '--node', 'pub', '--lab', lab, '--json']);
    expect(up.code, up.stderr).toBe(0);
    const added = JSON.parse(up.stdout).events.find((e: { type: string }) => e.type === 'trust.added');
    expect(added.replaced).toBeUndefined();
    expect(added.name.toLowerCase()).toBe(`cisco_manufacturing_ca_sha2_${serial}`);

    const after = entries();
    for (const s of system) expect(after.some((t) => t.store === s.store && t.node === s.node && t.name === s.name && t.certPem === s.certPem)).toBe(true);
    expect(after.filter((t) => t.store === 'CallManager-trust' && t.name === added.name).map((t) => t.node).sort()).toEqual(['pub', 'sub']);

    // The added one can be deleted by its own name, and the system one stays.
    const del = await trustlab(['cert', 'delete', added.name, '--store', 'CallManager-trust', '--node', 'pub', '--lab', lab]);
    expect(del.code, del.stderr).toBe(0);
    expect(entries().filter((t) => t.store === 'CallManager-trust' && t.name === 'Cisco_Manufacturing_CA_SHA2').length).toBe(2);
  });
});
