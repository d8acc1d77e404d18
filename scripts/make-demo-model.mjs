#!/usr/bin/env node
// Writes the project's demo SavedModel, fixtures/demo-cnn, with the model builder (run
// `npm run build` first; `npm run make-demo` does both). The output is deterministic: the test
// suite regenerates it and checks the committed files are byte-identical.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { buildDemoCnn, writeModel } = await import(path.join(root, 'dist', 'src', 'builder', 'index.js'));

const out = process.argv[2] ?? path.join(root, 'fixtures', 'demo-cnn');
const model = buildDemoCnn();
const r = writeModel(out, model, { overwrite: true });
console.log(`${path.relative(process.cwd(), r.dir) || '.'}: ${r.paramCount} parameters, saved_model.pb ${r.graphBytes} B, variables ${r.dataBytes} B`);
