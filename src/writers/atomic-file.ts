// Atomic output: everything is written under a temporary name in the destination's own
// directory (so the final rename stays on one filesystem) and renamed into place only when
// complete. A killed process leaves at most a temporary file, never a partial output.

import fs from 'node:fs';
import path from 'node:path';
import { err } from '../errors/index.js';

let counter = 0;

/** A fresh temporary path beside `file`. */
export function tempPathFor(file: string): string {
  counter++;
  return path.join(path.dirname(file), `.${path.basename(file)}.tfconv-tmp-${process.pid}-${counter}`);
}

/** Write `bytes` to `file` atomically. */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const tmp = tempPathFor(file);
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    removeQuietly(tmp);
    throw err.writeFailed(file, errnoMessage(e));
  }
}

/** An open temporary file that becomes `file` on commit(). */
export class AtomicFile {
  readonly tmp: string;
  private fd: number | null;
  private written = 0;

  constructor(readonly file: string) {
    this.tmp = tempPathFor(file);
    try {
      this.fd = fs.openSync(this.tmp, 'wx');
    } catch (e) {
      throw err.writeFailed(file, errnoMessage(e));
    }
  }

  get size(): number {
    return this.written;
  }

  write(bytes: Uint8Array): void {
    if (this.fd === null) throw err.internal(`AtomicFile.write after close: ${this.file}`);
    try {
      let done = 0;
      while (done < bytes.byteLength) {
        done += fs.writeSync(this.fd, bytes, done, Math.min(bytes.byteLength - done, 0x40000000));
      }
    } catch (e) {
      throw err.writeFailed(this.file, errnoMessage(e));
    }
    this.written += bytes.byteLength;
  }

  /** Close the temporary file; rename it with commit(), or drop it with abort(). */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      fs.closeSync(fd);
    } catch (e) {
      throw err.writeFailed(this.file, errnoMessage(e));
    }
  }

  commit(): void {
    this.close();
    try {
      fs.renameSync(this.tmp, this.file);
    } catch (e) {
      throw err.writeFailed(this.file, errnoMessage(e));
    }
  }

  abort(): void {
    try {
      this.close();
    } catch {
      // Already failing; the original error is the one to report.
    }
    removeQuietly(this.tmp);
  }
}

export function removeQuietly(p: string): void {
  try {
    fs.rmSync(p, { recursive: true, force: true });
  } catch {
    // Best effort: a leftover temporary is harmless and clearly named.
  }
}

export function errnoMessage(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    const ne = e as NodeJS.ErrnoException;
    return `${ne.code}${ne.syscall ? ` (${ne.syscall})` : ''}`;
  }
  return e instanceof Error ? e.message : String(e);
}
