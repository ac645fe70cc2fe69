import { EmulatorError } from '../shared/errors.js';
import type { HashName, KeySpec } from '../pki/index.js';
import { PURPOSE_RULES } from './purposes.js';
import type { Purpose } from './model.js';

/**
 * Table 6 of the certificate chapter, as a check on the parameters of a self-signed
 * certificate or CSR: the purpose decides the key type; RSA 1024/2048/3072/4096, EC 256/384
 * (3072/4096 RSA only); the hash must be at least as strong as the key (EC 256: SHA-256/384/512;
 * EC 384: SHA-384/512); FIPS mode forces SHA-256; validity 5, 10 or 20 years (ITLRecovery also
 * 15, REG-7a). Everything refused says which rule, with `CERT_PARAMS_INVALID`.
 */
export interface CertParams {
  keyLength: number;
  hash: HashName;
  validityYears: number;
}

const HASH_BITS: Record<HashName, number> = { 'SHA-1': 160, 'SHA-256': 256, 'SHA-384': 384, 'SHA-512': 512 };

export function parseHash(s: string): HashName | undefined {
  const n = s.toUpperCase().replace(/^SHA-?/, 'SHA-');
  return (['SHA-256', 'SHA-384', 'SHA-512', 'SHA-1'] as const).find((h) => h === n);
}

function invalid(message: string, details: Record<string, unknown>): EmulatorError {
  return new EmulatorError('CERT_PARAMS_INVALID', message, { details });
}

export function checkCertParams(purpose: Purpose, p: CertParams, fips: boolean): KeySpec {
  const rule = PURPOSE_RULES[purpose];
  let spec: KeySpec;
  if (rule.keyType === 'rsa') {
    if (![1024, 2048, 3072, 4096].includes(p.keyLength)) {
      throw invalid(`${purpose} takes an RSA key of 1024, 2048, 3072 or 4096 bits, not ${p.keyLength}`, { purpose, keyLength: p.keyLength });
    }
    spec = { type: 'rsa', bits: p.keyLength as 1024 | 2048 | 3072 | 4096 };
    if (HASH_BITS[p.hash] < 256) throw invalid(`${purpose} certificates are signed with SHA-256, SHA-384 or SHA-512, not ${p.hash}`, { hash: p.hash });
  } else {
    if (p.keyLength !== 256 && p.keyLength !== 384) {
      throw invalid(`${purpose} takes an EC key of 256 or 384 bits; ${p.keyLength} is ${p.keyLength >= 1024 ? 'an RSA length (3072/4096 are RSA only)' : 'not offered'}`, { purpose, keyLength: p.keyLength });
    }
    spec = { type: 'ec', curve: p.keyLength === 256 ? 'P-256' : 'P-384' };
    if (HASH_BITS[p.hash] < p.keyLength) {
      throw invalid(`an EC ${p.keyLength} key needs a hash at least as strong: ${p.keyLength === 256 ? 'SHA-256, SHA-384 or SHA-512' : 'SHA-384 or SHA-512'}, not ${p.hash}`, { keyLength: p.keyLength, hash: p.hash });
    }
  }
  if (fips && p.hash !== 'SHA-256') {
    throw invalid(`FIPS mode requires SHA-256 as the hash algorithm, not ${p.hash}${spec.type === 'ec' && spec.curve === 'P-384' ? ' (so an EC 384 key cannot be used in FIPS mode)' : ''}`, { hash: p.hash, fips });
  }
  const validities = purpose === 'ITLRecovery' ? [5, 10, 15, 20] : [5, 10, 20];
  if (!validities.includes(p.validityYears)) {
    throw invalid(`validity must be ${validities.join(', ')} years, not ${p.validityYears}`, { validityYears: p.validityYears });
  }
  return spec;
}

/** The defaults CUCM offers: RSA 2048 / EC 256 with SHA-256, five years. */
export function defaultParams(purpose: Purpose, validityYears: number): CertParams {
  return { keyLength: PURPOSE_RULES[purpose].keyType === 'rsa' ? 2048 : 256, hash: 'SHA-256', validityYears };
}
