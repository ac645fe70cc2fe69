import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectRoundTrip } from '../../test/helpers/codec.js';
import { DecodeError } from '../shared/errors.js';
import { decodeDeviceConfig, encodeDeviceConfig, encodedLengthDeviceConfig, type DeviceConfig } from './index.js';

/**
 * The device-config codec (conventions.md §4): round trip through the shared checklist for any
 * config, and every truncation that cuts into the XML is a typed `XML_MALFORMED` error.
 */
const codec = {
  encode: (c: DeviceConfig): Uint8Array => new Uint8Array(Buffer.from(encodeDeviceConfig(c), 'utf8')),
  decode: (b: Uint8Array): DeviceConfig => decodeDeviceConfig(b),
  encodedLength: encodedLengthDeviceConfig,
};

const port = fc.integer({ min: 1, max: 65535 });
/** Text as a config carries it: trimmed on read, so generated without surrounding blanks. */
const text = fc.string({ maxLength: 24 }).map((s) => s.trim());
const address = fc.oneof(fc.ipV4(), fc.domain());
/** Distinct priorities in ascending order, since the decoder sorts members by priority. */
const members = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Array<T & { priority: number }>> =>
  fc.uniqueArray(fc.integer({ min: 0, max: 99 }), { maxLength: 4 }).chain((ps) => fc.tuple(...ps.sort((a, b) => a - b).map((priority) => arb.map((v) => ({ ...v, priority })))));

const config: fc.Arbitrary<DeviceConfig> = fc.record({
  fullConfig: fc.boolean(),
  deviceProtocol: fc.constantFrom('SIP' as const, 'SCCP' as const),
  deviceSecurityMode: fc.constantFrom(1 as const, 2 as const, 3 as const),
  callManagers: members(fc.record({ address, ethernetPhonePort: port, sipPort: port, securedSipPort: port })),
  tvs: members(fc.record({ address, port })),
  loadInformation: text,
  capfAuthMode: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const, 4 as const),
  capf: fc.array(fc.record({ address, port }), { maxLength: 2 }),
  certHash: text,
  encrConfig: fc.boolean(),
  secureDirectoryURL: fc.option(fc.webUrl().map((u) => `https://${u.slice(u.indexOf('//') + 2)}`), { nil: undefined }),
}).map(({ secureDirectoryURL, ...c }) => ({ ...c, ...(secureDirectoryURL ? { secureDirectoryURL } : {}) }));

describe('device config codec', () => {
  it('round-trips any config', () => {
    fc.assert(fc.property(config, (c) => {
      expectRoundTrip(codec, c);
    }), { numRuns: 200 });
  });

  it('every truncation into the XML throws XML_MALFORMED, never anything else', () => {
    fc.assert(fc.property(config, fc.double({ min: 0, max: 1, noNaN: true }), (c, f) => {
      const bytes = codec.encode(c);
      const end = Buffer.from(bytes).lastIndexOf('>'.charCodeAt(0));
      const cut = Math.floor(f * end);
      try {
        decodeDeviceConfig(bytes.subarray(0, cut));
        return false;
      } catch (e) {
        return e instanceof DecodeError && e.code === 'XML_MALFORMED';
      }
    }), { numRuns: 300 });
  });

  it('refuses a value a phone could not use, with the element named', () => {
    const xml = encodeDeviceConfig({
      fullConfig: true, deviceProtocol: 'SIP', deviceSecurityMode: 1, callManagers: [], tvs: [], loadInformation: '', capfAuthMode: 0, capf: [], certHash: '', encrConfig: false,
    }).replace('<deviceSecurityMode>1<', '<deviceSecurityMode>7<');
    expect(() => decodeDeviceConfig(xml)).toThrow(expect.objectContaining({ code: 'XML_MALFORMED', message: expect.stringContaining('deviceSecurityMode') }));
  });
});
