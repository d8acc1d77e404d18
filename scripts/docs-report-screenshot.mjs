#!/usr/bin/env node
// Writes docs/report-kws.png: the top of the HTML quantization report of the MLPerf Tiny KWS
// model (optimize --quantize int8 --representative calibration.npy --report), as headless
// Chromium draws it. Needs `npm run build`, ../shared, Debian's chromium and playwright-core.
//   node scripts/docs-report-screenshot.mjs [OUT.png]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { optimize } = await import(path.join(root, 'dist', 'src', 'api', 'optimize.js'));
const { chromium } = await import('playwright-core');
const shared = process.env.TFCONV_SHARED ?? path.resolve(root, '..', 'shared');
const out = process.argv[2] ?? path.join(root, 'docs', 'report-kws.png');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfconv-docs-'));
try {
  // Short relative names in the page, as a user running the command in their project would see.
  fs.symlinkSync(path.join(shared, 'fixtures', 'mlcommons-tiny-kws', 'kws_ref_model'), path.join(dir, 'kws_ref_model'));
  fs.symlinkSync(path.join(shared, 'data', 'kws-mfcc', 'calibration.npy'), path.join(dir, 'calibration.npy'));
  const html = path.join(dir, 'kws-report.html');
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    await optimize('kws_ref_model', { output: 'kws_int8.tflite', quantize: { mode: 'int8', representative: 'calibration.npy' }, report: { files: [html] } });
  } finally {
    process.chdir(cwd);
  }
  const browser = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: process.env.TFCONV_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1040, height: 1180 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    await page.screenshot({ path: out });
  } finally {
    await browser.close();
  }
  console.log(`${path.relative(process.cwd(), out)}: ${fs.statSync(out).size} bytes`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
