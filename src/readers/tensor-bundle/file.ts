// Positional reads from a file whose size is known up front, so every read is checked against
// the bytes that are there before a buffer is allocated for it.

import fs from 'node:fs';
import { err } from '../../errors/index.js';

/** Node's readSync takes at most 2^31-1 bytes per call. */
const MAX_READ = 0x40000000;

export class RandomAccessFile {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** Open `file`; `what` names it in the not-found error ("TensorBundle index", ...). */
  static open(file: string, what: string): RandomAccessFile {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw err.fileNotFound(file, what);
      throw err.notAModel(file, `cannot open ${what}: ${(e as Error).message}`);
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw err.notAModel(file, `${what} is not a regular file`);
      return new RandomAccessFile(file, fd, st.size);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** Run `fn` with the file open, and close it afterwards. */
  static with<T>(file: string, what: string, fn: (f: RandomAccessFile) => T): T {
    const f = RandomAccessFile.open(file, what);
    try {
      return fn(f);
    } finally {
      f.close();
    }
  }

  /**
   * Read exactly `length` bytes at `offset` into a fresh, 8-byte-aligned buffer (so typed views
   * need no copy). The caller has checked offset + length <= size; `short` builds the error if
   * the file shrank underneath us.
   */
  readAt(offset: number, length: number, short: () => Error): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.size) throw short();
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, buf, done, Math.min(length - done, MAX_READ), offset + done);
      if (n === 0) throw short();
      done += n;
    }
    return buf;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
