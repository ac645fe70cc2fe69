import { DecodeError } from '../shared/errors.js';

/**
 * A small, strict XML reader for the files CUCM's TFTP service serves (`SEP<MAC>.cnf.xml`):
 * elements, attributes, character data, the XML declaration, comments, and the five predefined
 * entities plus numeric character references. No DTDs, no processing instructions beyond the
 * declaration, no CDATA. Input size, depth and element count are capped, and malformed input
 * throws {@link DecodeError} `XML_MALFORMED` or `XML_TOO_LARGE` with the byte offset.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element, trimmed. */
  text: string;
}

export const XML_LIMITS = { maxBytes: 1024 * 1024, maxDepth: 32, maxElements: 20_000 } as const;

const NAME = /[A-Za-z_:][A-Za-z0-9_.:-]*/y;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

export function parseXml(input: string | Uint8Array): XmlElement {
  const s = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input);
  if (s.length > XML_LIMITS.maxBytes) throw new DecodeError('XML_TOO_LARGE', XML_LIMITS.maxBytes, `XML of ${s.length} characters exceeds ${XML_LIMITS.maxBytes}`);
  let p = 0;
  let count = 0;
  const fail = (msg: string): never => {
    throw new DecodeError('XML_MALFORMED', p, msg);
  };
  const skipWs = (): void => {
    while (p < s.length && ' \t\r\n'.includes(s[p]!)) p++;
  };
  const skipMisc = (): void => {
    for (;;) {
      skipWs();
      if (s.startsWith('<!--', p)) {
        const end = s.indexOf('-->', p + 4);
        if (end < 0) fail('unterminated comment');
        p = end + 3;
      } else if (s.startsWith('<?', p)) {
        const end = s.indexOf('?>', p + 2);
        if (end < 0) fail('unterminated declaration');
        p = end + 2;
      } else return;
    }
  };
  const name = (): string => {
    NAME.lastIndex = p;
    const m = NAME.exec(s);
    if (!m) fail('expected a name');
    p += m![0].length;
    return m![0];
  };
  const decode = (raw: string, at: number): string =>
    raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (all, ent: string | undefined) => {
      if (ent === undefined) {
        p = at;
        return fail('bare & in text');
      }
      if (ent.startsWith('#x')) return String.fromCodePoint(Math.min(parseInt(ent.slice(2), 16), 0x10ffff));
      if (ent.startsWith('#')) return String.fromCodePoint(Math.min(parseInt(ent.slice(1), 10), 0x10ffff));
      const v = ENTITIES[ent];
      if (v === undefined) {
        p = at;
        return fail(`unknown entity &${ent};`);
      }
      return v;
    });
  const element = (depth: number): XmlElement => {
    if (depth > XML_LIMITS.maxDepth) fail(`elements nested deeper than ${XML_LIMITS.maxDepth}`);
    if (++count > XML_LIMITS.maxElements) fail(`more than ${XML_LIMITS.maxElements} elements`);
    if (s[p] !== '<') fail('expected <');
    p++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      skipWs();
      if (s.startsWith('/>', p)) {
        p += 2;
        return el;
      }
      if (s[p] === '>') {
        p++;
        break;
      }
      const an = name();
      skipWs();
      if (s[p] !== '=') fail('expected = after attribute name');
      p++;
      skipWs();
      const q = s[p];
      if (q !== '"' && q !== "'") fail('expected a quoted attribute value');
      const end = s.indexOf(q!, p + 1);
      if (end < 0) fail('unterminated attribute value');
      if (an in el.attrs) fail(`attribute ${an} repeated`);
      el.attrs[an] = decode(s.slice(p + 1, end), p);
      p = end + 1;
    }
    let text = '';
    for (;;) {
      const lt = s.indexOf('<', p);
      if (lt < 0) fail(`element <${el.name}> is not closed`);
      text += decode(s.slice(p, lt), p);
      p = lt;
      if (s.startsWith('</', p)) {
        p += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        skipWs();
        if (s[p] !== '>') fail('expected >');
        p++;
        el.text = text.trim();
        return el;
      }
      if (s.startsWith('<!--', p)) {
        const end = s.indexOf('-->', p + 4);
        if (end < 0) fail('unterminated comment');
        p = end + 3;
        continue;
      }
      el.children.push(element(depth + 1));
    }
  };
  if (s.charCodeAt(0) === 0xfeff) p = 1;
  skipMisc();
  const root = element(0);
  skipMisc();
  if (p !== s.length) fail('content after the root element');
  return root;
}

/** The first child with this name. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el?.children.filter((c) => c.name === name) ?? [];
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' } as Record<string, string>)[c]};`);
}
