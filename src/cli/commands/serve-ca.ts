import type { Lab } from '../../cluster/index.js';
import { labRevocationSource, readLabCa } from '../../cluster/lab-ca.js';
import { RevocationServer } from '../../revocation/index.js';
import { isEmulatorError } from '../../shared/errors.js';

/**
 * The lab CA's OCSP responder and CRL distribution point, at the base URL its certificates carry.
 * Another `serve` of the same lab may hold that port already; that one answers, so this is only
 * reported.
 */
export async function serveLabCa(lab: Lab, line: (text: string, event: object) => void, required = false): Promise<RevocationServer | undefined> {
  const url = new URL((await readLabCa(lab.dir)).url);
  const server = new RevocationServer({ source: labRevocationSource(lab), clock: lab.clock });
  server.events.on('revocation.request', (e) => line(`[ca] ${e.kind} ${e.method} ${e.path.length > 60 ? `${e.path.slice(0, 60)}…` : e.path} ${e.status}${e.detail ? ` ${e.detail}` : ''}`, { ...e, service: 'ca' }));
  try {
    const a = await server.listen({ host: url.hostname, port: Number(url.port || 80) });
    line(`lab CA: OCSP http://${a.address}:${a.port}/ocsp, CRLs http://${a.address}:${a.port}/crl/`, { type: 'ca.listening', address: a.address, port: a.port });
    return server;
  } catch (err) {
    if (required || !isEmulatorError(err, 'LISTEN_FAILED')) throw err;
    line(`lab CA not served here: ${err.message} (another trustlab serve of this lab may be serving it; \`trustlab ca url\` moves it)`, { type: 'ca.not-served', message: err.message });
    return undefined;
  }
}

