// What each quantization mode does to each TFLite op, as short phrases for docs/supported-ops.md
// (its int8 and float16 columns). Derived from the tables the quantizers run on (INT8_RULES for
// full-integer int8, DYNAMIC_RULES for dynamic range; float16 treats every op alike), so the
// docs cannot claim what the code does not do. Read by src/lower/supported-ops-doc.ts.

import type { QuantSupportTable } from '../lower/supported-ops-doc.js';
import { LOWERINGS } from '../lower/table.js';
import { DYNAMIC_RULES } from './dynamic.js';
import { INT8_RULES, describeInt8Rule } from './rules.js';

function int8Phrase(op: string): string {
  const rule = INT8_RULES[op];
  const full = rule ? describeInt8Rule(rule) : 'float only (between DEQUANTIZE and QUANTIZE)';
  const d = DYNAMIC_RULES[`tfl.${op}`];
  const dynamic = d
    ? `; dynamic range: int8 weights ${d.axis === null ? 'per tensor' : `per channel (axis ${d.axis})`}, ${d.hybrid ? 'hybrid kernel' : 'DEQUANTIZE to a float kernel'}`
    : '';
  return `${op}: ${full}${dynamic}`;
}

const FLOAT16 = 'float32 constant inputs stored as float16 + DEQUANTIZE';

function allOps(): string[] {
  const ops = new Set<string>([...Object.keys(INT8_RULES), ...Object.keys(DYNAMIC_RULES).map((k) => k.slice(4))]);
  for (const l of Object.values(LOWERINGS)) for (const op of l.tfl) ops.add(op);
  return [...ops].sort();
}

/** Per TFLite builtin op: what int8 (full integer and dynamic range) and float16 do with it. */
export const QUANT_SUPPORT: QuantSupportTable = Object.fromEntries(allOps().map((op) => [op, { int8: int8Phrase(op), float16: FLOAT16 }]));
