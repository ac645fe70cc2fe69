import { createSocket } from 'node:dgram';
import { encodePacket } from '../../tftp-sim/index.js';

/** The file the probe asks for: a name no cluster serves, so a server answers "File not found" and keeps no session. */
export const PROBE_FILE = 'trustlab-probe';

/**
 * Whether the port of a TFTP server is closed, found out in a fraction of a second, before a
 * phone waits out its own timeouts (issue 18: `phone boot` with no server waited 22 s). A read
 * request goes out on a connected socket; if nothing listens, the ICMP port-unreachable comes
 * back as ECONNREFUSED within milliseconds on Linux. A server answers from a port of its own
 * (RFC 1350 TIDs), which a connected socket does not receive, so anything but a refusal within
 * `ms` counts as "not refused" and the phone then tries as it would.
 */
export function tftpPortClosed(address: string, port: number, ms = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    let done = false;
    const end = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.close();
      resolve(closed);
    };
    const timer = setTimeout(() => end(false), ms);
    s.on('error', (e: NodeJS.ErrnoException) => end(e.code === 'ECONNREFUSED'));
    s.on('message', () => end(false));
    s.connect(port, address, () => s.send(encodePacket({ type: 'RRQ', filename: PROBE_FILE, mode: 'octet', options: [] }), (err) => err && end(false)));
  });
}
