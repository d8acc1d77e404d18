// FakeQuantWithMinMax{Vars,Args} for the TF reference. tfjs maps FakeQuantWithMinMaxVars but runs
// it as an identity ("currently ignored") and has no FakeQuantWithMinMaxArgs, so a QAT graph's
// reference would be silently unquantized. Before tfjs sees the graph, each of these nodes with
// constant min/max becomes the float32 ops TensorFlow's kernel performs
// (fake_quant_ops_functor.h, as src/graph/ops/quant.ts computes it), the last one keeping the
// node's name so readers and fetches are unchanged:
//
//   y = Floor((Max(Min(x, nudged_max), nudged_min) - nudged_min) / scale - quant_zero + 0.5) * scale
//
// (Args multiplies by inv_scale instead of dividing by scale, as TensorFlow does.) Nodes whose
// range is not a constant stay, and the reference reports them as ops it cannot execute.

import { nudge } from '../graph/ops/quant.js';
import { tensorFromProto, tensorToProto } from '../proto/tensor-proto.js';
import type { AttrValue, GraphDef, NodeDef } from '../proto/types.js';

const f = Math.fround;
const T_FLOAT: AttrValue = { value: 'type', type: 1 };

export function expandFakeQuant(graph: GraphDef): GraphDef {
  if (!graph.node.some((n) => n.op === 'FakeQuantWithMinMaxVars' || n.op === 'FakeQuantWithMinMaxArgs')) return graph;
  const byName = new Map(graph.node.map((n) => [n.name, n]));
  const used = new Set(byName.keys());
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
  const out: NodeDef[] = [];
  for (const n of graph.node) {
    const range = rangeOf(n, byName);
    if (!range) {
      out.push(n);
      continue;
    }
    out.push(...expand(n, range, fresh));
  }
  return { ...graph, node: out };
}

interface Range {
  min: number;
  max: number;
  bits: number;
  narrow: boolean;
  divide: boolean;
}

function rangeOf(n: NodeDef, byName: ReadonlyMap<string, NodeDef>): Range | null {
  const bits = n.attr.num_bits?.value === 'i' ? (n.attr.num_bits.i ?? 8) : 8;
  const narrow = n.attr.narrow_range?.value === 'b' ? n.attr.narrow_range.b === true : false;
  if (bits < 2 || bits > 16) return null;
  if (n.op === 'FakeQuantWithMinMaxArgs') {
    const min = n.attr.min?.value === 'f' ? (n.attr.min.f ?? -6) : -6;
    const max = n.attr.max?.value === 'f' ? (n.attr.max.f ?? 6) : 6;
    return { min, max, bits, narrow, divide: false };
  }
  if (n.op !== 'FakeQuantWithMinMaxVars') return null;
  const min = scalarConst(n.input[1], byName);
  const max = scalarConst(n.input[2], byName);
  return min === null || max === null ? null : { min, max, bits, narrow, divide: true };
}

/** The value of a scalar float Const, through Identity nodes. */
function scalarConst(input: string | undefined, byName: ReadonlyMap<string, NodeDef>): number | null {
  let name = input?.replace(/:0$/, '');
  for (let hops = 0; name !== undefined && hops < 16; hops++) {
    const n = byName.get(name);
    if (!n) return null;
    if (n.op === 'Identity') {
      name = n.input[0]?.replace(/:0$/, '');
      continue;
    }
    if (n.op !== 'Const' || !n.attr.value?.tensor) return null;
    try {
      const v = tensorFromProto(n.attr.value.tensor, n.name);
      return v.shape.length === 0 && v.dtype === 'float32' ? (v.data as Float32Array)[0] : null;
    } catch {
      return null;
    }
  }
  return null;
}

function expand(n: NodeDef, r: Range, fresh: (base: string) => string): NodeDef[] {
  const qmin = r.narrow ? 1 : 0;
  const qmax = 2 ** r.bits - 1;
  const nodes: NodeDef[] = [];
  const control = n.input.filter((i) => i.startsWith('^'));
  const konst = (what: string, v: number): string => {
    const name = fresh(`${n.name}/${what}`);
    nodes.push({
      name,
      op: 'Const',
      input: [],
      device: n.device,
      attr: { dtype: T_FLOAT, value: { value: 'tensor', tensor: tensorToProto({ dtype: 'float32', shape: [], data: Float32Array.of(v) }) } },
    });
    return name;
  };
  const op = (what: string | null, type: string, inputs: string[]): string => {
    const name = what === null ? n.name : fresh(`${n.name}/${what}`);
    nodes.push({ name, op: type, input: [...inputs, ...(nodes.some((x) => x.op !== 'Const') ? [] : control)], device: n.device, attr: { T: T_FLOAT } });
    return name;
  };
  const x = n.input[0];
  if (f(r.min) === 0 && f(r.max) === 0) {
    // TensorFlow outputs zeros for an empty range.
    op(null, 'Mul', [x, konst('zero', 0)]);
    return nodes;
  }
  const q = nudge(f(r.min), f(r.max), qmin, qmax);
  const quantZero = Math.floor(f(f(-q.min * q.invScale) + 0.5));
  const clampedHi = op('tfjs_min', 'Minimum', [x, konst('nudged_max', q.max)]);
  const clamped = op('tfjs_max', 'Maximum', [clampedHi, konst('nudged_min', q.min)]);
  const shifted = op('tfjs_shift', 'Sub', [clamped, konst('nudged_min_sub', q.min)]);
  const scaled = r.divide ? op('tfjs_scale', 'RealDiv', [shifted, konst('scale', q.scale)]) : op('tfjs_scale', 'Mul', [shifted, konst('inv_scale', q.invScale)]);
  const centred = op('tfjs_zero', 'Sub', [scaled, konst('quant_zero', quantZero)]);
  const half = op('tfjs_half', 'Add', [centred, konst('half', 0.5)]);
  const level = op('tfjs_floor', 'Floor', [half]);
  op(null, 'Mul', [level, konst('scale_out', q.scale)]);
  return nodes;
}
