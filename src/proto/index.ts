// Loads our own .proto files (schemas/tensorflow) with protobufjs reflection and exposes typed
// decode/encode for the TensorFlow messages tfconv reads and writes.
//
// Messages are converted to plain objects (snake_case field names as in the .proto, enums as
// numbers, int64 as JS numbers, bytes as Uint8Array views into the input) so that the rest of the
// code sees ordinary data. int64 values beyond 2^53 lose precision; TensorFlow stores large int64
// tensors in tensor_content, which stays raw bytes.

import path from 'node:path';
import protobuf from 'protobufjs';
import { err } from '../errors/index.js';
import { PACKAGE_ROOT } from '../util/package.js';
import type * as T from './types.js';

export type * from './types.js';

export const SCHEMAS_DIR = path.join(PACKAGE_ROOT, 'schemas');

const PROTO_FILES = [
  'tensorflow/saved_model.proto',
  'tensorflow/tensor_bundle.proto',
  'tensorflow/trackable_object_graph.proto',
];

let root: protobuf.Root | undefined;

function loadRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  // google/protobuf/*.proto come from protobufjs' bundled well-known types.
  r.resolvePath = (_origin: string, target: string) =>
    target.startsWith('google/protobuf/') ? target : path.join(SCHEMAS_DIR, target);
  r.loadSync(PROTO_FILES, { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: Number,
  arrays: true,
  objects: true,
  oneofs: true,
  defaults: true,
};

/** A typed codec for one message type. */
export interface Codec<M> {
  readonly typeName: string;
  /** Decode `bytes`; `file` names the source in the error when the bytes are not this message. */
  decode(bytes: Uint8Array, file: string): M;
  encode(message: M): Uint8Array;
}

function codec<M>(typeName: string, shortName: string): Codec<M> {
  let type: protobuf.Type | undefined;
  const get = (): protobuf.Type => (type ??= loadRoot().lookupType(typeName));
  return {
    typeName,
    decode(bytes: Uint8Array, file: string): M {
      const t = get();
      let msg: protobuf.Message;
      try {
        msg = t.decode(bytes);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        // protobufjs stops where protoc does (CodedInputStream's default recursion limit).
        throw err.badProtobuf(file, shortName, why === 'max depth exceeded' ? `messages nested more than ${protobuf.util.recursionLimit} deep` : why);
      }
      return t.toObject(msg, TO_OBJECT) as M;
    },
    encode(message: M): Uint8Array {
      const t = get();
      return t.encode(t.fromObject(message as Record<string, unknown>)).finish();
    },
  };
}

export const SavedModelCodec = codec<T.SavedModel>('tensorflow.SavedModel', 'SavedModel');
export const MetaGraphDefCodec = codec<T.MetaGraphDef>('tensorflow.MetaGraphDef', 'MetaGraphDef');
export const GraphDefCodec = codec<T.GraphDef>('tensorflow.GraphDef', 'GraphDef');
export const TensorProtoCodec = codec<T.TensorProto>('tensorflow.TensorProto', 'TensorProto');
export const BundleHeaderCodec = codec<T.BundleHeaderProto>('tensorflow.BundleHeaderProto', 'BundleHeaderProto');
export const BundleEntryCodec = codec<T.BundleEntryProto>('tensorflow.BundleEntryProto', 'BundleEntryProto');
export const TrackableObjectGraphCodec = codec<T.TrackableObjectGraph>(
  'tensorflow.TrackableObjectGraph',
  'TrackableObjectGraph',
);
export const VariableDefCodec = codec<T.VariableDef>('tensorflow.VariableDef', 'VariableDef');
/** TF1 SavedModels keep their AssetFileDefs as google.protobuf.Any in the 'saved_model_assets' collection. */
export const AssetFileDefCodec = codec<T.AssetFileDef>('tensorflow.AssetFileDef', 'AssetFileDef');

/** The DataType enum name of `n` in our types.proto ("DT_FLOAT", "DT_FLOAT_REF"), or undefined. */
export function dataTypeEnumName(n: number): string | undefined {
  return loadRoot().lookupEnum('tensorflow.DataType').valuesById[n];
}

/** Fill the defaults of a partially written message (what decode would give for it). */
export function withDefaults<M>(c: Codec<M>, partial: Partial<M>): M {
  const t = loadRoot().lookupType(c.typeName);
  return t.toObject(t.fromObject(partial as Record<string, unknown>), TO_OBJECT) as M;
}
