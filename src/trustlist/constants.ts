/**
 * Limits of the trust-list decoders. Anything larger is refused with a typed error before
 * any allocation proportional to it (conventions.md §11, "Readers that trust length fields").
 *
 * - {@link MAX_TRUSTLIST_BYTES}: 1 MiB. Real files are far smaller: phones fail on ITLs past
 *   64 KB (phone-behaviour.md FMT-6), and signed configs are a few KB. The cap leaves room for
 *   fuzzing oversized files while bounding memory.
 * - {@link MAX_RECORDS}: 1024 records. A 64 KB ITL holds about 39 certificates; the decoder
 *   still reads larger lists so the phone layer, not the codec, decides to reject them.
 */
export const MAX_TRUSTLIST_BYTES = 1024 * 1024;
export const MAX_RECORDS = 1024;

/** Largest signed (.sgn) file the decoder accepts: 16 MiB, enough for firmware-sized payloads. */
export const MAX_SGN_BYTES = 16 * 1024 * 1024;

/** The ITL size past which phones fail to load it (phone-behaviour.md FMT-6, SecGuide14). */
export const PHONE_ITL_SIZE_LIMIT = 64 * 1024;

/** The header-version field CUCM writes in every ITL and CTL (formats.md §1.3, tag 1). */
export const CUCM_HEADER_VERSION = { major: 1, minor: 2 } as const;

/** The padding byte (header tag 13, no length or value). */
export const PADDING_BYTE = 0x0d;
