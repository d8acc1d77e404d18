#!/usr/bin/env node
// Generates src/tflite/schema.generated.ts from schemas/tflite.fbs.
//
// Debian's flatc (2.0.8) cannot parse the current TFLite schema features and its TS output has
// no verifier, so tfconv parses the subset of the FlatBuffers grammar its own schema uses and
// emits: TS enums, object-API interfaces, new<Table>() factories with the schema defaults,
// read<Table>() functions over the verifying FbReader, and write<Table>() functions over
// FbWriter (src/tflite/flatbuffer.ts). The output is deterministic and never edited by hand.
//
// Usage: node scripts/gen-tflite-schema.mjs [schema.fbs] [out.ts]

import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const schemaPath = process.argv[2] ?? path.join(root, 'schemas', 'tflite.fbs');
const outPath = process.argv[3] ?? path.join(root, 'src', 'tflite', 'schema.generated.ts');

// ---------------------------------------------------------------------------------------------
// Tokenizer and parser
// ---------------------------------------------------------------------------------------------

function tokenize(src) {
  const tokens = [];
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) fail(line, 'unterminated comment');
      line += src.slice(i, end).split('\n').length - 1;
      i = end + 2;
    } else if (c === '"') {
      const end = src.indexOf('"', i + 1);
      if (end < 0) fail(line, 'unterminated string');
      tokens.push({ t: 'str', v: src.slice(i + 1, end), line });
      i = end + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(src.slice(i));
      tokens.push({ t: 'id', v: m[0], line });
      i += m[0].length;
    } else if (/[-+0-9.]/.test(c)) {
      const m = /^[-+]?(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)/.exec(src.slice(i));
      if (!m) fail(line, `bad number at '${src.slice(i, i + 10)}'`);
      tokens.push({ t: 'num', v: m[0], line });
      i += m[0].length;
    } else if ('{}()[]:;,='.includes(c)) {
      tokens.push({ t: c, v: c, line });
      i++;
    } else {
      fail(line, `unexpected character '${c}'`);
    }
  }
  return tokens;
}

function fail(line, why) {
  throw new Error(`${schemaPath}:${line}: ${why}`);
}

function parse(src) {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const next = () => {
    const t = toks[p++];
    if (!t) fail(toks[toks.length - 1]?.line ?? 0, 'unexpected end of file');
    return t;
  };
  const expect = (type, value) => {
    const t = next();
    if (t.t !== type || (value !== undefined && t.v !== value)) fail(t.line, `expected ${value ?? type}, got '${t.v}'`);
    return t;
  };
  const accept = (type, value) => {
    const t = peek();
    if (t && t.t === type && (value === undefined || t.v === value)) {
      p++;
      return t;
    }
    return undefined;
  };
  const attrs = () => {
    const out = {};
    if (!accept('(')) return out;
    while (!accept(')')) {
      const name = expect('id').v;
      let value = true;
      if (accept(':')) {
        const t = next();
        value = t.v;
      }
      out[name] = value;
      accept(',');
    }
    return out;
  };

  const schema = { namespace: '', fileIdentifier: '', attributes: [], enums: [], unions: [], tables: [], rootType: '' };
  while (p < toks.length) {
    const kw = expect('id');
    switch (kw.v) {
      case 'namespace':
        schema.namespace = expect('id').v;
        expect(';');
        break;
      case 'file_identifier':
        schema.fileIdentifier = expect('str').v;
        expect(';');
        break;
      case 'file_extension':
        expect('str');
        expect(';');
        break;
      case 'attribute':
        schema.attributes.push(expect('str').v);
        expect(';');
        break;
      case 'include':
        fail(kw.line, 'include is not supported');
        break;
      case 'struct':
        fail(kw.line, 'structs are not supported by this generator');
        break;
      case 'root_type':
        schema.rootType = expect('id').v;
        expect(';');
        break;
      case 'enum': {
        const name = expect('id').v;
        expect(':');
        const base = expect('id').v;
        const a = attrs();
        expect('{');
        const values = [];
        let nextValue = 0;
        while (!accept('}')) {
          const vname = expect('id').v;
          let value = nextValue;
          if (accept('=')) value = Number(expect('num').v);
          const va = attrs();
          values.push({ name: vname, value, attrs: va });
          nextValue = value + 1;
          if (!accept(',')) {
            expect('}');
            break;
          }
        }
        schema.enums.push({ name, base, attrs: a, values, line: kw.line });
        break;
      }
      case 'union': {
        const name = expect('id').v;
        const a = attrs();
        expect('{');
        const members = [];
        while (!accept('}')) {
          const mname = expect('id').v;
          const ma = attrs();
          members.push({ name: mname, attrs: ma });
          if (!accept(',')) {
            expect('}');
            break;
          }
        }
        schema.unions.push({ name, attrs: a, members, line: kw.line });
        break;
      }
      case 'table': {
        const name = expect('id').v;
        const a = attrs();
        expect('{');
        const fields = [];
        while (!accept('}')) {
          const fline = peek().line;
          const fname = expect('id').v;
          expect(':');
          let type;
          if (accept('[')) {
            type = { vector: expect('id').v };
            expect(']');
          } else {
            type = { name: expect('id').v };
          }
          let dflt;
          if (accept('=')) {
            const t = next();
            dflt = t.v;
          }
          const fa = attrs();
          expect(';');
          fields.push({ name: fname, type, default: dflt, attrs: fa, line: fline });
        }
        schema.tables.push({ name, attrs: a, fields, line: kw.line });
        break;
      }
      default:
        fail(kw.line, `unknown declaration '${kw.v}'`);
    }
  }
  return schema;
}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

