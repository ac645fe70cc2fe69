import { describe, expect, it } from 'vitest';
import { CAPF_COMMAND_NAMES, CAPF_ELEMENT_NAMES } from '../capf/index.js';
import { HEADER_TAG_NAMES, RECORD_TAG_NAMES, ROLE_NAMES, parseRole, roleName } from '../trustlist/tags.js';
import { OPCODE_NAMES } from '../../tftp-sim/constants.js';
import { TVS_COMMAND_NAMES, TVS_ELEMENT_NAMES, tvsCommandName } from '../../tvs-sim/tags.js';
import { codeNames, codeOf, nameOf, screamingSnake } from './code-table.js';

/**
 * The derived names are the protocols' own spellings: each table below is the list the sources
 * give (capfd/tvsd constants, Cisco's `show ctl`, RFC 1350), written out independently of the
 * declarations they are derived from.
 */
describe('code tables', () => {
  it('derive the wire and display spellings the sources use', () => {
    expect(CAPF_COMMAND_NAMES).toEqual({
      1: 'AUTH_REQ', 2: 'AUTH_RESP', 3: 'KEY_GEN_REQ', 4: 'KEY_GEN_RESP', 5: 'ENCRYPT_RESP', 6: 'ENCRYPT_REQ', 7: 'DECRYPT_REQ', 8: 'DECRYPT_RESP', 9: 'STORE_CERT_REQ', 10: 'STORE_CERT_RESP', 11: 'FETCH_CERT_REQ',
      12: 'FETCH_CERT_RESP', 13: 'DELETE_CERT_REQ', 14: 'DELETE_CERT_RESP', 15: 'END_SESSION', 16: 'RETRY_LATER', 17: 'REQUEST_IN_PROGRESS', 18: 'STATUS_REQ', 19: 'STATUS_RESP', 20: 'ABORT_REQ', 21: 'ABORT_RESP', 22: 'SIGN_CERT_REQ', 23: 'SIGN_CERT_RESP',
    });
    expect(CAPF_ELEMENT_NAMES).toEqual({
      1: 'REASON', 2: 'REASON_INFO', 3: 'CERTIFICATE_TYPE', 4: 'CERTIFICATE', 5: 'CERTIFICATE_ID', 6: 'SIGNED_DATA', 7: 'VERSION', 8: 'AUTH_TYPE', 9: 'PUBLIC_KEY', 10: 'KEY_SIZE', 11: 'PASSWORD', 12: 'RETRY_DELAY',
      13: 'DEVICE_NAME', 16: 'SUDI_DATA', 17: 'KEY_TYPE', 18: 'CURVE', 19: 'DIGEST_TYPE', 20: 'SHA2_SIGNED_DATA',
    });
    expect(TVS_COMMAND_NAMES).toEqual({ 0: 'NONE', 1: 'VERIFY_REQUEST', 2: 'VERIFY_RESPONSE', 3: 'QUERY_REQUEST', 4: 'QUERY_RESPONSE' });
    expect(TVS_ELEMENT_NAMES).toEqual({ 1: 'DEVICE_NAME', 2: 'CERTIFICATE', 3: 'SUBJECT', 7: 'STATUS', 8: 'ROLES', 9: 'TTL' });
    expect(OPCODE_NAMES).toEqual({ 1: 'RRQ', 2: 'WRQ', 3: 'DATA', 4: 'ACK', 5: 'ERROR', 6: 'OACK' });
    expect(HEADER_TAG_NAMES).toEqual({
      1: 'VERSION', 2: 'HEADERLENGTH', 3: 'SIGNERID', 4: 'SIGNERNAME', 5: 'SERIALNUMBER', 6: 'CANAME', 7: 'SIGNATUREINFO', 8: 'DIGESTALGORTITHM', 9: 'SIGNATUREALGOINFO', 10: 'SIGNATUREALGORTITHM',
      11: 'SIGNATUREMODULUS', 12: 'SIGNATURE', 13: 'PADDING', 14: 'FILENAME', 15: 'TIMESTAMP', 28: 'SIGNERVERSION',
    });
    expect(RECORD_TAG_NAMES).toEqual({ 1: 'RECORDLENGTH', 2: 'DNSNAME', 3: 'SUBJECTNAME', 4: 'FUNCTION', 5: 'ISSUERNAME', 6: 'SERIALNUMBER', 7: 'PUBLICKEY', 8: 'SIGNATURE', 9: 'CERTIFICATE', 10: 'IPADDRESS', 11: 'CERTHASH', 12: 'HASHALGORITHM' });
    expect(ROLE_NAMES).toEqual({ 0: 'SAST', 1: 'CCM', 2: 'CCM+TFTP', 3: 'TFTP', 4: 'CAPF', 5: 'SRST', 7: 'APP-SERVER', 21: 'TVS' });
  });

  it('look up both ways, with a fallback for codes nobody named', () => {
    const names = codeNames({ KeyGenReq: 3, Sha2SignedData: 20 }, screamingSnake);
    expect(nameOf(names, 3, (c) => `X${c}`)).toBe('KEY_GEN_REQ');
    expect(nameOf(names, 9, (c) => `X${c}`)).toBe('X9');
    expect(codeOf(names, 'sha2_signed_data')).toBe(20);
    expect(codeOf(names, 'nothing')).toBeUndefined();
    expect(roleName(99)).toBe('ROLE(99)');
    expect(parseRole('ccm+tftp')).toBe(2);
    expect(parseRole('HTTPS')).toBe(7);
    expect(tvsCommandName(9)).toBe('COMMAND(9)');
  });
});
