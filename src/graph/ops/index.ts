// All TF op semantics, by family. A new op is one entry in its family's table.

import { elementwiseOps } from './elementwise.js';
import type { OpTable } from './types.js';

export const tfOps: OpTable = {
  ...elementwiseOps,
};
