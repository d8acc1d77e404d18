// The conversion pipeline, in order, in one place (TFLite's tf_tfl_passes.cc is the model).
// Every ordering constraint is stated where it applies. Passes are listed by object so the
// names here, the file names and --skip-pass values are the same.

import { annotateShapesPass } from './annotate-shapes.js';
import { checkSupportedPass } from './check-supported.js';
import { chooseOpVersions } from './choose-op-versions.js';
import { collapseReshapes } from './collapse-reshapes.js';
import { decomposeBatchNorm } from './decompose-batch-norm.js';
import { foldDilatedConv } from './fold-dilated-conv.js';
import { foldConstants } from './fold-constants.js';
import { foldPadIntoConv } from './fold-pad-into-conv.js';
import { fuseActivation } from './fuse-activation.js';
import { fuseAddIntoBias } from './fuse-add-into-bias.js';
import { fuseBiasIntoTransposeConv } from './fuse-bias-into-transpose-conv.js';
import { fuseMulIntoConv } from './fuse-mul-into-conv.js';
import { fuseReluN1To1 } from './fuse-relu-n1-to-1.js';
import { fuseRelu6 } from './fuse-relu6.js';
import { legalize } from './legalize.js';
import type { Pass } from './pass.js';
import { recordLearnedRanges } from './record-learned-ranges.js';
import { removeIdentity } from './remove-identity.js';
import { removeUnused } from './remove-unused.js';
import { resolveSwitchMerge } from './resolve-switch-merge.js';

/** Knows the passes after it (read when it runs), to leave the ops they rewrite away alone. */
const checkSupported = checkSupportedPass(() => CONVERT_STAGE);

/**
 * The cheap front of the pipeline, run on every graph before any graph goes further: a model
 * with an unconvertible signature fails before the expensive work on the others.
 */
export const CHECK_STAGE: readonly Pass[] = [
  // TF level. Identities go first so folding and matching see producers directly.
  removeIdentity,
  // Before shapes: a dead branch has no shapes, and the taken branch must be plain data flow
  // before anything matches on it. The predicate is usually a constant only through Identity.
  resolveSwitchMerge,
  // Every op the graph still needs must be convertible: say so before the expensive work.
  checkSupported,
];

export const CONVERT_STAGE: readonly Pass[] = [
  // Shapes before folding: Shape/StridedSlice/Pack chains fold only once shapes are static.
  annotateShapesPass,
  // QAT ranges: fake-quant ops on weights fold away next, and their ranges with them.
  recordLearnedRanges,
  foldConstants,
  // Batch norm parameters are constants only after folding (they are often Identity/ReadVariable chains).
  decomposeBatchNorm,
  // Block shapes, paddings and crops are constants only after folding; before shapes are redone.
  foldDilatedConv,
  // Shapes again: folding and decomposition created tensors lowering must know the shape of.
  annotateShapesPass,
  // TF -> TFLite. Everything after this works on tfl.* ops only.
  legalize,
  // Lowering leaves shape computations the TFLite ops no longer read.
  removeUnused,
  // Conv -> BiasAdd -> batch norm (Mul, Add): the bias must join the conv first so the Mul
  // meets the conv directly; then the Mul scales weights and bias; then the batch norm's Add
  // joins the bias. Repeated rather than looped, as TFLite's pipeline does.
  fuseAddIntoBias,
  fuseMulIntoConv,
  fuseAddIntoBias,
  fuseBiasIntoTransposeConv,
  // The pad fold needs final conv options; activation fusion must come after bias fusion,
  // since an ADD between conv and RELU blocks it.
  foldPadIntoConv,
  // Clamps become RELU_N1_TO_1 / RELU6 before fuse-activation, which folds those into the op before.
  fuseReluN1To1,
  fuseRelu6,
  fuseActivation,
  collapseReshapes,
  // Versions depend on the final options and dtypes, so they are chosen last.
  chooseOpVersions,
];

export const FLOAT_PIPELINE: readonly Pass[] = [...CHECK_STAGE, ...CONVERT_STAGE];

/** Every pass, by name, for --skip-pass and --list-passes. */
export const ALL_PASSES: ReadonlyMap<string, Pass> = new Map(FLOAT_PIPELINE.map((p) => [p.name, p]));
