// One catalogue of stable error codes and message builders (rollup's logs.ts is the model).
// Every user-facing failure is a TfconvError built here, so tests can assert code and message,
// and the CLI can print one line and exit without a stack trace.

/** What the error is about: the CLI prints the first of these that is set. */
export interface ErrorSubject {
  file?: string;
  node?: string;
  op?: string;
  /** Byte offset inside `file`, when a reader knows it. */
  offset?: number;
}

export class TfconvError extends Error {
  readonly code: ErrorCode;
  readonly subject: ErrorSubject;
  /** 1 for bad input and failed work, 2 for usage errors (as saved_model_cli and most CLIs do). */
  readonly exitCode: 1 | 2;

  constructor(code: ErrorCode, message: string, subject: ErrorSubject = {}, options: { cause?: unknown } = {}) {
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TfconvError';
    this.code = code;
    this.subject = subject;
    this.exitCode = USAGE_CODES.has(code) ? 2 : 1;
  }
}

/** Longest run without a space kept whole in a message, and longest message. */
const MAX_WORD = 300;
const MAX_MESSAGE = 3000;

/**
 * Messages quote names taken from the user's files, which may hold anything: control characters
 * are escaped (a name with a newline must not split the one-line message), and very long names
 * or messages are shortened in the middle, saying by how much.
 */
function oneLine(message: string): string {
  let m = message.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  m = m.replace(new RegExp(`\\S{${MAX_WORD + 1},}`, 'g'), (w) => `${w.slice(0, 200)}...(${w.length - 260} characters)...${w.slice(-60)}`);
  if (m.length > MAX_MESSAGE) m = `${m.slice(0, MAX_MESSAGE - 500)}...(${m.length - MAX_MESSAGE + 100} characters)...${m.slice(-400)}`;
  return m;
}

export function isTfconvError(e: unknown): e is TfconvError {
  return e instanceof TfconvError;
}

