// All TF op semantics, by family. A new op is one entry in its family's table.

import { controlOps } from './control.js';
import { elementwiseOps } from './elementwise.js';
import { functionalOps } from './functional.js';
import { mathOps } from './math.js';
import { nnOps } from './nn.js';
import { quantOps } from './quant.js';
import { reduceOps } from './reduce.js';
import { shapeOps } from './shape.js';
import { stateOps } from './state.js';
import type { OpTable } from './types.js';

export const tfOps: OpTable = {
  ...elementwiseOps,
  ...mathOps,
  ...shapeOps,
  ...nnOps,
  ...reduceOps,
  ...controlOps,
  ...functionalOps,
  ...quantOps,
  ...stateOps,
};
