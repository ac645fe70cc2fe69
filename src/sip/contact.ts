/**
 * Just enough of RFC 3261 §20.10 / §25.1 name-addr parsing for a registrar: the URI of a
 * Contact/To/From value and its header parameters.
 *
 * ```
 * contact-param = (name-addr / addr-spec) *(SEMI contact-params)
 * name-addr     = [ display-name ] LAQUOT addr-spec RAQUOT
 * ```
 *
 * With an addr-spec (no angle brackets) every `;param` belongs to the header, not the URI (§20).
 */
export interface AddressValue {
  uri: string;
  /** Header parameters, names lowercased; a quoted value is unquoted; a bare name maps to ''. */
  params: Map<string, string>;
}

export function parseAddress(value: string): AddressValue | undefined {
  let rest: string;
  let uri: string;
  const lt = indexOutsideQuotes(value, '<');
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    if (gt < 0) return undefined;
    uri = value.slice(lt + 1, gt).trim();
    rest = value.slice(gt + 1);
  } else {
    const semi = value.indexOf(';');
    uri = (semi < 0 ? value : value.slice(0, semi)).trim();
    rest = semi < 0 ? '' : value.slice(semi);
  }
  if (uri.length === 0) return undefined;
  return { uri, params: parseParams(rest) };
}

function indexOutsideQuotes(s: string, ch: string): number {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    if (quoted) {
      if (s[i] === '\\') i++;
      else if (s[i] === '"') quoted = false;
    } else if (s[i] === '"') quoted = true;
    else if (s[i] === ch) return i;
  }
  return -1;
}

/** `;a=1;b="x;y";c` → {a: '1', b: 'x;y', c: ''}. */
export function parseParams(s: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < s.length) {
    while (i < s.length && (s[i] === ';' || s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= s.length) break;
    let name = '';
    while (i < s.length && s[i] !== '=' && s[i] !== ';') name += s[i++];
    let value = '';
    if (s[i] === '=') {
      i++;
      while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else {
        while (i < s.length && s[i] !== ';') value += s[i++];
        value = value.trim();
      }
    }
    name = name.trim().toLowerCase();
    if (name) out.set(name, value);
  }
  return out;
}

/**
 * The Cisco device name a phone puts in its REGISTER Contact: the
 * `+u.sip!devicename.ccm.cisco.com="SEP…"` parameter, or else the MAC at the end of
 * `+sip.instance="<urn:uuid:00000000-0000-0000-0000-001122334455>"` as `SEP001122334455`.
 */
export function ciscoDeviceName(contact: AddressValue): string | undefined {
  const explicit = contact.params.get('+u.sip!devicename.ccm.cisco.com');
  if (explicit) return explicit;
  const instance = contact.params.get('+sip.instance');
  const mac = instance && /([0-9a-f]{12})>?$/i.exec(instance);
  return mac ? `SEP${mac[1]!.toUpperCase()}` : undefined;
}
