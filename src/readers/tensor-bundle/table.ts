// A LevelDB-format table (SSTable) as TensorFlow writes it (tensorflow/core/lib/io: table_builder,
// format): data blocks, an (empty) metaindex block, an index block, and a 48-byte footer.
//
//   block:  contents | type u8 (0 none, 1 snappy) | masked crc32c(contents + type) fixed32
//   footer: metaindex handle | index handle | zero padding to 40 bytes | magic fixed64
//   handle: offset varint64 | size varint64 (size excludes the 5-byte trailer)
//
// The index block maps a separator key to the handle of each data block, in key order.

import { err } from '../../errors/index.js';
import { parseBlock, type BlockEntry } from './block.js';
import { Cursor, type Fail } from './coding.js';
import { crc32c, unmaskCrc } from './crc32c.js';
import { RandomAccessFile } from './file.js';
import { SnappyError, snappyUncompress } from './snappy.js';

export const FOOTER_SIZE = 48;
export const BLOCK_TRAILER_SIZE = 5;
export const BLOCK_HANDLE_MAX = 20;
export const TABLE_MAGIC_LO = 0x8b80fb57;
export const TABLE_MAGIC_HI = 0xdb477524;

export const NO_COMPRESSION = 0;
export const SNAPPY_COMPRESSION = 1;

export interface BlockHandle {
  offset: number;
  size: number;
}

export interface TableContents {
  /** Every entry, in key order (keys strictly increase). */
  entries: BlockEntry[];
  /** The data blocks as stored: where, how large, and their compression type. */
  dataBlocks: { offset: number; size: number; compression: number }[];
}

/** Read every entry of the table in `file`, verifying the CRC of every block. */
export function readTable(file: string, what = 'TensorBundle index'): TableContents {
  return RandomAccessFile.with(file, what, (f) => {
    const fail: Fail = (why, offset) => err.badBundle(file, why, offset);
    if (f.size < FOOTER_SIZE) {
      throw err.badBundle(file, `file of ${f.size} bytes is shorter than the ${FOOTER_SIZE}-byte table footer`);
    }
    const footerAt = f.size - FOOTER_SIZE;
    const footer = f.readAt(footerAt, FOOTER_SIZE, () => fail('footer read was short', footerAt));
    const fc = new Cursor(footer, 40, FOOTER_SIZE, fail, footerAt);
    const lo = fc.fixed32();
    const hi = fc.fixed32();
    if (lo !== TABLE_MAGIC_LO || hi !== TABLE_MAGIC_HI) {
      throw err.badBundle(file, 'not a LevelDB table (bad magic number in the footer)', f.size - 8);
    }
    const hc = new Cursor(footer, 0, 40, fail, footerAt);
    const metaindex = readHandle(hc, footerAt, fail);
    const index = readHandle(hc, footerAt, fail);
    // TensorFlow writes an empty metaindex block and never reads it; it is still verified, as a
    // damaged one means a damaged file.
    const meta = readBlock(f, metaindex, 'metaindex block', footerAt);
    parseBlock(meta.data, meta.fail, meta.base);

    const indexBlock = readBlock(f, index, 'index block', footerAt);
    const out: BlockEntry[] = [];
    const dataBlocks: TableContents['dataBlocks'] = [];
    let prev: Uint8Array | undefined;
    for (const ie of parseBlock(indexBlock.data, indexBlock.fail, indexBlock.base)) {
      const hcur = new Cursor(ie.value, 0, ie.value.length, (why) => fail(`index entry: ${why}`, index.offset), 0);
      const handle = readHandle(hcur, footerAt, fail);
      const block = readBlock(f, handle, 'data block', footerAt);
      dataBlocks.push({ offset: handle.offset, size: handle.size, compression: block.compression });
      for (const e of parseBlock(block.data, block.fail, block.base)) {
        if (prev && compareBytes(prev, e.key) >= 0) {
          throw fail(`keys out of order in data block at byte ${handle.offset}`, handle.offset);
        }
        prev = e.key;
        out.push(e);
      }
    }
    return { entries: out, dataBlocks };
  });
}

function readHandle(c: Cursor, limit: number, fail: Fail): BlockHandle {
  const at = c.base + c.pos;
  const offset = c.varint64();
  const size = c.varint64();
  if (offset + size + BLOCK_TRAILER_SIZE > limit) {
    throw fail(`block handle (offset ${offset}, size ${size}) points past the ${limit} bytes before the footer`, at);
  }
  return { offset, size };
}

interface ReadBlock {
  data: Uint8Array;
  compression: number;
  fail: Fail;
  /** File offset of data[0], or 0 with a note in `fail` when the data was decompressed. */
  base: number;
}

function readBlock(f: RandomAccessFile, h: BlockHandle, what: string, limit: number): ReadBlock {
  const file = f.path;
  const fail: Fail = (why, offset) => err.badBundle(file, why, offset);
  if (h.offset + h.size + BLOCK_TRAILER_SIZE > limit) {
    throw fail(`${what} (offset ${h.offset}, size ${h.size}) extends past the end of the blocks`, h.offset);
  }
  const raw = f.readAt(h.offset, h.size + BLOCK_TRAILER_SIZE, () => fail(`${what} read was short`, h.offset));
  const contents = raw.subarray(0, h.size + 1);
  const stored = new Cursor(raw, h.size + 1, raw.length, fail, h.offset).fixed32();
  const actual = crc32c(contents);
  const expected = unmaskCrc(stored);
  if (actual !== expected) {
    throw err.crcMismatch(file, `${what} at byte ${h.offset} (${h.size} bytes)`, expected, actual);
  }
  const type = raw[h.size];
  const data = raw.subarray(0, h.size);
  if (type === NO_COMPRESSION) return { data, compression: type, fail, base: h.offset };
  if (type === SNAPPY_COMPRESSION) {
    let un: Uint8Array;
    try {
      un = snappyUncompress(data);
    } catch (e) {
      if (e instanceof SnappyError) throw fail(`${what}: bad Snappy data: ${e.message}`, h.offset);
      throw e;
    }
    const inner: Fail = (why, offset) =>
      err.badBundle(file, `${why} (byte ${offset} of the uncompressed ${what} at byte ${h.offset})`);
    return { data: un, compression: type, fail: inner, base: 0 };
  }
  throw fail(`${what} has unknown compression type ${type}`, h.offset + h.size);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}
