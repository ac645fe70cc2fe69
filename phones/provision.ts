import { toPem, issueMic, type CertificateAuthority, type KeyPool } from '../src/pki/index.js';
import type { KeyObject } from 'node:crypto';
import { EmulatorError } from '../src/shared/errors.js';
import { phoneModel } from './models.js';
import { PHONE_FORMAT_VERSION, type PhoneRecord } from './flash-store.js';

/**
 * A phone "at manufacture" (issue 6; phone-behaviour.md CAPF-6): a MAC, a model, and a MIC
 * issued by the emulated manufacturing CA the model's MIC names (models.ts `micIssuer`), on a
 * key taken from the pool's `device` namespace so that a fleet of 10,000 does not generate
 * 10,000 RSA keys.
 */
export interface ManufactureOptions {
  mac: string;
  model: string;
  /** DHCP option 150 (and the alternate TFTP address): where the phone fetches its files. */
  tftpServers: string[];
  /** The lab's manufacturing CAs, by name (`Lab.cas.manufacturing`). */
  manufacturing: ReadonlyMap<string, CertificateAuthority>;
  pool: KeyPool;
  /** Manufacture date; the MIC is valid for ten years from it. */
  manufactured: Date;
}

export async function manufacturePhone(o: ManufactureOptions): Promise<PhoneRecord> {
  const model = phoneModel(o.model);
  const mac = o.mac.replace(/[:.-]/g, '').toUpperCase();
  if (!/^[0-9A-F]{12}$/.test(mac)) throw new EmulatorError('INVALID_ARGUMENT', `MAC "${o.mac}" must be 12 hex digits`);
  const ca = o.manufacturing.get(model.micIssuer);
  if (!ca) throw new EmulatorError('INVALID_STATE', `the lab has no ${model.micIssuer} CA to issue a ${model.productName} MIC`);
  const keys = await o.pool.take({ type: 'rsa', bits: 2048 }, 'device');
  const mic = await issueMic(ca, { model: model.productName, mac, keys, manufactured: o.manufactured });
  const chain = ca.chain().map((c) => toPem(c.der)).join('');
  return {
    formatVersion: PHONE_FORMAT_VERSION,
    mac,
    model: model.id,
    mic: { certPem: toPem(mic.der), keyPem: pemOf(keys.privateKey), chainPem: chain },
    tftpServers: [...o.tftpServers],
  };
}

/** MAC number `i` of a fleet: a fixed prefix, then `i` in hex (`00AB` + 8 hex digits). */
export function fleetMac(i: number, prefix = '00AB'): string {
  if (!/^[0-9A-F]{4}$/i.test(prefix)) throw new EmulatorError('INVALID_ARGUMENT', `MAC prefix "${prefix}" must be 4 hex digits`);
  if (!Number.isInteger(i) || i < 0 || i > 0xffffffff) throw new EmulatorError('INVALID_ARGUMENT', `phone index ${i} is out of range`);
  return `${prefix.toUpperCase()}${i.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** Pooled keys are shared by many phones (decision 018): each exports its PEM once. */
const PEMS = new WeakMap<KeyObject, string>();

function pemOf(key: KeyObject): string {
  let pem = PEMS.get(key);
  if (pem === undefined) {
    pem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
    PEMS.set(key, pem);
  }
  return pem;
}