/** Sorted by area; the string value is what users and tests see. Never reuse or rename a code. */
export const ErrorCode = {
  // --- usage ---
  USAGE: 'USAGE',
  BAD_OPTION: 'BAD_OPTION',
  // --- files and paths ---
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  NOT_A_MODEL: 'NOT_A_MODEL',
  UNSAFE_PATH: 'UNSAFE_PATH',
  WRITE_FAILED: 'WRITE_FAILED',
  // --- protobuf / SavedModel / GraphDef ---
  BAD_PROTOBUF: 'BAD_PROTOBUF',
  PBTXT_UNSUPPORTED: 'PBTXT_UNSUPPORTED',
  UNKNOWN_TAG_SET: 'UNKNOWN_TAG_SET',
  UNKNOWN_SIGNATURE: 'UNKNOWN_SIGNATURE',
  NOT_SUPPORTED: 'NOT_SUPPORTED',
  // --- TensorBundle (variables) ---
  BAD_BUNDLE: 'BAD_BUNDLE',
  CRC_MISMATCH: 'CRC_MISMATCH',
  SHARD_TOO_SHORT: 'SHARD_TOO_SHORT',
  MISSING_VARIABLE: 'MISSING_VARIABLE',
  BUNDLE_UNSUPPORTED: 'BUNDLE_UNSUPPORTED',
  VARIABLE_MISMATCH: 'VARIABLE_MISMATCH',
  // --- TFLite FlatBuffer ---
  BAD_TFLITE: 'BAD_TFLITE',
  MODEL_TOO_LARGE: 'MODEL_TOO_LARGE',
  UNWRITABLE_TFLITE: 'UNWRITABLE_TFLITE',
  // --- graph preparation and conversion ---
  BAD_GRAPH: 'BAD_GRAPH',
  UNSUPPORTED_OPS: 'UNSUPPORTED_OPS',
  SHAPE_ERROR: 'SHAPE_ERROR',
  // --- runtimes and verification ---
  RUNTIME_FAILED: 'RUNTIME_FAILED',
  VERIFY_FAILED: 'VERIFY_FAILED',
  BAD_INPUT_DATA: 'BAD_INPUT_DATA',
  // --- quantization ---
  QUANTIZATION: 'QUANTIZATION',
  NO_REPRESENTATIVE_DATA: 'NO_REPRESENTATIVE_DATA',
  QAT_UNSUPPORTED: 'QAT_UNSUPPORTED',
  // --- model builder ---
  BAD_MODEL_SPEC: 'BAD_MODEL_SPEC',
  // --- internal: a bug in tfconv, not the user's fault ---
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** How many op types of an unsupported-ops error name example nodes. */
const UNSUPPORTED_WITH_EXAMPLES = 6;

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([ErrorCode.USAGE, ErrorCode.BAD_OPTION]);

// ---------------------------------------------------------------------------------------------
// Message builders. Messages are one line, start with what they are about, and say what was
// expected; they never include a stack trace or a raw exception dump.
// ---------------------------------------------------------------------------------------------

/** The advice unsupported-op errors end with (commands without --allow-custom-ops drop it). */
export const CUSTOM_OPS_ADVICE = '; use --allow-custom-ops to write them as custom ops';

export const err = {
  // --- usage ---
  usage(message: string): TfconvError {
    return new TfconvError(ErrorCode.USAGE, message);
  },
  badOption(option: string, problem: string): TfconvError {
    return new TfconvError(ErrorCode.BAD_OPTION, `--${option}: ${problem}`);
  },

  // --- files and paths ---
  fileNotFound(file: string, what = 'file or directory'): TfconvError {
    return new TfconvError(ErrorCode.FILE_NOT_FOUND, `${file}: no such ${what}`, { file });
  },
  notAModel(file: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.NOT_A_MODEL, `${file}: ${why}`, { file });
  },
  unsafePath(file: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.UNSAFE_PATH, `${file}: ${why}`, { file });
  },
  writeFailed(file: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.WRITE_FAILED, `${file}: cannot write: ${why}`, { file });
  },

  // --- protobuf / SavedModel / GraphDef ---
  badProtobuf(file: string, message: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.BAD_PROTOBUF, `${file}: not a valid ${message} protobuf (${why})`, { file });
  },
  pbtxtUnsupported(file: string): TfconvError {
    return new TfconvError(
      ErrorCode.PBTXT_UNSUPPORTED,
      `${file}: text-format SavedModels (saved_model.pbtxt) are not supported; re-save the model in binary form (saved_model.pb)`,
      { file },
    );
  },
  unknownTagSet(file: string, asked: string, available: string[]): TfconvError {
    return new TfconvError(
      ErrorCode.UNKNOWN_TAG_SET,
      `${file}: no MetaGraph with tag-set '${asked}'; available: ${available.map((t) => `'${t}'`).join(', ') || 'none'}`,
      { file },
    );
  },
  unknownSignature(file: string, asked: string, available: string[]): TfconvError {
    return new TfconvError(
      ErrorCode.UNKNOWN_SIGNATURE,
      `${file}: no SignatureDef '${asked}'; available: ${available.map((t) => `'${t}'`).join(', ') || 'none'}`,
      { file },
    );
  },

  /** A valid file of a kind or feature tfconv cannot handle (yet). */
  notSupported(file: string, what: string): TfconvError {
    return new TfconvError(ErrorCode.NOT_SUPPORTED, `${file}: ${what} is not supported yet`, { file });
  },

  // --- TensorBundle (variables) ---
  badBundle(file: string, why: string, offset?: number): TfconvError {
    const at = offset === undefined ? '' : ` at byte ${offset}`;
    return new TfconvError(ErrorCode.BAD_BUNDLE, `${file}: corrupt TensorBundle${at}: ${why}`, { file, offset });
  },
  crcMismatch(file: string, what: string, expected: number, actual: number): TfconvError {
    return new TfconvError(
      ErrorCode.CRC_MISMATCH,
      `${file}: CRC32C mismatch in ${what} (stored 0x${hex32(expected)}, computed 0x${hex32(actual)})`,
      { file },
    );
  },
  shardTooShort(file: string, variable: string, needed: number, size: number): TfconvError {
    return new TfconvError(
      ErrorCode.SHARD_TOO_SHORT,
      `${file}: variable '${variable}' needs bytes up to ${needed} but the shard has only ${size}`,
      { file, node: variable },
    );
  },
  missingVariable(file: string, variable: string): TfconvError {
    return new TfconvError(ErrorCode.MISSING_VARIABLE, `${file}: no value for variable '${variable}'`, {
      file,
      node: variable,
    });
  },
  /** Several variables at once, so the user sees the whole list (the first few are named). */
  missingVariables(file: string, variables: readonly string[], why: string): TfconvError {
    const shown = variables.slice(0, 5).map((v) => `'${v}'`).join(', ');
    const more = variables.length > 5 ? ` and ${variables.length - 5} more` : '';
    return new TfconvError(
      ErrorCode.MISSING_VARIABLE,
      `${file}: ${variables.length} variable${variables.length === 1 ? '' : 's'} ${why}: ${shown}${more}`,
      { file, node: variables[0] },
    );
  },
  /** The graph and the checkpoint disagree about a variable (dtype, shape, or which key it takes). */
  variableMismatch(file: string, variable: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.VARIABLE_MISMATCH, `${file}: variable '${variable}': ${why}`, { file, node: variable });
  },
  bundleUnsupported(file: string, what: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.BUNDLE_UNSUPPORTED, `${file}: ${what}: ${why}`, { file });
  },

  // --- TFLite FlatBuffer ---
  badTflite(file: string, why: string, offset?: number): TfconvError {
    const at = offset === undefined ? '' : ` at byte ${offset}`;
    return new TfconvError(ErrorCode.BAD_TFLITE, `${file}: not a valid TFLite model${at}: ${why}`, { file, offset });
  },
  modelTooLarge(bytes: number): TfconvError {
    return new TfconvError(
      ErrorCode.MODEL_TOO_LARGE,
      `the model needs ${bytes} bytes but a TFLite FlatBuffer is limited to 2 GiB (2147483648 bytes)`,
    );
  },
  /** A TfliteModel that cannot be serialized as it is (a value out of range, an unknown union). */
  unwritableTflite(why: string): TfconvError {
    return new TfconvError(ErrorCode.UNWRITABLE_TFLITE, `cannot write the TFLite model: ${why}`);
  },

  // --- graph preparation and conversion ---
  badGraph(node: string, why: string, op?: string): TfconvError {
    return new TfconvError(ErrorCode.BAD_GRAPH, `node '${node}'${op ? ` (${op})` : ''}: ${why}`, { node, op });
  },
  shapeError(node: string, op: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.SHAPE_ERROR, `node '${node}' (${op}): ${why}`, { node, op });
  },
  /** A TFLite node uses a feature whose op version is newer than the runtime tfconv targets. */
  opVersionTooNew(node: string, op: string, feature: string, version: number, runtime: string, maxVersion: number): TfconvError {
    return new TfconvError(
      ErrorCode.UNSUPPORTED_OPS,
      `node '${node}' (${op}): ${feature} needs ${op} version ${version} (TFLite ${runtime}); tfconv writes ${op} up to version ${maxVersion}`,
      { node, op },
    );
  },
  /** A model input whose shape the model does not say (unknown rank): the user must give it. */
  inputShapeNeeded(input: string, where: string, why: string): TfconvError {
    return new TfconvError(
      ErrorCode.SHAPE_ERROR,
      `input '${input}'${where ? ` of ${where}` : ''} ${why}; give its shape with --input-shape ${input}=D1,D2,... (e.g. --input-shape ${input}=1,10; '${input}=' for a scalar)`,
      { node: input },
    );
  },
  /** One error for every unsupported op, so users see the whole list at once. */
  unsupportedOps(ops: ReadonlyArray<{ op: string; count: number; examples: string[] }>, context: { where?: string; hint?: string } = {}): TfconvError {
    // Long lists stay one readable line: every op type is named with its count, but only the
    // first few carry example node names (those are what users grep their graph for).
    const parts = ops.map((o, i) =>
      i < UNSUPPORTED_WITH_EXAMPLES ? `${o.op} x${o.count} (e.g. ${o.examples.map((e) => `'${e}'`).join(', ')})` : `${o.op} x${o.count}`,
    );
    const total = ops.reduce((s, o) => s + o.count, 0);
    const where = context.where ? `${context.where}: ` : '';
    const hint = context.hint ? `; ${context.hint}` : '';
    return new TfconvError(
      ErrorCode.UNSUPPORTED_OPS,
      `${where}${ops.length} unsupported op type${ops.length === 1 ? '' : 's'} (${total} node${total === 1 ? '' : 's'}): ${parts.join('; ')}${CUSTOM_OPS_ADVICE}${hint}`,
      { op: ops[0]?.op },
    );
  },

  // --- runtimes and verification ---
  runtimeFailed(what: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.RUNTIME_FAILED, `${what}: ${why}`);
  },
  verifyFailed(summary: string): TfconvError {
    return new TfconvError(ErrorCode.VERIFY_FAILED, summary);
  },
  badInputData(file: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.BAD_INPUT_DATA, `${file}: ${why}`, { file });
  },
  /** A tensor given to a model does not fit the model's input (name, dtype, shape, or missing). */
  badInput(input: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.BAD_INPUT_DATA, `input '${input}': ${why}`, { node: input });
  },
  /** Ops a runtime cannot execute, all listed at once; `hint` says what to do about them. */
  runtimeUnsupportedOps(
    runtime: string,
    ops: ReadonlyArray<{ op: string; count: number; examples: string[] }>,
    hint: string,
  ): TfconvError {
    const parts = ops.map((o) => `${o.op} x${o.count} (e.g. ${o.examples.map((e) => `'${e}'`).join(', ')})`);
    return new TfconvError(
      ErrorCode.RUNTIME_FAILED,
      `${runtime} cannot execute ${ops.length} op type${ops.length === 1 ? '' : 's'}: ${parts.join('; ')}${hint ? `; ${hint}` : ''}`,
      { op: ops[0]?.op },
    );
  },
  /** A feature tfconv does not have (yet); `what` is the thing asked for, `instead` what works today. */

  // --- quantization ---
  quantization(why: string, node?: string): TfconvError {
    return new TfconvError(ErrorCode.QUANTIZATION, node ? `node '${node}': ${why}` : why, { node });
  },
  /** --full-integer and some ops would stay float: every op type, with counts and node names. */
  notFullInteger(ops: ReadonlyArray<{ op: string; nodes: readonly string[]; why: string }>): TfconvError {
    const total = ops.reduce((s, o) => s + o.nodes.length, 0);
    const parts = ops.map((o) => {
      const shown = o.nodes.slice(0, 10).map((n) => `'${n}'`).join(', ');
      const more = o.nodes.length > 10 ? ` and ${o.nodes.length - 10} more` : '';
      return `${o.op} x${o.nodes.length} (${o.why}: ${shown}${more})`;
    });
    return new TfconvError(
      ErrorCode.QUANTIZATION,
      `--full-integer: ${total} node${total === 1 ? '' : 's'} of ${ops.length} op type${ops.length === 1 ? '' : 's'} would stay float: ${parts.join('; ')}`,
      { op: ops[0]?.op, node: ops[0]?.nodes[0] },
    );
  },
  /** `tfconv qat`: a model fake quantization cannot be inserted into, and why (one line). */
  unsupportedForQat(file: string, what: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.QAT_UNSUPPORTED, `${file}: cannot insert fake quantization: ${what}: ${why}`, { file });
  },
  noRepresentativeData(): TfconvError {
    return new TfconvError(
      ErrorCode.NO_REPRESENTATIVE_DATA,
      'int8 quantization needs representative data: pass --representative PATH (.npy, .npz, .json or an image directory), or --representative random to calibrate on seeded random inputs',
    );
  },

  // --- quantization reports ---
  /** `tfconv report` / `--report` without data to run the two models on. */
  reportNeedsData(): TfconvError {
    return new TfconvError(
      ErrorCode.NO_REPRESENTATIVE_DATA,
      'a quantization report runs the float and the quantized model on representative data: pass --representative PATH (.npy, .npz, .json or an image directory), or --representative random for seeded random inputs',
    );
  },
  /** A report file whose extension names no format. */
  reportFormat(file: string): TfconvError {
    return new TfconvError(ErrorCode.BAD_OPTION, `--report: '${file}' must end in .json or .html (the format is taken from the extension)`, { file });
  },

  // --- build plugin ---
  /**
   * A model imported with `?tflite` (or listed in the plugin's `models`) failed to convert. Keeps
   * the cause's code when it is a TfconvError (so callers can still tell what went wrong), and
   * names the model by its path from the project root, since that is what the user can find. An
   * internal error keeps its cause (and stack) for the bug report.
   */
  buildConversion(model: string, cause: unknown): TfconvError {
    const why = cause instanceof TfconvError ? cause.message : `internal error (please report): ${cause instanceof Error ? cause.message : String(cause)}`;
    const code = cause instanceof TfconvError ? cause.code : ErrorCode.INTERNAL;
    const e = new TfconvError(code, `tfconv: cannot convert ${model}: ${why}`, { file: model }, cause instanceof TfconvError ? {} : { cause });
    // Bundlers print the stack of a build error: for the user's own mistake, the one line is all.
    if (cause instanceof TfconvError) e.stack = `${e.name}: ${e.message}`;
    return e;
  },
  /** A `?tflite&key=value` import query or plugin model option that tfconv does not take. */
  badModelQuery(model: string, key: string, problem: string): TfconvError {
    return new TfconvError(ErrorCode.BAD_OPTION, `${model}: option '${key}': ${problem}`, { file: model });
  },

  // --- model builder ---
  /** A model description the builder cannot write (bad layer options, shapes that do not fit). */
  badModelSpec(layer: string, why: string): TfconvError {
    return new TfconvError(ErrorCode.BAD_MODEL_SPEC, `layer '${layer}': ${why}`, { node: layer });
  },

  // --- internal ---
  internal(why: string): TfconvError {
    return new TfconvError(ErrorCode.INTERNAL, `internal error (please report): ${why}`);
  },
};

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
