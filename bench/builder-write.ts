// Time and peak memory of writing builder models as SavedModels. Run after a build:
//   node dist/bench/builder-write.js [mlp|cnn|mobilenetv2|resnet] [targetParams]
// e.g. `node dist/bench/builder-write.js mlp 1e8` for a ~100M-parameter (400 MB) model. Peak RSS
// is the process's maxRSS, so run one model per process. The model goes to a temporary
// directory that is removed afterwards.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BuiltModel, buildMobileNetV2Like, buildResNetLike, buildScaledMlpOrCnn, writeModel } from '../src/builder/index.js';

const kind = process.argv[2] ?? 'mlp';
const target = Number(process.argv[3] ?? 1e8);

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
let model: BuiltModel;
if (kind === 'mobilenetv2') model = buildMobileNetV2Like({ seed: 1 });
else if (kind === 'resnet') model = buildResNetLike({ blocks: [3, 4, 6, 3], width: 64, resolution: 224, classes: 1000, seed: 1 });
else model = buildScaledMlpOrCnn({ targetParams: target, kind: kind === 'cnn' ? 'cnn' : 'mlp', seed: 1 });
const t1 = performance.now();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfconv-bench-builder-'));
try {
  const r = writeModel(path.join(dir, 'model'), model);
  const t2 = performance.now();
  const largest = Math.max(...model.variables.map((v) => v.shape.reduce((p, d) => p * d, 1)));
  console.log(
    `${kind}: ${model.paramCount.toLocaleString('en-US')} params, ${model.variables.length} variables (largest ${mb(4 * largest)} MiB); ` +
      `describe ${(t1 - t0).toFixed(0)} ms, write ${(t2 - t1).toFixed(0)} ms ` +
      `(${mb(r.dataBytes)} MiB data, ${(r.graphBytes / 1024).toFixed(1)} KiB saved_model.pb, ${(r.dataBytes / 2 ** 20 / ((t2 - t1) / 1000)).toFixed(0)} MiB/s); ` +
      `RSS before ${mb(rssBefore)} MiB, peak ${mb(process.resourceUsage().maxRSS * 1024)} MiB`,
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
