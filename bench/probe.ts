// Loaded with `node --import` into every measured child process: at exit it writes the process's
// own peak RSS and CPU time to the file named by TFCONV_BENCH_PROBE (bench/common.ts reads it).

import fs from 'node:fs';

const out = process.env.TFCONV_BENCH_PROBE;
if (out) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    // maxRSS is in KiB on Linux and macOS.
    fs.writeFileSync(out, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, userUs: cpu.user, systemUs: cpu.system }));
  });
}
