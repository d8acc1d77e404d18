// CRC32C (Castagnoli) as LevelDB and TensorBundle use it. Stored checksums are "masked": a CRC
// of data that itself contains CRCs is weak, so LevelDB rotates and offsets the value before
// storing it (crc32c.h Mask/Unmask). The CRC itself comes from @node-rs/crc32 (native, SSE4.2).

import { crc32c as nativeCrc32c } from '@node-rs/crc32';

const MASK_DELTA = 0xa282ead8;

/** CRC32C of `data`, continuing from `crc` (the CRC of the bytes before it; 0 to start). */
export function crc32c(data: Uint8Array, crc = 0): number {
  return nativeCrc32c(data, crc) >>> 0;
}

export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}
