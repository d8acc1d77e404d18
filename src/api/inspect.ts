// inspect(): what a SavedModel, GraphDef or .tflite holds, as the JSON report of
// docs/inspect-json.md; inspectText(): the same as the human text `tfconv inspect` prints (for
// SavedModels, saved_model_cli's). The path is classified once (readers/detect.ts) and handed to
// the inspector of its kind; options that only make sense for some kinds are declared by those
// entries, and using one on another kind is a BAD_OPTION error.

import { tfDataType, tfDataTypeName } from '../core/dtype.js';
import { err } from '../errors/index.js';
import { type GraphDefReport, graphDefText, inspectGraphDef } from '../inspect/graphdef.js';
import { type TfliteInspectJson, inspectTflite } from '../inspect/tflite.js';
import { type SavedModelReport, type VariablesHook, inspectSavedModel, savedModelText } from '../inspect/savedmodel.js';
import { type DetectedModel, type ModelKind, detectModel } from '../readers/detect.js';
import { readGraphDef } from '../readers/graphdef.js';
import { readSavedModel } from '../readers/savedmodel.js';
import { listVariables } from '../readers/variables.js';

export interface InspectOptions {
  /** SavedModel: the MetaGraph's tags, comma-separated (saved_model_cli --tag_set). */
  tagSet?: string;
  /** SavedModel: this SignatureDef only (saved_model_cli --signature_def). */
  signatureDef?: string;
  /** SavedModel: add the ops the serving signatures reach, and all ops of the MetaGraph. */
  ops?: boolean;
  /** SavedModel: add the variables (name, checkpoint key, dtype, shape, bytes). */
  variables?: boolean;
  /** Notes for the user, e.g. which version of a TF Serving base directory was read. */
  log?: (note: string) => void;
}

export interface InspectTextOptions extends InspectOptions {
  /** SavedModel: list the tag-sets only (saved_model_cli show --dir). */
  tagSets?: boolean;
  /** ANSI colours in tables. */
  color?: boolean;
}

/** The JSON report, one shape per kind (`kind` tells which); see docs/inspect-json.md. */
export type InspectReport = SavedModelReport | GraphDefReport | TfliteInspectJson;

/** Supplies `variables: true`: the graph's variables as the TensorBundle maps them, with sizes. */
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

/** Kind-specific options; each inspector lists those it takes. Names are the CLI's flags. */
export type KindOption = 'tag-set' | 'signature-def' | 'tag-sets' | 'variables';
const KIND_OPTIONS: readonly KindOption[] = ['tag-set', 'signature-def', 'tag-sets', 'variables'];

export interface KindInspector {
  /** Kind-specific options this inspector accepts. */
  options: readonly KindOption[];
  /** `path` is the path as given (a TF Serving base directory is read, and noted, as such). */
  report(detected: DetectedModel, path: string, options: InspectOptions): InspectReport;
  text(detected: DetectedModel, path: string, options: InspectTextOptions): string;
}

function savedModelOptions(o: InspectOptions) {
  return {
    ...(o.tagSet !== undefined ? { tagSet: o.tagSet } : {}),
    ...(o.signatureDef !== undefined ? { signatureDef: o.signatureDef } : {}),
    ops: o.ops === true,
    ...(o.variables === true ? { variables: VARIABLES_HOOK } : {}),
  };
}

function readSavedModelNoting(path: string, o: InspectOptions) {
  const model = readSavedModel(path);
  if (model.note !== undefined) o.log?.(model.note);
  return model;
}

export const INSPECTORS: Record<ModelKind, KindInspector> = {
  savedmodel: {
    options: ['tag-set', 'signature-def', 'tag-sets', 'variables'],
    report: (_detected, path, o) => inspectSavedModel(readSavedModelNoting(path, o), savedModelOptions(o)),
    text: (_detected, path, o) =>
      savedModelText(readSavedModelNoting(path, o), { ...savedModelOptions(o), tagSets: o.tagSets === true, color: o.color === true }),
  },
  graphdef: {
    options: [],
    report: (detected) => inspectGraphDef(readGraphDef(detected.path), detected.path),
    text: (detected, _path, o) => graphDefText(inspectGraphDef(readGraphDef(detected.path), detected.path), o.color === true),
  },
  tflite: {
    options: [],
    report: (detected) => inspectTflite(detected.path, { color: false }).json,
    text: (detected, _path, o) => inspectTflite(detected.path, { color: o.color === true }).text,
  },
};

const KIND_NAMES: Record<ModelKind, string> = { savedmodel: 'SavedModels', graphdef: 'GraphDefs', tflite: 'TFLite models' };

/** Checks the options against each other and against the kind of `path`; returns the kind's inspector. */
function prepare(path: string, o: InspectTextOptions): { detected: DetectedModel; inspector: KindInspector } {
  if (o.tagSets === true && (o.tagSet !== undefined || o.signatureDef !== undefined)) {
    throw err.badOption('tag-sets', 'lists the tag-sets only; it cannot be combined with --tag-set or --signature-def');
  }
  if (o.signatureDef === '') throw err.badOption('signature-def', 'needs a SignatureDef key');
  const detected = detectModel(path);
  const inspector = INSPECTORS[detected.kind];
  const given: Record<KindOption, boolean> = {
    'tag-set': o.tagSet !== undefined,
    'signature-def': o.signatureDef !== undefined,
    'tag-sets': o.tagSets === true,
    variables: o.variables === true,
  };
  for (const opt of KIND_OPTIONS) {
    if (given[opt] && !inspector.options.includes(opt)) {
      const kinds = (Object.keys(INSPECTORS) as ModelKind[]).filter((k) => INSPECTORS[k].options.includes(opt));
      throw err.badOption(opt, `applies to ${kinds.map((k) => KIND_NAMES[k]).join(' and ')} only, and ${path} is a ${detected.kind}`);
    }
  }
  return { detected, inspector };
}

/** The JSON report of a SavedModel directory, GraphDef .pb or .tflite (docs/inspect-json.md). */
export function inspect(path: string, options: InspectOptions = {}): InspectReport {
  const { detected, inspector } = prepare(path, options);
  return inspector.report(detected, path, options);
}

/** The text `tfconv inspect` prints for the same model and options. */
export function inspectText(path: string, options: InspectTextOptions = {}): string {
  const { detected, inspector } = prepare(path, options);
  return inspector.text(detected, path, options);
}
