import { CERT_MONITOR_SERVICE } from '../ops/monitor.js';
import type { ClusterServiceName } from '../serve/cluster-servers.js';
import { CUCM_SERVICE_NAME, clusterServiceOf } from '../service-names.js';
import type { ServiceName } from '../model.js';

/**
 * The services `utils service list` shows, in the platform CLI's spelling (decision 031 §7:
 * "Cisco Tftp", not Serviceability's "Cisco TFTP"), and what each is in trustlab:
 * - `model`: a service the cluster model tracks (restarts load certificates and trust);
 * - `monitor`: the Certificate Expiry Monitor, whose running state the model keeps;
 * - `listeners`: the node's real servers it owns, which `stop`/`start` close and reopen;
 * - neither: a CUCM service with no part in trust here (its restart changes nothing).
 */
export interface CliService {
  name: string;
  model?: ServiceName;
  monitor?: true;
  listeners?: readonly ClusterServiceName[];
}

const cli = (s: ServiceName): string => (s === 'TFTP' ? 'Cisco Tftp' : CUCM_SERVICE_NAME[s]);

/** Platform services, printed before "Service Manager is running" with a space before the bracket. */
export const PLATFORM_SERVICES: readonly string[] = ['System NTP', 'System SSH', 'Cluster Manager', 'Service Manager'];

export const CLI_SERVICES: readonly CliService[] = [
  { name: 'A Cisco DB' },
  { name: cli('CallManager'), model: 'CallManager', listeners: ['sip'] },
  { name: cli('TFTP'), model: 'TFTP', listeners: ['tftp', 'http'] },
  { name: cli('TVS'), model: 'TVS', listeners: ['tvs'] },
  { name: cli('CAPF'), model: 'CAPF', listeners: ['capf'] },
  { name: 'Cisco CTIManager' },
  { name: 'Cisco Tomcat', listeners: ['https'] },
  { name: 'Cisco Certificate Change Notification' },
  { name: CERT_MONITOR_SERVICE, monitor: true },
  { name: 'Cisco DRF Local' },
];

const key = (s: string): string => s.trim().toLowerCase().replace(/\s+/g, ' ').replace(/^cisco /, '');

/** The service a typed name means: CUCM's CLI or Serviceability spelling, or trustlab's id, in any case. */
export function cliServiceOf(input: string): CliService | undefined {
  const modelled = clusterServiceOf(input);
  if (modelled) return CLI_SERVICES.find((s) => s.model === modelled);
  const k = key(input);
  return CLI_SERVICES.find((s) => key(s.name) === k || (s.monitor && /^certificate expiry monitor( service)?$/.test(k)));
}