// kind: reader/writer method suffix; size in bytes; ts: TypeScript type.
const SCALARS = {
  bool: { kind: 'bool', size: 1, ts: 'boolean' },
  byte: { kind: 'i8', size: 1, ts: 'number' },
  int8: { kind: 'i8', size: 1, ts: 'number' },
  ubyte: { kind: 'u8', size: 1, ts: 'number' },
  uint8: { kind: 'u8', size: 1, ts: 'number' },
  short: { kind: 'i16', size: 2, ts: 'number' },
  int16: { kind: 'i16', size: 2, ts: 'number' },
  ushort: { kind: 'u16', size: 2, ts: 'number' },
  uint16: { kind: 'u16', size: 2, ts: 'number' },
  int: { kind: 'i32', size: 4, ts: 'number' },
  int32: { kind: 'i32', size: 4, ts: 'number' },
  uint: { kind: 'u32', size: 4, ts: 'number' },
  uint32: { kind: 'u32', size: 4, ts: 'number' },
  float: { kind: 'f32', size: 4, ts: 'number' },
  float32: { kind: 'f32', size: 4, ts: 'number' },
  long: { kind: 'i64', size: 8, ts: 'number' },
  int64: { kind: 'i64', size: 8, ts: 'number' },
  ulong: { kind: 'u64', size: 8, ts: 'number' },
  uint64: { kind: 'u64', size: 8, ts: 'number' },
  double: { kind: 'f64', size: 8, ts: 'number' },
  float64: { kind: 'f64', size: 8, ts: 'number' },
};

