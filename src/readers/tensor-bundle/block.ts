// One LevelDB table block (block_builder.cc): entries with prefix-compressed keys, then the
// restart array (fixed32 offsets of entries stored with their full key) and its length.
//
//   entry:   shared varint32 | non_shared varint32 | value_length varint32 | key delta | value
//   trailer: restarts fixed32[num_restarts] | num_restarts fixed32

import { Cursor, type Fail } from './coding.js';

export interface BlockEntry {
  key: Uint8Array;
  /** A view into the block's bytes. */
  value: Uint8Array;
}

/**
 * Decode every entry of an uncompressed block. `base` is the file offset of the block (for
 * error messages; for a Snappy block, offsets are inside the uncompressed bytes and the caller
 * says so in `fail`).
 */
export function parseBlock(data: Uint8Array, fail: Fail, base: number): BlockEntry[] {
  if (data.length < 4) throw fail(`block of ${data.length} bytes has no restart count`, base);
  const trailer = new Cursor(data, data.length - 4, data.length, fail, base);
  const numRestarts = trailer.fixed32();
  const maxRestarts = (data.length - 4) / 4;
  if (numRestarts > maxRestarts) {
    throw fail(`block of ${data.length} bytes cannot hold ${numRestarts} restart points`, base + data.length - 4);
  }
  const restartsAt = data.length - 4 * (1 + numRestarts);
  // An empty block (TensorFlow's metaindex block) is one restart point at 0 and nothing else.
  if (restartsAt === 0) return [];
  const restarts = new Cursor(data, restartsAt, data.length - 4, fail, base);
  const restartPoints: number[] = [];
  for (let i = 0; i < numRestarts; i++) {
    const r = restarts.fixed32();
    if (r >= restartsAt || (i > 0 && r <= restartPoints[i - 1])) {
      throw fail(`restart point ${i} (${r}) is out of order or outside the block's ${restartsAt} entry bytes`, base + restartsAt + 4 * i);
    }
    restartPoints.push(r);
  }
  if (numRestarts === 0 && restartsAt > 0) throw fail('block has entries but no restart points', base);
  if (numRestarts > 0 && restartPoints[0] !== 0) throw fail('first restart point is not at offset 0', base + restartsAt);

  const entries: BlockEntry[] = [];
  const c = new Cursor(data, 0, restartsAt, fail, base);
  let prev: Uint8Array = new Uint8Array(0);
  let nextRestart = 0;
  while (!c.atEnd()) {
    const at = c.pos;
    const isRestart = restartPoints[nextRestart] === at;
    if (isRestart) nextRestart++;
    else if (nextRestart < restartPoints.length && restartPoints[nextRestart] < at) {
      throw c.error(`restart point ${restartPoints[nextRestart]} is not at an entry boundary`, restartPoints[nextRestart]);
    }
    const shared = c.varint32();
    const nonShared = c.varint32();
    const valueLength = c.varint32();
    if (shared > prev.length) throw c.error(`entry shares ${shared} key bytes but the previous key has ${prev.length}`, at);
    if (isRestart && shared !== 0) throw c.error('entry at a restart point shares key bytes', at);
    const delta = c.take(nonShared);
    const value = c.take(valueLength);
    const key = new Uint8Array(shared + nonShared);
    key.set(prev.subarray(0, shared), 0);
    key.set(delta, shared);
    entries.push({ key, value });
    prev = key;
  }
  if (nextRestart !== restartPoints.length) {
    throw c.error(`restart point ${restartPoints[nextRestart]} is not at an entry boundary`, restartPoints[nextRestart]);
  }
  return entries;
}
