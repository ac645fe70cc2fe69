import { describe, expect, it } from 'vitest';
import { parseScenario } from '../scenario/index.js';
import { stepTitle } from '../scenario/steps/index.js';
import { clusterServiceOf, networkServiceOf } from './service-names.js';

/** Issue 18: `restart TFTP` and `stop tftp` name the same service; any spelling, CUCM's name shown. */
describe('service names', () => {
  it('resolve any spelling, in any case, to one service', () => {
    for (const s of ['TFTP', 'tftp', 'Cisco TFTP', 'cisco  tftp']) expect(clusterServiceOf(s), s).toBe('TFTP');
    for (const s of ['TVS', 'Cisco Trust Verification Service', 'trust verification service']) expect(clusterServiceOf(s), s).toBe('TVS');
    expect(clusterServiceOf('callmanager')).toBe('CallManager');
    expect(clusterServiceOf('Cisco Certificate Authority Proxy Function')).toBe('CAPF');
    expect(clusterServiceOf('Cisco DRF Master')).toBeUndefined();
    for (const s of ['tftp', 'TFTP', 'Cisco TFTP']) expect(networkServiceOf(s), s).toBe('tftp');
    expect(networkServiceOf('Cisco Tomcat')).toBe('https');
    expect(networkServiceOf('Cisco CallManager')).toBe('sip');
    expect(networkServiceOf('Cisco Trust Verification Service')).toBe('tvs');
  });

  it('are canonicalised by the scenario loader, and step titles show CUCM names', () => {
    const s = parseScenario(`name: names
clusters:
  - { name: A, release: "12.5", nodes: [pub] }
fleets:
  - { name: phones, cluster: A, count: 1, models: { "8861": 1 } }
steps:
  - restart: { cluster: A, service: tftp }
  - restart: { cluster: A, service: Cisco Trust Verification Service }
  - stop: { cluster: A, service: TFTP }
  - start: { cluster: A, service: cisco tftp }
`);
    expect(s.steps.map((st) => stepTitle(st))).toEqual(['restart A Cisco TFTP', 'restart A Cisco Trust Verification Service', 'stop A Cisco TFTP', 'start A Cisco TFTP']);
  });
});
