// `tfconv inspect PATH`: what a model holds, for each kind of file. The path is classified once
// (readers/detect.ts) and handed to the inspector of its kind; adding a kind is one entry in
// INSPECTORS. Options that only make sense for some kinds are declared by those entries, and
// using them on another kind is a usage error.

import type { Argv } from 'yargs';
import { tfDataType, tfDataTypeName } from '../../core/dtype.js';
import { err } from '../../errors/index.js';
import { toJsonText } from '../../inspect/common.js';
import { graphDefText, inspectGraphDef } from '../../inspect/graphdef.js';
import { inspectTflite } from '../../inspect/tflite.js';
import { type VariablesHook, inspectSavedModel, savedModelText } from '../../inspect/savedmodel.js';
import { type DetectedModel, type ModelKind, detectModel } from '../../readers/detect.js';
import { readGraphDef } from '../../readers/graphdef.js';
import { readSavedModel } from '../../readers/savedmodel.js';
import { listVariables } from '../../readers/variables.js';
import { type CliIO, useColor } from '../io.js';
import type { CliCommand } from './registry.js';

export interface InspectArgs {
  path: string;
  json: boolean;
  /** --tag-set: saved_model_cli's --tag_set (comma-separated). */
  tagSet?: string;
  /** --signature-def: saved_model_cli's --signature_def. */
  signatureDef?: string;
  /** --tag-sets: list the tag-sets only, as `saved_model_cli show --dir`. */
  tagSets: boolean;
  ops: boolean;
  /** --variables: add the variables section (SavedModels). */
  variables: boolean;
}

/** Supplies `--variables`: the graph's variables as the TensorBundle maps them, with sizes. */
export const VARIABLES_HOOK: VariablesHook = (model, mg) => {
  const listing = listVariables(model.dir, mg.def);
  return {
    variables: listing.variables.map((v) => ({
      name: v.name,
      checkpointKey: v.checkpointKey,
      dtype: v.dtype,
      tfDtype: tfDataTypeName(tfDataType(v.dtype)),
      shape: v.shape,
      bytes: v.bytes,
    })),
    totals: listing.totals,
  };
};

/** Options that belong to some kinds only; each inspector lists those it takes. */
type KindOption = 'tag-set' | 'signature-def' | 'tag-sets' | 'variables';
const KIND_OPTIONS: readonly KindOption[] = ['tag-set', 'signature-def', 'tag-sets', 'variables'];

export interface KindInspector {
  /** Kind-specific options this inspector accepts. */
  options: readonly KindOption[];
  /** Writes the report to io.stdout; returns the exit code. */
  run(detected: DetectedModel, args: InspectArgs, io: CliIO): number;
}

export const INSPECTORS: Record<ModelKind, KindInspector> = {
  savedmodel: {
    options: ['tag-set', 'signature-def', 'tag-sets', 'variables'],
    run(_detected, args, io) {
      const model = readSavedModel(args.path);
      // The note goes to stderr so stdout stays exactly saved_model_cli's text (or pure JSON).
      if (model.note !== undefined) io.stderr.write(`tfconv: note: ${model.note}\n`);
      const opts = {
        ...(args.tagSet !== undefined ? { tagSet: args.tagSet } : {}),
        ...(args.signatureDef !== undefined ? { signatureDef: args.signatureDef } : {}),
        ops: args.ops,
        ...(args.variables ? { variables: VARIABLES_HOOK } : {}),
      };
      if (args.json) io.stdout.write(toJsonText(inspectSavedModel(model, opts)));
      else io.stdout.write(savedModelText(model, { ...opts, tagSets: args.tagSets, color: useColor(io.stdout) }));
      return 0;
    },
  },
  graphdef: {
    options: [],
    run(detected, args, io) {
      const report = inspectGraphDef(readGraphDef(detected.path), detected.path);
      io.stdout.write(args.json ? toJsonText(report) : graphDefText(report, useColor(io.stdout)));
      return 0;
    },
  },
  tflite: {
    options: [],
    run(detected, args, io) {
      const r = inspectTflite(detected.path, { color: useColor(io.stdout) });
      io.stdout.write(args.json ? toJsonText(r.json) : r.text);
      return 0;
    },
  },
};

const KIND_NAMES: Record<ModelKind, string> = { savedmodel: 'SavedModels', graphdef: 'GraphDefs', tflite: 'TFLite models' };

export function runInspect(args: InspectArgs, io: CliIO): number {
  if (args.tagSets && (args.tagSet !== undefined || args.signatureDef !== undefined)) {
    throw err.badOption('tag-sets', 'lists the tag-sets only; it cannot be combined with --tag-set or --signature-def');
  }
  if (args.signatureDef === '') throw err.badOption('signature-def', 'needs a SignatureDef key');
  const detected = detectModel(args.path);
  const inspector = INSPECTORS[detected.kind];
  const given: Record<KindOption, boolean> = {
    'tag-set': args.tagSet !== undefined,
    'signature-def': args.signatureDef !== undefined,
    'tag-sets': args.tagSets,
    variables: args.variables,
  };
  for (const opt of KIND_OPTIONS) {
    if (given[opt] && !inspector.options.includes(opt)) {
      const kinds = (Object.keys(INSPECTORS) as ModelKind[]).filter((k) => INSPECTORS[k].options.includes(opt));
      throw err.badOption(opt, `applies to ${kinds.map((k) => KIND_NAMES[k]).join(' and ')} only, and ${args.path} is a ${detected.kind}`);
    }
  }
  return inspector.run(detected, args, io);
}

function singleString(args: Record<string, unknown>, name: string): string | undefined {
  const v = args[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw err.badOption(name, 'given more than once');
  return String(v);
}

export const inspectCommand: CliCommand = {
  command: 'inspect <path>',
  describe: 'Show what a SavedModel, GraphDef or .tflite holds (signatures, inputs, outputs, ops)',
  builder: (y: Argv) =>
    y
      .positional('path', { type: 'string', describe: 'SavedModel directory (or TF Serving base directory), .pb GraphDef, or .tflite' })
      .option('json', { type: 'boolean', default: false, describe: 'Print a JSON report (schema: docs/inspect-json.md)' })
      .option('tag-set', {
        type: 'string',
        describe: "SavedModel: the MetaGraph's tags, comma-separated (saved_model_cli --tag_set); alone, lists its SignatureDef keys",
      })
      .option('signature-def', {
        type: 'string',
        describe: 'SavedModel: show this SignatureDef only (saved_model_cli --signature_def)',
      })
      .option('tag-sets', {
        type: 'boolean',
        default: false,
        describe: 'SavedModel: list the tag-sets only (saved_model_cli show --dir)',
      })
      .option('ops', {
        type: 'boolean',
        default: false,
        describe: 'SavedModel: add the ops the serving signatures reach, and all ops of the MetaGraph (GraphDefs always list ops)',
      })
      .option('variables', {
        type: 'boolean',
        default: false,
        describe: 'SavedModel: add the variables (name, dtype, shape)',
      }),
  handler: async (args, io) => {
    const a: InspectArgs = {
      path: String(args.path),
      json: args.json === true,
      tagSets: args['tag-sets'] === true,
      ops: args.ops === true,
      variables: args.variables === true,
    };
    const tagSet = singleString(args, 'tag-set');
    const signatureDef = singleString(args, 'signature-def');
    if (tagSet !== undefined) a.tagSet = tagSet;
    if (signatureDef !== undefined) a.signatureDef = signatureDef;
    return runInspect(a, io);
  },
};
