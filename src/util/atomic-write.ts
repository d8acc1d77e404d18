// Files are written whole or not at all: into a temporary file in the same directory (so the
// rename stays on one filesystem), then renamed over the target.

import fs from 'node:fs';
import path from 'node:path';
import { err } from '../errors/index.js';

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // The temporary file may never have been created; nothing else to clean.
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw err.writeFailed(file, code === 'ENOENT' ? 'its directory does not exist' : e instanceof Error ? e.message : String(e));
  }
}
