// Snappy block decompression for LevelDB table blocks (compression type 1), through snappyjs.
// The caller has already verified the block CRC; the bounds here protect against a crafted
// block claiming a huge uncompressed length (checked before anything is allocated).

import snappy from 'snappyjs';

/** Snappy's densest element (a 3-byte copy of 64 bytes) expands about 21x; allow some slack. */
const MAX_EXPANSION = 24;

export class SnappyError extends Error {}

/** The uncompressed length announced by a Snappy stream's varint32 preamble. */
export function snappyLength(compressed: Uint8Array): number {
  let result = 0;
  for (let i = 0, shift = 0; i < compressed.length && shift <= 28; i++, shift += 7) {
    const b = compressed[i];
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return result;
  }
  throw new SnappyError('bad uncompressed-length preamble');
}

export function snappyUncompress(compressed: Uint8Array): Uint8Array {
  const length = snappyLength(compressed);
  if (length > compressed.length * MAX_EXPANSION + 64) {
    throw new SnappyError(`claims ${length} uncompressed bytes from ${compressed.length} compressed bytes`);
  }
  try {
    return snappy.uncompress(compressed, length);
  } catch (e) {
    throw new SnappyError(e instanceof Error ? e.message : String(e));
  }
}
