// `tfconv inspect PATH`: what a model holds, for each kind of file. A thin layer over
// api/inspect.ts (which classifies the path and checks kind-specific options) that picks JSON or
// text and sends notes to stderr.

import type { Argv } from 'yargs';
import { type InspectTextOptions, inspect, inspectText } from '../../api/inspect.js';
import { err } from '../../errors/index.js';
import { toJsonText } from '../../inspect/common.js';
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

export function runInspect(args: InspectArgs, io: CliIO): number {
  const options: InspectTextOptions = {
    ...(args.tagSet !== undefined ? { tagSet: args.tagSet } : {}),
    ...(args.signatureDef !== undefined ? { signatureDef: args.signatureDef } : {}),
    tagSets: args.tagSets,
    ops: args.ops,
    variables: args.variables,
    color: useColor(io.stdout),
    // The note goes to stderr so stdout stays exactly saved_model_cli's text (or pure JSON).
    log: (note) => io.stderr.write(`tfconv: note: ${note}\n`),
  };
  io.stdout.write(args.json ? toJsonText(inspect(args.path, options)) : inspectText(args.path, options));
  return 0;
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