function camel(s) {
  return s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

function check(schema) {
  const names = new Set();
  for (const x of [...schema.enums, ...schema.unions, ...schema.tables]) {
    if (names.has(x.name)) fail(x.line, `duplicate name ${x.name}`);
    names.add(x.name);
  }
  const enums = new Map(schema.enums.map((e) => [e.name, e]));
  const unions = new Map(schema.unions.map((u) => [u.name, u]));
  const tables = new Map(schema.tables.map((t) => [t.name, t]));
  for (const e of schema.enums) {
    if (!SCALARS[e.base] || e.base === 'bool' || SCALARS[e.base].kind.startsWith('f')) fail(e.line, `enum ${e.name}: bad base type ${e.base}`);
    const seen = new Set();
    for (const v of e.values) {
      if (seen.has(v.value)) fail(e.line, `enum ${e.name}: duplicate value ${v.value}`);
      seen.add(v.value);
    }
  }
  for (const u of schema.unions) {
    for (const m of u.members) if (!tables.has(m.name)) fail(u.line, `union ${u.name}: ${m.name} is not a table`);
    if (u.members.length > 255) fail(u.line, `union ${u.name}: too many members`);
  }
  for (const t of schema.tables) {
    let slot = 0;
    for (const f of t.fields) {
      f.slot = slot;
      f.ts = camel(f.name);
      f.deprecated = f.attrs.deprecated === true;
      f.bigint = f.attrs.tfconv_bigint === true;
      f.align = f.attrs.force_align === undefined ? undefined : Number(f.attrs.force_align);
      const tn = f.type.name ?? f.type.vector;
      if (f.type.vector !== undefined) {
        if (SCALARS[tn]) f.kind = { k: 'vscalar', s: SCALARS[tn] };
        else if (enums.has(tn)) f.kind = { k: 'vscalar', s: SCALARS[enums.get(tn).base], enumName: tn };
        else if (tn === 'string') f.kind = { k: 'vstring' };
        else if (tables.has(tn)) f.kind = { k: 'vtable', table: tn };
        else fail(f.line, `${t.name}.${f.name}: unknown element type ${tn}`);
        if (f.default !== undefined) fail(f.line, `${t.name}.${f.name}: a vector cannot have a default`);
      } else if (SCALARS[tn]) {
        f.kind = { k: 'scalar', s: SCALARS[tn] };
      } else if (enums.has(tn)) {
        f.kind = { k: 'scalar', s: SCALARS[enums.get(tn).base], enumName: tn };
      } else if (tn === 'string') {
        f.kind = { k: 'string' };
      } else if (tables.has(tn)) {
        f.kind = { k: 'table', table: tn };
      } else if (unions.has(tn)) {
        f.kind = { k: 'union', union: tn };
      } else {
        fail(f.line, `${t.name}.${f.name}: unknown type ${tn}`);
      }
      if (f.kind.k === 'scalar') {
        f.defaultValue = scalarDefault(f, enums);
      } else if (f.default !== undefined) {
        fail(f.line, `${t.name}.${f.name}: only scalars can have defaults`);
      }
      if (f.bigint && !(f.kind.k === 'scalar' && f.kind.s.size === 8 && !f.kind.s.kind.startsWith('f'))) {
        fail(f.line, `${t.name}.${f.name}: tfconv_bigint applies to long/ulong scalars only`);
      }
      slot += f.kind.k === 'union' ? 2 : 1;
    }
    t.slots = slot;
  }
  if (!tables.has(schema.rootType)) fail(0, `root_type ${schema.rootType} is not a table`);
  return { enums, unions, tables };
}

function scalarDefault(f, enums) {
  const d = f.default;
  const s = f.kind.s;
  if (d === undefined) return s.kind === 'bool' ? false : 0;
  if (s.kind === 'bool') {
    if (d === 'true') return true;
    if (d === 'false') return false;
    fail(f.line, `bad bool default ${d}`);
  }
  if (f.kind.enumName) {
    const e = enums.get(f.kind.enumName);
    const v = e.values.find((x) => x.name === d);
    if (v) return v.value;
  }
  const n = Number(d);
  if (!Number.isFinite(n)) fail(f.line, `bad default ${d}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Emitters
// ---------------------------------------------------------------------------------------------

function tsType(f) {
  const k = f.kind;
  switch (k.k) {
    case 'scalar':
      if (k.enumName) return k.enumName;
      if (k.s.size === 8 && !k.s.kind.startsWith('f')) return f.bigint ? 'bigint' : 'number';
      return k.s.ts;
    case 'string':
      return 'string';
    case 'table':
      return k.table;
    case 'union':
      return `${k.union}Value`;
    case 'vscalar':
      if (k.s.kind === 'u8' && !k.enumName) return 'Uint8Array';
      return `${k.enumName ?? k.s.ts}[]`;
    case 'vstring':
      return 'string[]';
    case 'vtable':
      return `${k.table}[]`;
  }
  throw new Error('unreachable');
}

function optional(f) {
  return f.kind.k === 'string' || f.kind.k === 'table' || f.kind.k === 'union';
}

function defaultLiteral(f) {
  const k = f.kind;
  switch (k.k) {
    case 'scalar':
      if (f.bigint) return `${f.defaultValue}n`;
      return String(f.defaultValue);
    case 'vscalar':
      return k.s.kind === 'u8' && !k.enumName ? 'new Uint8Array(0)' : '[]';
    case 'vstring':
    case 'vtable':
      return '[]';
    default:
      return 'undefined';
  }
}

// Reader method for a scalar kind: 64-bit values are numbers checked to be safe integers unless
// the field asks for a bigint.
function scalarReadMethod(f) {
  const kind = f.kind.s.kind;
  if (kind === 'i64' || kind === 'u64') return f.bigint ? `${kind}big` : kind;
  return kind;
}

function emit(schema, idx) {
  const out = [];
  const w = (s = '') => out.push(s);
  w('// GENERATED by scripts/gen-tflite-schema.mjs from schemas/tflite.fbs. Do not edit: change the');
  w('// schema or the generator and rebuild (npm run build).');
  w('/* eslint-disable */');
  w();
  w("import type { FbReader, FbTable, FbWriter } from './flatbuffer.js';");
  w();
  w(`export const FILE_IDENTIFIER = ${JSON.stringify(schema.fileIdentifier)};`);
  w();

  // Enums
  for (const e of schema.enums) {
    w(`/** enum ${e.name} : ${e.base} */`);
    w(`export enum ${e.name} {`);
    for (const v of e.values) w(`  ${v.name} = ${v.value},${v.attrs.deprecated ? ' // deprecated' : ''}`);
    w('}');
    w();
  }

  // Unions: type enum + value union
  for (const u of schema.unions) {
    w(`/** Type numbers of union ${u.name} (positional: NONE = 0, then the members in order). */`);
    w(`export enum ${u.name} {`);
    w('  NONE = 0,');
    u.members.forEach((m, i) => w(`  ${m.name} = ${i + 1},${m.attrs.deprecated ? ' // deprecated' : ''}`));
    w('}');
    w();
    w(`/** A ${u.name} value; 'unknown' keeps a type number this schema does not know (a newer file). */`);
    w(`export type ${u.name}Value =`);
    for (const m of u.members) w(`  | { type: ${u.name}.${m.name}; value: ${m.name} }`);
    w(`  | { type: 'unknown'; code: number };`);
    w();
    w(`/** The name of a ${u.name} type number ('NONE', a member name, or 'unknown(N)'). */`);
    w(`export function ${camel('name_of_' + u.name)}(type: number): string {`);
    w(`  return ${u.name}[type] ?? \`unknown(\${type})\`;`);
    w('}');
    w();
    w(`/** A new ${u.name} value of the given type with the schema's defaults. */`);
    w(`export function new${u.name}Value(type: Exclude<${u.name}, ${u.name}.NONE>): ${u.name}Value {`);
    w('  switch (type) {');
    for (const m of u.members) w(`    case ${u.name}.${m.name}: return { type, value: new${m.name}() };`);
    w('  }');
    w(`  return { type: 'unknown', code: type };`);
    w('}');
    w();
  }

  // Interfaces and factories
  for (const t of schema.tables) {
    w(`export interface ${t.name} {`);
    for (const f of t.fields) {
      if (f.deprecated) continue;
      w(`  ${f.ts}${optional(f) ? '?' : ''}: ${tsType(f)};`);
    }
    w('}');
    w();
    w(`export function new${t.name}(init: Partial<${t.name}> = {}): ${t.name} {`);
    const entries = t.fields.filter((f) => !f.deprecated && !optional(f)).map((f) => `${f.ts}: ${defaultLiteral(f)}`);
    w(`  return { ${entries.join(', ')}${entries.length ? ', ' : ''}...init };`);
    w('}');
    w();
  }

  // Readers
  for (const t of schema.tables) {
    w(`export function read${t.name}(r: FbReader, t: FbTable): ${t.name} {`);
    w(`  const o = new${t.name}();`);
    for (const f of t.fields) {
      if (f.deprecated) continue;
      const k = f.kind;
      const label = JSON.stringify(`${t.name}.${f.name}`);
      switch (k.k) {
        case 'scalar':
          w(`  o.${f.ts} = r.${scalarReadMethod(f)}(t, ${f.slot}, ${defaultLiteral(f)}, ${label});`);
          break;
        case 'string':
          w(`  { const s = r.str(t, ${f.slot}, ${label}); if (s !== undefined) o.${f.ts} = s; }`);
          break;
        case 'table':
          w(`  { const p = r.tableField(t, ${f.slot}, ${label}); if (p) o.${f.ts} = read${k.table}(r, p); }`);
          break;
        case 'union': {
          const u = idx.unions.get(k.union);
          w(`  {`);
          w(`    const u = r.union(t, ${f.slot}, ${label}, ${u.members.length});`);
          w(`    if (u.type !== 0) {`);
          w(`      switch (u.type) {`);
          u.members.forEach((m, i) => {
            w(`        case ${i + 1}: if (u.table) o.${f.ts} = { type: ${u.name}.${m.name}, value: read${m.name}(r, u.table) }; break;`);
          });
          w(`        default: o.${f.ts} = { type: 'unknown', code: u.type };`);
          w(`      }`);
          w(`    }`);
          w(`  }`);
          break;
        }
        case 'vscalar': {
          if (k.s.kind === 'u8' && !k.enumName) {
            w(`  o.${f.ts} = r.byteVec(t, ${f.slot}, ${label});`);
          } else {
            w(`  o.${f.ts} = r.vec_${k.s.kind}(t, ${f.slot}, ${label})${k.enumName ? ` as ${k.enumName}[]` : ''};`);
          }
          break;
        }
        case 'vstring':
          w(`  o.${f.ts} = r.vecStr(t, ${f.slot}, ${label});`);
          break;
        case 'vtable':
          w(`  o.${f.ts} = r.vecTables(t, ${f.slot}, ${label}).map((p) => read${k.table}(r, p));`);
          break;
      }
    }
    w('  return o;');
    w('}');
    w();
  }

  // Writers. Children (strings, vectors, tables) are created first, in field order; then the
  // table's fields are added largest first (as flatc does) so the inline part packs tightly.
  for (const t of schema.tables) {
    w(`export function write${t.name}(w: FbWriter, o: ${t.name}): number {`);
    const live = t.fields.filter((f) => !f.deprecated);
    for (const f of live) {
      const k = f.kind;
      const v = `o.${f.ts}`;
      const label = JSON.stringify(`${t.name}.${f.name}`);
      switch (k.k) {
        case 'string':
          w(`  const ${f.ts}_ = ${v} === undefined ? 0 : w.str(${v});`);
          break;
        case 'table':
          w(`  const ${f.ts}_ = ${v} === undefined ? 0 : write${k.table}(w, ${v});`);
          break;
        case 'union': {
          const u = idx.unions.get(k.union);
          w(`  let ${f.ts}_type = 0;`);
          w(`  let ${f.ts}_ = 0;`);
          w(`  if (${v} !== undefined) {`);
          w(`    const u = ${v};`);
          w(`    switch (u.type) {`);
          for (const m of u.members) {
            w(`      case ${u.name}.${m.name}: ${f.ts}_type = u.type; ${f.ts}_ = write${m.name}(w, u.value); break;`);
          }
          w(`      default: w.fail(\`${t.name}.${f.name}: union type \${u.code} is unknown to this schema and cannot be written\`);`);
          w(`    }`);
          w(`  }`);
          break;
        }
        case 'vscalar': {
          const always = f.attrs.tfconv_always === true;
          const cond = always ? '' : `${v}.length === 0 ? 0 : `;
          if (k.s.kind === 'u8' && !k.enumName) {
            w(`  const ${f.ts}_ = ${cond}w.bytes(${v}, ${f.align ?? 1});`);
          } else {
            w(`  const ${f.ts}_ = ${cond}w.vec_${k.s.kind}(${v}, ${label}${f.align ? `, ${f.align}` : ''});`);
          }
          break;
        }
        case 'vstring': {
          const cond = f.attrs.tfconv_always === true ? '' : `${v}.length === 0 ? 0 : `;
          w(`  const ${f.ts}_ = ${cond}w.offsets(${v}.map((s) => w.str(s)));`);
          break;
        }
        case 'vtable': {
          const cond = f.attrs.tfconv_always === true ? '' : `${v}.length === 0 ? 0 : `;
          w(`  const ${f.ts}_ = ${cond}w.offsets(${v}.map((x) => write${k.table}(w, x)));`);
          break;
        }
      }
    }
    w(`  w.b.startObject(${t.slots});`);
    const sizeOf = (f) => (f.kind.k === 'scalar' ? f.kind.s.size : 4);
    const order = [...live].sort((a, b) => sizeOf(b) - sizeOf(a) || a.slot - b.slot);
    for (const f of order) {
      const k = f.kind;
      const v = `o.${f.ts}`;
      const label = JSON.stringify(`${t.name}.${f.name}`);
      if (k.k === 'scalar') {
        const kind = k.s.kind;
        if (kind === 'bool') w(`  w.b.addFieldInt8(${f.slot}, ${v} ? 1 : 0, ${f.defaultValue ? 1 : 0});`);
        else if (kind === 'f32') w(`  w.b.addFieldFloat32(${f.slot}, ${v}, ${f.defaultValue});`);
        else if (kind === 'f64') w(`  w.b.addFieldFloat64(${f.slot}, ${v}, ${f.defaultValue});`);
        else if (kind === 'i64' || kind === 'u64') {
          const dv = `${BigInt(f.defaultValue)}n`;
          w(`  w.b.addFieldInt64(${f.slot}, w.${f.bigint ? `${kind}big` : kind}(${v}, ${label}), ${dv});`);
        } else {
          const add = { i8: 'Int8', u8: 'Int8', i16: 'Int16', u16: 'Int16', i32: 'Int32', u32: 'Int32' }[kind];
          w(`  w.b.addField${add}(${f.slot}, w.${kind}(${v}, ${label}), ${f.defaultValue});`);
        }
      } else if (k.k === 'union') {
        w(`  if (${f.ts}_) w.b.addFieldOffset(${f.slot + 1}, ${f.ts}_, 0);`);
      } else {
        w(`  if (${f.ts}_) w.b.addFieldOffset(${f.slot}, ${f.ts}_, 0);`);
      }
    }
    // The union type bytes go with the other 1-byte fields, after the offsets.
    for (const f of live) {
      if (f.kind.k === 'union') w(`  if (${f.ts}_) w.b.addFieldInt8(${f.slot}, ${f.ts}_type, 0);`);
    }
    w('  return w.b.endObject();');
    w('}');
    w();
  }

  w(`export type RootTable = ${schema.rootType};`);
  w(`export const readRoot = read${schema.rootType};`);
  w(`export const writeRoot = write${schema.rootType};`);
  w();
  return out.join('\n');
}

const schema = parse(fs.readFileSync(schemaPath, 'utf8'));
const idx = check(schema);
const text = emit(schema, idx);
const prev = fs.existsSync(outPath) ? fs.readFileSync(outPath, 'utf8') : undefined;
if (prev !== text) {
  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  const tmp = `${outPath}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, outPath);
}
