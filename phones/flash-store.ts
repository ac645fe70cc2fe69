import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EmulatorError } from '../src/shared/errors.js';
import { writeFileAtomic } from '../src/shared/fs.js';
import type { Flash } from './machine/types.js';

/**
 * Phones on disk (architecture.md "State on disk"):
 *
 * ```
 * lab/phones/<MAC>/phone.json        model, MIC (certificate, key, chain), TFTP servers
 * lab/phones/<MAC>/flash/flash.json  what the phone's flash holds — the source of truth
 * lab/phones/<MAC>/flash/ITLFile.tlv, CTLFile.tlv, SEP<MAC>.cnf.xml, lsc.pem   readable copies
 * ```
 *
 * `flash.json` is written atomically; a phone whose process dies keeps exactly the last
 * complete flash, as a real phone keeps what it had written (REC-4 lists what survives). The
 * copies beside it are refreshed after each save.
 */
export interface PhoneRecord {
  formatVersion: 1;
  mac: string;
  model: string;
  mic: { certPem: string; keyPem: string; chainPem: string };
  tftpServers: string[];
}

export const PHONE_FORMAT_VERSION = 1;

/**
 * How the last `trustlab phone` run ended (`lab/phones/<MAC>/last-run.json`): a phone driven
 * from the terminal runs only while the command does, so this is its state as last seen, with
 * the status messages of that boot (`phone show`, issue 18).
 */
export interface LastRun {
  at: string;
  action: string;
  state: string;
  reason: string;
  log: Array<{ at: string; message: string }>;
}

export class PhoneStore {
  constructor(readonly labDir: string) {}

  dir(mac: string): string {
    return join(this.labDir, 'phones', mac.toUpperCase());
  }

  async saveRecord(r: PhoneRecord): Promise<void> {
    await writeFileAtomic(join(this.dir(r.mac), 'phone.json'), JSON.stringify(r, null, 1) + '\n');
  }

  async loadRecord(mac: string): Promise<PhoneRecord | undefined> {
    const path = join(this.dir(mac), 'phone.json');
    const raw = await readIfPresent(path);
    if (raw === undefined) return undefined;
    let r: PhoneRecord;
    try {
      r = JSON.parse(raw) as PhoneRecord;
    } catch (cause) {
      throw new EmulatorError('LAB_CORRUPT', `${path} is not valid JSON`, { cause });
    }
    if (r.formatVersion > PHONE_FORMAT_VERSION) throw new EmulatorError('LAB_FORMAT_TOO_NEW', `${path} was written by a newer trustlab; upgrade to open it`);
    if (typeof r.mac !== 'string' || !r.mic?.certPem || !Array.isArray(r.tftpServers)) throw new EmulatorError('LAB_CORRUPT', `${path} lacks mac, mic or tftpServers`);
    return r;
  }

  async saveLastRun(mac: string, run: LastRun): Promise<void> {
    await writeFileAtomic(join(this.dir(mac), 'last-run.json'), JSON.stringify(run, null, 1) + '\n');
  }

  /** The last run, or undefined when the phone never ran or the file is unreadable (it is a convenience, not state). */
  async loadLastRun(mac: string): Promise<LastRun | undefined> {
    const raw = await readIfPresent(join(this.dir(mac), 'last-run.json'));
    try {
      return raw === undefined ? undefined : (JSON.parse(raw) as LastRun);
    } catch {
      return undefined;
    }
  }

  async saveFlash(mac: string, flash: Flash): Promise<void> {
    const base = join(this.dir(mac), 'flash');
    await mkdir(base, { recursive: true });
    await writeFileAtomic(join(base, 'flash.json'), JSON.stringify(flash) + '\n');
    const copies: Array<[string, string | Uint8Array | undefined]> = [
      ['ITLFile.tlv', flash.itl ? Buffer.from(flash.itl, 'base64') : undefined],
      ['CTLFile.tlv', flash.ctl ? Buffer.from(flash.ctl, 'base64') : undefined],
      [`SEP${mac.toUpperCase()}.cnf.xml`, flash.config],
      ['lsc.pem', flash.lsc?.certPem],
    ];
    for (const [name, data] of copies) {
      const path = join(base, name);
      if (data === undefined) await rm(path, { force: true });
      else await writeFileAtomic(path, data);
    }
  }

  async loadFlash(mac: string): Promise<Flash | undefined> {
    const path = join(this.dir(mac), 'flash', 'flash.json');
    const raw = await readIfPresent(path);
    if (raw === undefined) return undefined;
    try {
      const f = JSON.parse(raw) as Flash;
      if (!Array.isArray(f.tvsCache) || !Array.isArray(f.log)) throw new Error('missing tvsCache or log');
      return f;
    } catch (cause) {
      throw new EmulatorError('LAB_CORRUPT', `${path} is not a phone flash image (${(cause as Error).message})`, { cause });
    }
  }
}

/** The file's text, or undefined when there is none; any other failure (permissions, I/O) is an IO_ERROR, not "no phone". */
async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EmulatorError('IO_ERROR', `${path}: ${(e as Error).message}`, { cause: e });
  }
}
