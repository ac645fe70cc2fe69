import { describe, expect, it } from 'vitest';
import {
  buildTvsRequest, buildTvsResponse, decodeTvsMessage, encodeTvsMessage, parseTvsRequest, parseTvsResponse, tvsDeviceName, TvsCommand, type TvsMessage,
} from './index.js';

const cert = Uint8Array.of(0x30, 0x82, 0x01, 0x00, 9, 9, 9);

describe('TVS requests', () => {
  it('builds a tvsd-style VERIFY_REQUEST: DEVICE_NAME with its 0x01 byte, then the DER certificate', () => {
    const name = tvsDeviceName('8861', '00:11:22:aa:bb:cc');
    expect(name).toBe('CP-8861-SEP001122AABBCC');
    const bytes = encodeTvsMessage(buildTvsRequest({ sessionId: 1, deviceName: name, certificate: cert }));
    const expected = Buffer.concat([
      Buffer.from('5701010000000001', 'hex'),
      Buffer.from([0, 3 + 1 + name.length + 3 + cert.length]),
      Buffer.from([1, 0, name.length + 1, 1]),
      Buffer.from(name, 'ascii'),
      Buffer.from([2, 0, cert.length]),
      Buffer.from(cert),
    ]);
    expect(Buffer.from(bytes).toString('hex')).toBe(expected.toString('hex'));
    const parsed = parseTvsRequest(decodeTvsMessage(bytes));
    expect(parsed).toMatchObject({ command: 1, sessionId: 1, deviceName: name, deviceNamePrefix: 1, unknown: [] });
    expect([...parsed.certificate!]).toEqual([...cert]);
  });

  it('reads the Cisco QUERY_CERT_REQ style: command 3 with the subject DN in element 3', () => {
    const m = buildTvsRequest({ sessionId: 9, deviceName: 'CP-8861-SEP001122334455', subject: 'CN=cucm-b;OU=VTG;O=Beta;L=SJ;ST=CA;C=US' });
    expect(m.command).toBe(TvsCommand.QueryRequest);
    const withNul: TvsMessage = { ...m, elements: m.elements.map((e) => (e.tag === 3 ? { tag: 3, value: Uint8Array.of(...e.value, 0) } : e)) };
    expect(parseTvsRequest(decodeTvsMessage(encodeTvsMessage(withNul)))).toMatchObject({ command: 3, subject: 'CN=cucm-b;OU=VTG;O=Beta;L=SJ;ST=CA;C=US' });
  });

  it('tolerates unknown elements and hands them back', () => {
    const m = buildTvsRequest({ sessionId: 2, certificate: cert });
    m.elements.unshift({ tag: 0x42, value: Uint8Array.of(1, 2) });
    const r = parseTvsRequest(m);
    expect(r.unknown).toEqual([{ tag: 0x42, value: Uint8Array.of(1, 2) }]);
    expect(r.deviceName).toBeUndefined();
  });

  it('refuses requests that say nothing to verify, other commands, and bad known elements', () => {
    const ok = buildTvsRequest({ sessionId: 2, deviceName: 'CP-8861-SEP001122334455', certificate: cert });
    expect(() => parseTvsRequest({ ...ok, elements: ok.elements.slice(0, 1) })).toThrowError(expect.objectContaining({ code: 'TVS_MISSING_ELEMENT' }));
    expect(() => parseTvsRequest({ ...ok, command: 2 })).toThrowError(expect.objectContaining({ code: 'TVS_UNEXPECTED_COMMAND', offset: 2 }));
    expect(() => parseTvsRequest({ ...ok, elements: [...ok.elements, ok.elements[1]!] })).toThrowError(expect.objectContaining({ code: 'TVS_MALFORMED' }));
    expect(() => parseTvsRequest({ ...ok, elements: [{ tag: 1, value: Uint8Array.of(1) }, ok.elements[1]!] })).toThrowError(expect.objectContaining({ code: 'TVS_MALFORMED', offset: 10 }));
    expect(() => parseTvsRequest({ ...ok, elements: [{ tag: 1, value: Uint8Array.of(1, 0x41, 0x0a) }, ok.elements[1]!] })).toThrowError(expect.objectContaining({ code: 'TVS_MALFORMED' }));
    expect(() => parseTvsRequest({ ...ok, elements: [ok.elements[0]!, { tag: 2, value: new Uint8Array(0) }] })).toThrowError(expect.objectContaining({ code: 'TVS_MALFORMED', offset: 10 + 3 + ok.elements[0]!.value.length }));
    expect(() => tvsDeviceName('88', 'zz')).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('TVS answers', () => {
  it('writes STATUS, ROLES, TTL when valid and STATUS alone when invalid, as tvsd does', () => {
    const valid = buildTvsResponse({ requestCommand: 1, sessionId: 5, valid: true, roles: [0, 3], ttlSeconds: 86400 });
    expect(Buffer.from(encodeTvsMessage(valid)).toString('hex')).toBe('57010200000000050010070001000800020003090004' + '00015180');
    const invalid = buildTvsResponse({ requestCommand: 1, sessionId: 5, valid: false, roles: [0], ttlSeconds: 86400 });
    expect(Buffer.from(encodeTvsMessage(invalid)).toString('hex')).toBe('570102000000000500040700010' + '1');
    expect(parseTvsResponse(valid)).toMatchObject({ command: 2, status: 0, roles: [0, 3], ttlSeconds: 86400, certificates: [] });
    expect(parseTvsResponse(invalid)).toMatchObject({ status: 1, certificates: [] });
    expect(parseTvsResponse(invalid).roles).toBeUndefined();
  });

  it('answers a query with QUERY_RESPONSE carrying the certificate found', () => {
    const m = buildTvsResponse({ requestCommand: 3, sessionId: 5, valid: true, roles: [0, 2], ttlSeconds: 60, certificates: [cert] });
    expect(m.command).toBe(TvsCommand.QueryResponse);
    expect(m.elements.map((e) => e.tag)).toEqual([7, 2, 8, 9]);
    expect(parseTvsResponse(m).certificates).toEqual([cert]);
  });

  it('refuses roles or TTLs that cannot be encoded, and answers without a usable STATUS or TTL', () => {
    expect(() => buildTvsResponse({ requestCommand: 1, sessionId: 1, valid: true, roles: [256] })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => buildTvsResponse({ requestCommand: 1, sessionId: 1, valid: true, roles: [], ttlSeconds: -1 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const base = { command: 2, reserved: 0, sessionId: 1 };
    expect(() => parseTvsResponse({ ...base, elements: [] })).toThrowError(expect.objectContaining({ code: 'TVS_MISSING_ELEMENT' }));
    expect(() => parseTvsResponse({ ...base, elements: [{ tag: 7, value: Uint8Array.of(0, 0) }] })).toThrowError(expect.objectContaining({ code: 'TVS_MALFORMED', offset: 10 }));
    expect(() => parseTvsResponse({ ...base, elements: [{ tag: 7, value: Uint8Array.of(0) }, { tag: 9, value: Uint8Array.of(1) }] })).toThrowError(expect.objectContaining({ code: 'TVS_MALFORMED', offset: 14 }));
    expect(() => parseTvsResponse({ ...base, elements: [{ tag: 7, value: Uint8Array.of(0) }, { tag: 7, value: Uint8Array.of(0) }] })).toThrowError(expect.objectContaining({ code: 'TVS_MALFORMED' }));
  });
});
