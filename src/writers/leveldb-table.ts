// Builds a LevelDB-format table the way TensorFlow's TableBuilder does (tensorflow/core/lib/io),
// so our variables.index files match TensorFlow's byte for byte: 256 KiB data blocks, a restart
// point every 16 keys (every key in the index block), shortest-separator index keys, an empty
// metaindex block, no compression (BundleWriter disables it), and the 48-byte footer.
// The layout itself is described in src/readers/tensor-bundle/table.ts.

import { putFixed32, putVarint } from '../readers/tensor-bundle/coding.js';
import { crc32c, maskCrc } from '../readers/tensor-bundle/crc32c.js';
import {
  BLOCK_HANDLE_MAX,
  NO_COMPRESSION,
  TABLE_MAGIC_HI,
  TABLE_MAGIC_LO,
  compareBytes,
} from '../readers/tensor-bundle/table.js';
import { err } from '../errors/index.js';

const BLOCK_SIZE = 262144;
const RESTART_INTERVAL = 16;

class BlockBuilder {
  private buf: number[] = [];
  private restarts: number[] = [0];
  private counter = 0;
  private last: Uint8Array = new Uint8Array(0);

  constructor(private readonly restartInterval: number) {}

  get empty(): boolean {
    return this.buf.length === 0;
  }

  sizeEstimate(): number {
    return this.buf.length + this.restarts.length * 4 + 4;
  }

  add(key: Uint8Array, value: Uint8Array): void {
    let shared = 0;
    if (this.counter < this.restartInterval) {
      const n = Math.min(this.last.length, key.length);
      while (shared < n && this.last[shared] === key[shared]) shared++;
    } else {
      this.restarts.push(this.buf.length);
      this.counter = 0;
    }
    putVarint(this.buf, shared);
    putVarint(this.buf, key.length - shared);
    putVarint(this.buf, value.length);
    for (let i = shared; i < key.length; i++) this.buf.push(key[i]);
    for (let i = 0; i < value.length; i++) this.buf.push(value[i]);
    this.last = key;
    this.counter++;
  }

  finish(): Uint8Array {
    for (const r of this.restarts) putFixed32(this.buf, r);
    putFixed32(this.buf, this.restarts.length);
    const out = Uint8Array.from(this.buf);
    this.buf = [];
    this.restarts = [0];
    this.counter = 0;
    this.last = new Uint8Array(0);
    return out;
  }
}

/** Shortest key k with start <= k < limit (TensorFlow's FindShortestSeparator). */
function shortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array {
  const n = Math.min(start.length, limit.length);
  let i = 0;
  while (i < n && start[i] === limit[i]) i++;
  if (i >= n) return start;
  const b = start[i];
  if (b < 0xff && b + 1 < limit[i]) {
    const out = start.slice(0, i + 1);
    out[i]++;
    return out;
  }
  return start;
}

/** Shortest key >= key (TensorFlow's FindShortSuccessor). */
function shortSuccessor(key: Uint8Array): Uint8Array {
  for (let i = 0; i < key.length; i++) {
    if (key[i] !== 0xff) {
      const out = key.slice(0, i + 1);
      out[i]++;
      return out;
    }
  }
  return key;
}

/** Accumulates sorted entries and returns the complete table bytes. */
export class TableBuilder {
  private chunks: Uint8Array[] = [];
  private offset = 0;
  private data = new BlockBuilder(RESTART_INTERVAL);
  private index = new BlockBuilder(1);
  private lastKey: Uint8Array | null = null;
  private pending: { offset: number; size: number } | null = null;

  add(key: Uint8Array, value: Uint8Array): void {
    if (this.lastKey && compareBytes(key, this.lastKey) <= 0) {
      throw err.internal('TableBuilder: keys must be added in strictly increasing order');
    }
    if (this.lastKey && key.length + value.length >= 2 * BLOCK_SIZE) this.flush();
    if (this.pending && this.lastKey) {
      this.index.add(shortestSeparator(this.lastKey, key), encodeHandle(this.pending));
      this.pending = null;
    }
    this.lastKey = key;
    this.data.add(key, value);
    if (this.data.sizeEstimate() >= BLOCK_SIZE) this.flush();
  }

  finish(): Uint8Array {
    this.flush();
    const metaindex = this.writeBlock(new BlockBuilder(RESTART_INTERVAL).finish());
    if (this.pending && this.lastKey) {
      this.index.add(shortSuccessor(this.lastKey), encodeHandle(this.pending));
      this.pending = null;
    }
    const index = this.writeBlock(this.index.finish());
    const footer: number[] = [];
    footer.push(...encodeHandle(metaindex), ...encodeHandle(index));
    while (footer.length < 2 * BLOCK_HANDLE_MAX) footer.push(0);
    putFixed32(footer, TABLE_MAGIC_LO);
    putFixed32(footer, TABLE_MAGIC_HI);
    this.append(Uint8Array.from(footer));
    const out = new Uint8Array(this.offset);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private flush(): void {
    if (this.data.empty) return;
    this.pending = this.writeBlock(this.data.finish());
  }

  private writeBlock(contents: Uint8Array): { offset: number; size: number } {
    const handle = { offset: this.offset, size: contents.length };
    const trailer: number[] = [NO_COMPRESSION];
    const crc = crc32c(Uint8Array.of(NO_COMPRESSION), crc32c(contents));
    putFixed32(trailer, maskCrc(crc));
    this.append(contents);
    this.append(Uint8Array.from(trailer));
    return handle;
  }

  private append(b: Uint8Array): void {
    this.chunks.push(b);
    this.offset += b.length;
  }
}

function encodeHandle(h: { offset: number; size: number }): Uint8Array {
  const out: number[] = [];
  putVarint(out, h.offset);
  putVarint(out, h.size);
  return Uint8Array.from(out);
}
