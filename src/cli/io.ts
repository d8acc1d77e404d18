// Where CLI commands write. The CLI passes process streams; tests pass buffers, so that every
// command can be run in-process and its output asserted exactly.

export interface CliIO {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
}

export const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr };

/** Captures output in memory, for tests. */
export class BufferIO implements CliIO {
  out = '';
  errText = '';
  stdout = { write: (s: string): boolean => ((this.out += s), true), isTTY: false };
  stderr = { write: (s: string): boolean => ((this.errText += s), true), isTTY: false };
}

/** Colour only for a terminal that wants it (NO_COLOR and FORCE_COLOR=0 respected). */
export function useColor(stream: { isTTY?: boolean }): boolean {
  if (process.env.NO_COLOR !== undefined || process.env.FORCE_COLOR === '0') return false;
  return stream.isTTY === true;
}
