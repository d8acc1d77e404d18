// Reads a .tflite FlatBuffer into a TfliteModel, verifying before trusting: the FlatBuffer
// structure (flatbuffer.ts, as TFLite's verifier does), then the references between tables that
// the interpreter would follow (operator codes, tensors, buffers, subgraphs). Any problem is one
// BAD_TFLITE error naming the file and, where known, the byte offset.

import fs from 'node:fs';
import { err } from '../errors/index.js';
import { FbFormatError, FbReader } from './flatbuffer.js';
import type { TfliteModel } from './model.js';
import { FILE_IDENTIFIER, readModel } from './schema.generated.js';

/** Reads `bytes` (the whole .tflite file); buffer data are views into `bytes`. */
export function readTflite(bytes: Uint8Array, file: string): TfliteModel {
  let model: TfliteModel;
  try {
    const r = new FbReader(bytes);
    model = readModel(r, r.root(FILE_IDENTIFIER));
  } catch (e) {
    if (e instanceof FbFormatError) throw err.badTflite(file, e.why, e.offset);
    throw e;
  }
  resolveExternalData(model, bytes, file);
  checkReferences(model, file);
  return model;
}

/** Reads a .tflite file from disk. */
export function readTfliteFile(file: string): { model: TfliteModel; bytes: Uint8Array } {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw err.fileNotFound(file);
    if (code === 'EISDIR') throw err.notAModel(file, 'is a directory, expected a .tflite file');
    throw err.notAModel(file, `cannot read: ${(e as Error).message}`);
  }
  return { model: readTflite(bytes, file), bytes };
}

/**
 * Buffers and custom options of models over 2 GiB live after the FlatBuffer, addressed by a file
 * offset and size ("valid if offset > 1"). Resolve them into views so that users of the model
 * never need to know; the writer stores everything inline.
 */
function resolveExternalData(model: TfliteModel, bytes: Uint8Array, file: string): void {
  const slice = (offset: number, size: number, what: string): Uint8Array => {
    if (offset + size > bytes.byteLength) {
      throw err.badTflite(file, `${what} stored at bytes ${offset}..${offset + size} is past the end of the file (${bytes.byteLength} bytes)`);
    }
    return bytes.subarray(offset, offset + size);
  };
  model.buffers.forEach((b, i) => {
    if (b.offset > 1) b.data = slice(b.offset, b.size, `buffer ${i}`);
    b.offset = 0;
    b.size = 0;
  });
  model.subgraphs.forEach((sg, s) =>
    sg.operators.forEach((op, o) => {
      if (op.largeCustomOptionsOffset > 1) {
        op.customOptions = slice(op.largeCustomOptionsOffset, op.largeCustomOptionsSize, `custom options of subgraph ${s} operator ${o}`);
      }
      op.largeCustomOptionsOffset = 0;
      op.largeCustomOptionsSize = 0;
    }),
  );
}

/** Index fields must point at something that exists (the interpreter would follow them). */
function checkReferences(model: TfliteModel, file: string): void {
  const bad = (why: string): never => {
    throw err.badTflite(file, why);
  };
  const nBuffers = model.buffers.length;
  const nCodes = model.operatorCodes.length;
  const nSubgraphs = model.subgraphs.length;
  model.subgraphs.forEach((sg, s) => {
    const nTensors = sg.tensors.length;
    const tensorRef = (i: number, what: string, optional: boolean): void => {
      if ((optional && i === -1) || (i >= 0 && i < nTensors)) return;
      bad(`subgraph ${s} ${what} refers to tensor ${i} but the subgraph has ${nTensors} tensors`);
    };
    sg.tensors.forEach((t, i) => {
      if (t.buffer >= nBuffers) bad(`subgraph ${s} tensor ${i} refers to buffer ${t.buffer} but the model has ${nBuffers} buffers`);
    });
    sg.inputs.forEach((i, k) => tensorRef(i, `input ${k}`, false));
    sg.outputs.forEach((i, k) => tensorRef(i, `output ${k}`, false));
    sg.operators.forEach((op, o) => {
      if (op.opcodeIndex >= nCodes) bad(`subgraph ${s} operator ${o} uses operator code ${op.opcodeIndex} but the model has ${nCodes}`);
      op.inputs.forEach((i, k) => tensorRef(i, `operator ${o} input ${k}`, true));
      op.outputs.forEach((i, k) => tensorRef(i, `operator ${o} output ${k}`, true));
      op.intermediates.forEach((i, k) => tensorRef(i, `operator ${o} intermediate ${k}`, true));
    });
  });
  model.metadata.forEach((m, i) => {
    if (m.buffer >= nBuffers) bad(`metadata ${i} ('${m.name ?? ''}') refers to buffer ${m.buffer} but the model has ${nBuffers} buffers`);
  });
  model.signatureDefs.forEach((sig, i) => {
    const key = sig.signatureKey ?? `#${i}`;
    if (sig.subgraphIndex >= nSubgraphs) bad(`signature '${key}' refers to subgraph ${sig.subgraphIndex} but the model has ${nSubgraphs}`);
    const nTensors = model.subgraphs[sig.subgraphIndex].tensors.length;
    for (const m of [...sig.inputs, ...sig.outputs]) {
      if (m.tensorIndex >= nTensors) {
        bad(`signature '${key}' maps '${m.name ?? ''}' to tensor ${m.tensorIndex} but subgraph ${sig.subgraphIndex} has ${nTensors} tensors`);
      }
    }
  });
}
