import type { ServiceName } from './model.js';

/**
 * CUCM's own service names (Cisco Unified Serviceability, `utils service list`), declared once.
 * Runbooks and the admin CLI spell services many ways ("TFTP", "tftp", "Cisco TFTP"); trustlab
 * accepts any of them, case-insensitively, and shows CUCM's name (issue 18).
 */
export const CUCM_SERVICE_NAME: Readonly<Record<ServiceName, string>> = {
  TFTP: 'Cisco TFTP',
  TVS: 'Cisco Trust Verification Service',
  CallManager: 'Cisco CallManager',
  CAPF: 'Cisco Certificate Authority Proxy Function',
};

/**
 * The network services a node's real servers offer (`stop`/`start` steps), with the CUCM service
 * each belongs to: HTTP 6970 is served by Cisco TFTP, SIP by Cisco CallManager, HTTPS by Cisco Tomcat.
 */
export const NETWORK_SERVICE_NAME = {
  tftp: 'Cisco TFTP',
  http: 'Cisco TFTP (HTTP 6970 only)',
  tvs: 'Cisco Trust Verification Service',
  sip: 'Cisco CallManager (SIP)',
  capf: 'Cisco Certificate Authority Proxy Function',
  https: 'Cisco Tomcat',
  all: 'every service',
} as const;
export type NetworkServiceId = keyof typeof NETWORK_SERVICE_NAME;

/** Other spellings people use for the same services. */
const EXTRA: Readonly<Record<string, string>> = {
  'trust verification service': 'TVS',
  'certificate authority proxy function': 'CAPF',
  tomcat: 'https',
};

const key = (s: string): string => s.trim().toLowerCase().replace(/\s+/g, ' ');

/**
 * The id a spelling names among `ids` (whose CUCM names are `names`), or undefined: the id
 * itself, the CUCM name, either without "Cisco ", in any case.
 */
export function resolveService<T extends string>(input: string, names: Readonly<Record<T, string>>): T | undefined {
  const k = key(input);
  const bare = k.replace(/^cisco /, '');
  const ids = Object.keys(names) as T[];
  for (const id of ids) {
    const name = key(names[id]);
    if (k === id.toLowerCase() || bare === id.toLowerCase() || k === name || bare === name.replace(/^cisco /, '')) return id;
  }
  const extra = EXTRA[k] ?? EXTRA[bare];
  return extra ? ids.find((id) => id.toLowerCase() === extra.toLowerCase()) : undefined;
}

/** A cluster service (restart) from any spelling. */
export const clusterServiceOf = (input: string): ServiceName | undefined => resolveService<ServiceName>(input, CUCM_SERVICE_NAME);

/** A network service (stop/start) from any spelling; a CUCM service maps to its listener. */
export function networkServiceOf(input: string): NetworkServiceId | undefined {
  const direct = resolveService<NetworkServiceId>(input, NETWORK_SERVICE_NAME);
  if (direct) return direct;
  const cucm = clusterServiceOf(input);
  return cucm ? ({ TFTP: 'tftp', TVS: 'tvs', CallManager: 'sip', CAPF: 'capf' } as const)[cucm] : undefined;
}
