import type { FileProvider, FileRequestContext } from '../../tftp-sim/index.js';
import { EventBus } from '../shared/events.js';
import { mutate, MUTATORS, type MutationContext } from './mutators.js';
import { Rng } from './rng.js';

/**
 * Serves mutants to real phones (issue 8: `trustlab serve tftp --fuzz itl`): every request for
 * the ITL (or CTL) — `ITLFile.tlv` or `ITLSEP<MAC>.tlv` — gets the next mutant of the file the
 * wrapped provider would serve; everything else passes through. Each mutant served is an event
 * naming the client, the mutant number and the mutators, so a phone's reaction can be matched to
 * what it was sent; the same seed serves the same sequence.
 */
export type FuzzServeEvent = { type: 'fuzz.served'; client: string; protocol: string; file: string; mutant: number; mutators: string[]; bytes: number; sha256: string };

export class FuzzingFileProvider implements FileProvider {
  readonly events = new EventBus<FuzzServeEvent>();
  readonly #base: FileProvider;
  readonly #kind: 'ITL' | 'CTL';
  readonly #m: MutationContext;
  #count = 0;

  constructor(base: FileProvider, kind: 'itl' | 'ctl', seed: string) {
    this.#base = base;
    this.#kind = kind === 'itl' ? 'ITL' : 'CTL';
    this.#m = { rng: new Rng(`serve/${kind}/${seed}`), corpus: [], rogue: [], forged: [], kind: 'list' };
  }

  async read(name: string, context?: FileRequestContext): Promise<Uint8Array | undefined> {
    const match = new RegExp(`^${this.#kind}(File|SEP[0-9A-F]{12})\\.tlv$`, 'i').test(name);
    // A per-MAC name the directory lacks gets the generic file's mutant, as CUCM serves the same content.
    const real = (await this.#base.read(name, context)) ?? (match ? await this.#base.read(`${this.#kind}File.tlv`, context) : undefined);
    if (!real || !match) return real;
    const { bytes, applied } = mutate(real, this.#m, Object.keys(MUTATORS));
    const n = ++this.#count;
    const { createHash } = await import('node:crypto');
    this.events.emit({ type: 'fuzz.served', client: context ? `${context.client.address}:${context.client.port}` : '-', protocol: context?.protocol ?? '-', file: name, mutant: n, mutators: applied, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    return bytes;
  }
}
