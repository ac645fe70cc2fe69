import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab } from '../../src/cluster/index.js';
import { parseScenario, runScenario, type RunReport } from '../../src/scenario/index.js';
import { TEST_KEYPOOL_DIR } from '../helpers/keypool.js';

/**
 * Issue 13: the failure paths end, with the outcome real phones and CUCM show.
 *
 * 1. A 12.5 mixed-mode cluster whose phones hold LSCs: CAPF is regenerated, the old CAPF
 *    certificate is deleted from CAPF-trust (too early: REG-9), the fleet is provisioned for
 *    Install/Upgrade "by existing certificate (precedence to LSC)" and reset. CAPF refuses the old
 *    LSC (Invalid LSC). A refusal is not retried (CAPF-3 applies the retries
 *    to communication failures only), so the step ends at once: the phones keep their LSC, CUCM
 *    shows "Upgrade Failed: Invalid LSC" on the device, and the run ends within a minute.
 * 2. CAPF unreachable: a communication failure is retried 3 times, 30 s apart, on the phones'
 *    clock. The reset step ends with the phones waiting for the retry timer (reported, not waited
 *    on); `settle` lets the 90 s pass, after which the phones give up and register with the LSC
 *    they hold.
 */
const CLUSTER = `clusters:
  - { name: A, release: "12.5", nodes: [pub], security: mixed }
fleets:
  - { name: phones, cluster: A, count: 4, models: { "8861": 1 }, profile: encrypted, capf: { operation: install, authMode: null-string }, initial: provisioned }
`;

async function run(text: string): Promise<{ report: RunReport; runDir: string; wallMs: number }> {
  const runDir = mkdtempSync(join(tmpdir(), 'trustlab-failure-'));
  const t0 = Date.now();
  const report = await runScenario(parseScenario(text, 'failure.yaml'), { runDir, keyPoolDir: TEST_KEYPOOL_DIR });
  return { report, runDir, wallMs: Date.now() - t0 };
}

describe('CAPF failure paths end with the documented outcome', () => {
  it('a refused upgrade (Invalid LSC) is not retried: the step ends, the LSC is kept, CUCM shows Upgrade Failed: Invalid LSC', async () => {
    const { report, runDir, wallMs } = await run(`name: capf upgrade refused
seed: capf-refused
${CLUSTER}steps:
  - regenerate: { cluster: A, purpose: CAPF, node: pub }
  - delete: { cluster: A, store: CAPF-trust, node: pub, from: { cluster: A, purpose: CAPF, node: pub, which: previous } }
  - provision: { fleet: phones, cluster: A, profile: encrypted, capf: { operation: install, authMode: existing-lsc } }
  - reset: phones
  - expect:
      - name: the session is refused and not retried
        status: { fleet: phones, contains: "CAPF refused the session" }
      - name: the phones keep the LSC they hold
        status: { fleet: phones, contains: "the LSC already installed is kept" }
`);
    expect(wallMs).toBeLessThan(60_000);
    expect(report.error).toBeUndefined();
    expect(report.expectations.map((e) => [e.name, e.ok, e.observed])).toEqual([
      ['the session is refused and not retried', true, '4 of 4'],
      ['the phones keep the LSC they hold', true, '4 of 4'],
    ]);
    const reset = report.steps.find((s) => s.title === 'reset phones')!;
    expect(reset.waiting).toBeUndefined();
    expect(reset.tally['phones']!['enrolling']).toBeUndefined();
    const lab = await Lab.open(join(runDir, 'lab'));
    const devices = (await lab.cluster('A')).state.devices;
    expect(devices.map((d) => d.capf.status)).toEqual(Array(4).fill('Upgrade Failed: Invalid LSC'));
    // The operation stays pending on CUCM after a failure (only success clears it).
    expect(devices.every((d) => d.capf.operation === 'install' && d.lscPem)).toBe(true);
    const timeline = report.phones[0]!.timeline!.filter((t) => t.step === 4).map((t) => t.message);
    expect(timeline).toContain('LSC: Installed (the CAPF operation failed; the existing LSC is kept)');
  }, 120_000);

  it('CAPF unreachable: retried 3 times 30 s apart on simulated time; settle lets it pass and the phones register with their LSC', async () => {
    const { report, wallMs } = await run(`name: capf unreachable
seed: capf-down
${CLUSTER}steps:
  - provision: { fleet: phones, cluster: A, profile: encrypted, capf: { operation: install, authMode: null-string } }
  - stop: { cluster: A, service: capf }
  - reset: phones
  - expect:
      - name: the phones wait for the CAPF retry
        phones: { fleet: phones, state: enrolling, count: all }
  - settle: { within: 5m }
  - expect:
      - name: after four attempts they register with the LSC they hold
        phones: { fleet: phones, state: registered, count: all }
`);
    expect(wallMs).toBeLessThan(60_000);
    expect(report.error).toBeUndefined();
    expect(report.expectations.every((e) => e.ok)).toBe(true);
    const reset = report.steps.find((s) => s.title === 'reset phones')!;
    expect(reset.waiting).toHaveLength(4);
    expect(reset.waiting![0]).toMatch(/CAPF retry; pending timer capf-retry due/);
    const settle = report.steps.find((s) => s.action === 'settle')!;
    expect(settle.lines[0]).toMatch(/every phone at rest after 1\.5 min|every phone at rest after 90 s/);
    const messages = report.phones[0]!.timeline!.map((t) => t.message);
    expect(messages.filter((m) => m === 'LSC: Installed (the CAPF operation failed; the existing LSC is kept)')).toHaveLength(1);
  }, 120_000);

  it('a settle budget too short for the retries fails the step with STEP_NOT_SETTLED, naming each phone and its timer', async () => {
    const { report } = await run(`name: capf unreachable, short budget
seed: capf-down-short
${CLUSTER}steps:
  - provision: { fleet: phones, cluster: A, profile: encrypted, capf: { operation: install, authMode: null-string } }
  - stop: { cluster: A, service: capf }
  - reset: phones
  - settle: { within: 40s }
`);
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/STEP_NOT_SETTLED: 4 phone\(s\) did not come to rest within 40 s of simulated time/);
    expect(report.error).toMatch(/SEP[0-9A-F]{12}: phase enrol, CAPF retry; pending timer capf-retry due 2026-01-01T00:01:/);
  }, 120_000);
});

describe('the wall-clock watchdog', () => {
  it('a step whose phones are still on the network after its bound fails with STEP_NOT_SETTLED, naming the busy phones', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'trustlab-watchdog-'));
    const text = `name: watchdog
seed: watchdog
clusters:
  - { name: A, release: "12.5", nodes: [pub] }
fleets:
  - { name: phones, cluster: A, count: 30, models: { "8861": 1 }, initial: factory-fresh }
steps:
  - boot: phones
  - expect:
      - name: never reached
        phones: { fleet: phones, state: registered, count: all }
`;
    const t0 = Date.now();
    const report = await runScenario(parseScenario(text, 'watchdog.yaml'), { runDir, keyPoolDir: TEST_KEYPOOL_DIR, stepTimeoutMs: 20 });
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/step 1 "boot phones" failed: STEP_NOT_SETTLED: \d+ phone\(s\) did not come to rest within the 20 ms watchdog of step 1 \(boot phones\) \(real sockets stalled\):\n  SEP[0-9A-F]{12}: phase (ctl|itl|config|register); pending (fetch|sip\.register) #\d+/);
    expect(report.expectations).toEqual([]);
    expect(report.warnings ?? []).toEqual([]);
  }, 120_000);
});
