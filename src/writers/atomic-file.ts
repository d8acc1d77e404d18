// Atomic output: everything is written under a temporary name in the destination's own
// directory (so the final rename stays on one filesystem) and renamed into place only when
// complete. A killed process leaves at most a temporary file, never a partial output; the next
// write of the same file removes temporaries that processes no longer running left behind.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { err } from '../errors/index.js';

let counter = 0;

/** Host names may hold characters that do not belong in a file name. */
const HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host';
const TEMP_MARK = '.tfconv-tmp-';

/** A fresh temporary path beside `file`: `.<name>.tfconv-tmp-<host>-<pid>-<n>`. */
export function tempPathFor(file: string): string {
  counter++;
  return path.join(path.dirname(file), `.${path.basename(file)}${TEMP_MARK}${HOST}-${process.pid}-${counter}`);
}

/**
 * Removes the temporaries of `file` left by tfconv processes of this host that are gone (killed
 * mid-write). Temporaries of running processes, and of other hosts sharing the directory, stay.
 * Returns the paths removed.
 */
export function removeStaleTemps(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}${TEMP_MARK}${HOST}-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-\d+$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processRuns(pid)) continue;
    removeQuietly(path.join(dir, name));
    removed.push(path.join(dir, name));
  }
  return removed;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Test hook (TFCONV_TEST_PAUSE_WRITE=mid|rename): announce on stderr and wait, half-way through
 * writing the temporary file or just before renaming it, so a test can kill the process there.
 */
function pauseForTest(where: 'mid' | 'rename', tmp: string): void {
  if (process.env.TFCONV_TEST_PAUSE_WRITE !== where) return;
  fs.writeSync(2, `tfconv: test pause (${where}) writing ${tmp}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000);
}

/** Write `bytes` to `file` atomically. */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const f = new AtomicFile(file);
  try {
    const half = data.byteLength >> 1;
    f.write(data.subarray(0, half));
    pauseForTest('mid', f.tmp);
    f.write(data.subarray(half));
    f.close();
    pauseForTest('rename', f.tmp);
    f.commit();
  } catch (e) {
    f.abort();
    throw e;
  }
}

/** An open temporary file that becomes `file` on commit(). */
export class AtomicFile {
  readonly tmp: string;
  private fd: number | null;
  private written = 0;

  constructor(readonly file: string) {
    removeStaleTemps(file);
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
