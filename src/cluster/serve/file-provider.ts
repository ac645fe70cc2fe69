import type { FileProvider } from '../../../tftp-sim/index.js';
import type { Cluster } from '../cluster.js';

/**
 * The TFTP service's files, generated from the cluster model on each read (issue 4; formats.md
 * §1.8, phone-behaviour.md FMT-5): `CTLSEP<MAC>.tlv` and `CTLFile.tlv` are the CTL;
 * `ITLSEP<MAC>.tlv` and `ITLFile.tlv` this TFTP node's ITL (per-MAC files carry the same bytes,
 * with `ITLFile.tlv` inside, as CUCM's do); `SEP<MAC>.cnf.xml` and `.cnf.xml.sgn` the device's
 * configuration, signed by this node's CallManager key. When the model changes, the next read
 * sees the change. A node that does not run the TFTP service serves nothing.
 */
const PER_MAC = /^(CTL|ITL)SEP([0-9A-F]{12})\.tlv$/i;
const CONFIG = /^(SEP[0-9A-F]{12})\.cnf\.xml(\.sgn)?$/i;

export class ClusterFileProvider implements FileProvider {
  /** `source` is the cluster, or a function giving its current version (see `Lab.live`). */
  /**
   * `overrides` replaces served files by name (`ITLFile.tlv` also covers `ITLSEP<MAC>.tlv`), for
   * tampering scenarios and `serve --fuzz`: what a man in the middle or a broken TFTP node would
   * serve. Empty bytes mean "not found".
   */
  constructor(readonly source: Cluster | (() => Cluster | Promise<Cluster>), readonly node: string, readonly overrides?: ReadonlyMap<string, Uint8Array>) {}

  async read(name: string): Promise<Uint8Array | undefined> {
    const c = typeof this.source === 'function' ? await this.source() : this.source;
    const node = c.state.nodes.find((n) => n.hostname === this.node);
    if (!node?.services.includes('TFTP')) return undefined;
    const kind = name === 'CTLFile.tlv' ? 'CTL' : name === 'ITLFile.tlv' ? 'ITL' : PER_MAC.exec(name)?.[1]?.toUpperCase();
    if (this.overrides?.size) {
      const o = this.overrides.get(kind ? `${kind}File.tlv` : name);
      if (o) return o.length ? o : undefined;
    }
    if (kind === 'CTL') return c.ctl();
    if (kind === 'ITL') return c.itl(this.node);
    const cfg = CONFIG.exec(name);
    if (cfg) return c.config(cfg[1]!, { signed: Boolean(cfg[2]), node: this.node });
    return undefined;
  }
}
