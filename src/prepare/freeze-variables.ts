// freeze-variables: turn variable reads into constants holding the checkpoint values.
//
// TF2:  ReadVariableOp(VarHandleOp 'v')       -> Const(value of v)
//       ResourceGather(VarHandleOp 'v', ids)   -> GatherV2(Const(value of v), ids, 0)
// TF1:  VariableV2 'v' (read through Identity) -> Const(value of v)
//
// A resource reaches its reader through Identity/IdentityN nodes left by inlining, so readers
// follow those back to the VarHandleOp. A variable the checkpoint lacks is an error naming it.

import { tfDataType } from '../core/dtype.js';
import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { parseTensorRef } from '../graph/from-graphdef.js';
import { tensorToProto } from '../proto/tensor-proto.js';
import type { AttrValue, GraphDef, NodeDef } from '../proto/types.js';

const TF1_VARIABLES = new Set(['VariableV2', 'Variable']);
const PASS_THROUGH = new Set(['Identity', 'IdentityN']);

/** Value of the variable created by node `name` (a VarHandleOp or VariableV2), if known. */
export type VariableLookup = (name: string, node: NodeDef) => TensorValue | undefined;

/** A variable read frozen into a constant: the Const node and the graph's variable node. */
export interface FrozenRead {
  node: string;
  variable: string;
}

export function freezeVariables(gd: GraphDef, lookup: VariableLookup, source: string, reads: FrozenRead[] = []): GraphDef {
  const byName = new Map(gd.node.map((n) => [n.name, n]));

  /** The VarHandleOp a resource input comes from, following identities. */
  const resourceSource = (input: string | undefined, from: NodeDef): NodeDef => {
    if (input === undefined) throw err.badGraph(from.name, `${from.op} has no input: it must read a resource variable`, from.op);
    let ref = parseTensorRef(input);
    for (let hops = 0; ref && hops < 10000; hops++) {
      const n = byName.get(ref.node);
      if (!n) break;
      if (n.op === 'VarHandleOp') return n;
      if (!PASS_THROUGH.has(n.op)) break;
      const next: string | undefined = n.op === 'Identity' ? n.input[0] : n.input.filter((s) => !s.startsWith('^'))[ref.index];
      ref = next === undefined ? null : parseTensorRef(next);
    }
    throw err.badGraph(from.name, `reads a resource that does not come from a variable (${input})`, from.op);
  };

  const valueOf = (varNode: NodeDef): TensorValue => {
    const v = lookup(varNode.name, varNode);
    // TF1 variables often have an empty shared_name: the node name is then the variable's name.
    const shared = varNode.attr.shared_name?.s ? Buffer.from(varNode.attr.shared_name.s).toString() : '';
    if (!v) throw err.missingVariable(source, shared || varNode.name);
    return v;
  };

  const out: NodeDef[] = [];
  for (const n of gd.node) {
    if (n.op === 'ReadVariableOp') {
      const v = resourceSource(n.input[0], n);
      out.push(constNode(n.name, valueOf(v)));
      reads.push({ node: n.name, variable: v.name });
    } else if (n.op === 'ResourceGather') {
      const value = valueOf(resourceSource(n.input[0], n));
      const table = constNode(`${n.name}/frozen_params`, value);
      const axis = constNode(`${n.name}/axis`, { dtype: 'int32', shape: [], data: new Int32Array([0]) });
      out.push(table, axis, {
        ...n,
        op: 'GatherV2',
        input: [table.name, n.input[1], axis.name],
        attr: {
          Tparams: { value: 'type', type: tfDataType(value.dtype) },
          Tindices: n.attr.Tindices,
          Taxis: { value: 'type', type: tfDataType('int32') },
          batch_dims: n.attr.batch_dims ?? { value: 'i', i: 0 },
        },
      });
    } else if (TF1_VARIABLES.has(n.op)) {
      out.push(constNode(n.name, valueOf(n)));
      reads.push({ node: n.name, variable: n.name });
    } else {
      out.push(n);
    }
  }
  return { ...gd, node: out };
}

export function constNode(name: string, value: TensorValue): NodeDef {
  return {
    name,
    op: 'Const',
    input: [],
    device: '',
    attr: {
      dtype: { value: 'type', type: tfDataType(value.dtype) },
      value: { value: 'tensor', tensor: tensorToProto(value) },
    },
    experimental_debug_info: null,
  };
}
