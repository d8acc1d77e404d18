// The HTML report of the MLPerf Tiny KWS model (optimize --quantize int8 --report) in headless
// Chromium: it loads without console errors or requests, every chart is drawn (bars, points,
// segments with a size on the page, and the bar colour in the screenshot's pixels). The
// screenshot stays in test-artifacts/report-kws.png.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { optimize } from '../../src/api/optimize.js';
import type { QuantReport } from '../../src/report/report.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';
import { launchChromium } from '../helpers/browser.js';
import { fixture, need, sharedData } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const CALIBRATION = sharedData('kws-mfcc/calibration.npy');
const ARTIFACTS = path.join(PACKAGE_ROOT, 'test-artifacts');

test('kws HTML report renders in headless Chromium: no console errors, no requests, every chart drawn', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  const browser = await launchChromium(t);
  if (!browser) return;
  const dir = tmpDir(t);
  const html = path.join(dir, 'kws-report.html');
  const r = await optimize(KWS, { output: path.join(dir, 'kws_int8.tflite'), quantize: { mode: 'int8', representative: CALIBRATION }, report: { files: [html] } });
  const rep = r.report as QuantReport;

  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const url = pathToFileURL(html).href;
  const requests: string[] = [];
  page.on('request', (q) => {
    if (q.url() !== url) requests.push(q.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  assert.deepEqual(problems, []);
  assert.deepEqual(requests, [], 'the page is self-contained');
  assert.match(await page.title(), /^Quantization report: /);

  // One bar per layer, each with a size on the page.
  const bars = page.locator('#chart-sqnr rect.bar');
  assert.equal(await bars.count(), rep.layers.length);
  for (const box of await bars.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as { width: number; height: number }))) {
    assert.ok(box.width > 0 && box.height > 0, JSON.stringify(box));
  }
  assert.equal(await page.locator('#chart-sqnr rect.alone').count(), rep.layers.filter((l) => l.alone && l.alone.sqnr !== null).length);
  // The scatter of the output and the size breakdown.
  assert.equal(rep.outputs[0].points.length, 600);
  assert.equal(await page.locator('#chart-scatter-0 circle.pt').count(), 600);
  const segs = await page.locator('#chart-size rect.seg').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
  assert.equal(segs.length, 4);
  assert.ok(segs.every((w) => w > 0));
  // The embedded data is the report.
  const embedded = JSON.parse((await page.locator('#tfconv-report').textContent()) ?? '{}') as QuantReport;
  assert.equal(embedded.outputs[0].sqnr, rep.outputs[0].sqnr);

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const shot = path.join(ARTIFACTS, 'report-kws.png');
  await page.screenshot({ path: shot, fullPage: true });
  // The charts are in the pixels: the bar blue fills a good part of the first screen.
  const png = PNG.sync.read(fs.readFileSync(shot));
  let blue = 0;
  for (let y = 0; y < Math.min(png.height, 900); y++) {
    for (let x = 0; x < png.width; x++) {
      const i = (y * png.width + x) * 4;
      if (png.data[i] === 0x2f && png.data[i + 1] === 0x7e && png.data[i + 2] === 0xd8) blue++;
    }
  }
  t.diagnostic(`screenshot ${png.width}x${png.height} in ${shot}; ${blue} bar-blue pixels in the first 900 rows`);
  assert.ok(blue > 5000, `${blue} bar-blue pixels`);
});
