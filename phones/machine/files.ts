import type { Step } from './step.js';
import type { EventOf } from './table.js';

/**
 * Downloading the boot's files (BOOT-1, FMT-5, ITL-6): each fetching phase has a list of
 * candidate names (`CTLSEP<MAC>.tlv`, then `CTLFile.tlv` …) tried in order on the current TFTP
 * server; a server that does not answer moves the phone to the next one of option 150.
 */
export type FetchPhase = 'ctl' | 'itl' | 'config';

/** What a `file.result` means for the fetching phase. */
export type FileOutcome =
  | { kind: 'next' }
  | { kind: 'unreachable'; why: string }
  | { kind: 'absent'; name: string }
  | { kind: 'file'; name: string; bytes: Uint8Array };

/** Enters a fetching phase, asking the first server for the first name; false when no TFTP server is configured. */
export function fetchPhase(st: Step, phase: FetchPhase, names: string[]): boolean {
  if (st.s.tftpServers.length === 0) {
    st.s = { ...st.s, phase, fetch: null };
    return false;
  }
  st.s = { ...st.s, phase, fetch: { names, server: 0 } };
  st.start('phone', { type: 'fetch', server: st.s.tftpServers[0]!, name: names[0]! });
  return true;
}

/**
 * Handles a download's answer: a failed server gives way to the next one (`next`, a new fetch is
 * pending), a missing name to the next candidate (`next`), and the phase ends with the file, with
 * every candidate absent, or with every server unreachable.
 */
export function onFileResult(st: Step, e: EventOf<'file.result'>): FileOutcome {
  const f = st.s.fetch!;
  if (e.error === 'unreachable' || e.error === 'error' || e.error === 'timeout') {
    const next = f.server + 1;
    if (next < st.s.tftpServers.length) {
      st.s = { ...st.s, fetch: { ...f, server: next } };
      st.start('phone', { type: 'fetch', server: st.s.tftpServers[next]!, name: e.name });
      return { kind: 'next' };
    }
    st.log(`TFTP ${e.name}: no server answered (${e.detail ?? e.error})`);
    return { kind: 'unreachable', why: `TFTP server${st.s.tftpServers.length > 1 ? 's' : ''} ${st.s.tftpServers.join(', ')} did not answer` };
  }
  if (e.error === 'not-found' || !e.bytes) {
    const rest = f.names.slice(1);
    if (rest.length) {
      st.s = { ...st.s, fetch: { names: rest, server: f.server } };
      st.start('phone', { type: 'fetch', server: st.s.tftpServers[f.server]!, name: rest[0]! });
      return { kind: 'next' };
    }
    return { kind: 'absent', name: e.name };
  }
  return { kind: 'file', name: e.name, bytes: e.bytes };
}

