import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The real trust-list files in `../shared/samples` (provenance in its README). Tests read them
 * in place; they are never copied into this repository.
 */
export const SAMPLES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/samples');

export const SAMPLE = {
  cucmCtl: join(SAMPLES_DIR, 'cucm-ctl-gigantic6-2015/CTLFile.reconstructed.tlv'),
  cucmCtlAsFound: join(SAMPLES_DIR, 'cucm-ctl-gigantic6-2015/CTLFile.as-found.tlv'),
  certutilsItl: join(SAMPLES_DIR, 'certutils-itl-csptech/ITLFile.tlv'),
} as const;

export function readSample(path: string): Uint8Array {
  if (!existsSync(path)) {
    throw new Error(`sample ${path} is missing: the tests expect ../shared/samples beside the repository`);
  }
  return new Uint8Array(readFileSync(path));
}
