import type { Cluster } from '../cluster.js';
import type { Lab } from '../lab.js';

/**
 * A cluster that follows its lab directory: `get()` returns the newest version synchronously,
 * and a poll (one `stat` of cluster.json per interval, `Lab.live`) swaps in the version another
 * process wrote — `trustlab serve` in one terminal sees `trustlab cert regenerate` run in another.
 * Servers read `get()` per connection, so the change reaches the next handshake.
 */
export class LiveCluster {
  #current: Cluster;
  #timer: NodeJS.Timeout | undefined;
  readonly #read: () => Promise<Cluster>;

  private constructor(first: Cluster, read: () => Promise<Cluster>) {
    this.#current = first;
    this.#read = read;
  }

  static async open(lab: Lab, name?: string): Promise<LiveCluster> {
    const read = lab.live(name);
    return new LiveCluster(await read(), read);
  }

  readonly get = (): Cluster => this.#current;

  /** Re-reads now; resolves true when a newer version was swapped in. */
  async refresh(): Promise<boolean> {
    const next = await this.#read();
    const changed = next !== this.#current;
    this.#current = next;
    return changed;
  }

  /** Polls every `ms` until `stop()`; `onChange` hears each swap, `onError` each failed read. */
  start(ms: number, onChange: (c: Cluster) => void = () => undefined, onError: (e: unknown) => void = () => undefined): void {
    this.stop();
    const tick = (): void => {
      this.refresh().then((changed) => changed && onChange(this.#current), onError).finally(() => {
        if (this.#timer) this.#timer = setTimeout(tick, ms).unref();
      });
    };
    this.#timer = setTimeout(tick, ms).unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
