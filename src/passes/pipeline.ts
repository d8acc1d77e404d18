// The conversion pipeline, in order, in one place (TFLite's tf_tfl_passes.cc is the model).
// Every ordering constraint is stated where it applies. Passes are listed by object so the
// names here, the file names and --skip-pass values are the same.

import { annotateShapesPass } from './annotate-shapes.js';
import { chooseOpVersions } from './choose-op-versions.js';
import { collapseReshapes } from './collapse-reshapes.js';
import { decomposeBatchNorm } from './decompose-batch-norm.js';
import { foldConstants } from './fold-constants.js';
import { foldPadIntoConv } from './fold-pad-into-conv.js';
import { fuseActivation } from './fuse-activation.js';
import { fuseAddIntoBias } from './fuse-add-into-bias.js';
import { fuseMulIntoConv } from './fuse-mul-into-conv.js';
import { legalize } from './legalize.js';
import type { Pass } from './pass.js';
import { recordLearnedRanges } from './record-learned-ranges.js';
import { removeIdentity } from './remove-identity.js';

export const FLOAT_PIPELINE: readonly Pass[] = [
  // TF level. Identities go first so folding and matching see producers directly.
  removeIdentity,
  // Shapes before folding: Shape/StridedSlice/Pack chains fold only once shapes are static.
  annotateShapesPass,
  // QAT ranges: fake-quant ops on weights fold away next, and their ranges with them.
  recordLearnedRanges,
  foldConstants,
  // Batch norm parameters are constants only after folding (they are often Identity/ReadVariable chains).
  decomposeBatchNorm,
  // Shapes again: folding and decomposition created tensors lowering must know the shape of.
  annotateShapesPass,
  // TF -> TFLite. Everything after this works on tfl.* ops only.
  legalize,
  // Conv -> BiasAdd -> batch norm (Mul, Add): the bias must join the conv first so the Mul
  // meets the conv directly; then the Mul scales weights and bias; then the batch norm's Add
  // joins the bias. Repeated rather than looped, as TFLite's pipeline does.
  fuseAddIntoBias,
  fuseMulIntoConv,
  fuseAddIntoBias,
  // The pad fold needs final conv options; activation fusion must come after bias fusion,
  // since an ADD between conv and RELU blocks it.
  foldPadIntoConv,
  fuseActivation,
  collapseReshapes,
  // Versions depend on the final options and dtypes, so they are chosen last.
  chooseOpVersions,
];

/** Every pass, by name, for --skip-pass and --list-passes. */
export const ALL_PASSES: ReadonlyMap<string, Pass> = new Map(FLOAT_PIPELINE.map((p) => [p.name, p]));
