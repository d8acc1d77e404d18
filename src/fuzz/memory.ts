// Per-case peak memory of this process, from Linux's /proc: writing 5 to /proc/self/clear_refs
// resets the resident-set high-water mark (VmHWM), so the peak of one case is VmHWM after it minus
// VmRSS before it. Everything a case touches counts: JS heap, typed arrays, native buffers.
// Elsewhere (no /proc) only the RSS after the case is seen, which misses short peaks.

import fs from 'node:fs';

let canReset: boolean | undefined;

function status(): { rssKB: number; hwmKB: number } {
  try {
    const s = fs.readFileSync('/proc/self/status', 'latin1');
    const rss = /VmRSS:\s+(\d+)/.exec(s);
    const hwm = /VmHWM:\s+(\d+)/.exec(s);
    if (rss && hwm) return { rssKB: Number(rss[1]), hwmKB: Number(hwm[1]) };
  } catch {
    // fall through
  }
  const rssKB = Math.round(process.memoryUsage.rss() / 1024);
  return { rssKB, hwmKB: rssKB };
}

/** Whether peaks are measured exactly (Linux with a writable clear_refs). */
export function peakIsExact(): boolean {
  if (canReset === undefined) {
    try {
      fs.writeFileSync('/proc/self/clear_refs', '5');
      canReset = true;
    } catch {
      canReset = false;
    }
  }
  return canReset;
}

/** Starts a measurement; the returned function gives the peak growth in KiB since the start. */
export function startPeak(): () => number {
  if (peakIsExact()) fs.writeFileSync('/proc/self/clear_refs', '5');
  const before = status().rssKB;
  return () => Math.max(0, status().hwmKB - before);
}

export function rssKB(): number {
  return status().rssKB;
}
