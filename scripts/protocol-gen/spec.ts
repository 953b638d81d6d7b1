/**
 * Reads Kafka's JSON message definitions into a small intermediate form the emitters walk:
 * version ranges parsed, common structs resolved, names turned into TypeScript names.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const MAX_VERSION = 0x7fff;

export interface Range {
  min: number;
  max: number;
}

export type Primitive = 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'float64' | 'uuid' | 'string' | 'bytes' | 'records';

export type FieldType =
  | { kind: 'primitive'; name: Primitive }
  | { kind: 'struct'; struct: StructDef }
  | { kind: 'array'; element: FieldType };

export interface FieldDef {
  /** The spec's name (PascalCase). */
  specName: string;
  /** The property name in TypeScript (camelCase). */
  prop: string;
  type: FieldType;
  versions: Range | null;
  nullableVersions: Range | null;
  taggedVersions: Range | null;
  tag: number | null;
  ignorable: boolean;
  /** Field-level override of the message's flexible versions (only RequestHeader.ClientId uses it). */
  flexibleVersions: Range | null | undefined;
  /** The spec's default, as written there (undefined when the type's zero value applies). */
  defaultLiteral: string | number | boolean | undefined;
  entityType: string | undefined;
}

export interface StructDef {
  /** TypeScript type name, unique within the message. */
  typeName: string;
  fields: FieldDef[];
  /** Versions in which the struct can appear (its field's versions within the message's). */
  versions: Range;
}

export interface MessageDef {
  name: string;
  kind: 'request' | 'response' | 'header' | 'data';
  apiKey: number | null;
  validVersions: Range;
  flexibleVersions: Range | null;
  latestVersionUnstable: boolean;
  root: StructDef;
  /** Every struct of the message, root first, in definition order. */
  structs: StructDef[];
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number | string;
  ignorable?: boolean;
  flexibleVersions?: string;
  default?: string | number | boolean;
  entityType?: string;
  fields?: RawField[];
}

interface RawMessage {
  name: string;
  type: string;
  apiKey?: number;
  validVersions: string;
  flexibleVersions?: string;
  latestVersionUnstable?: boolean;
  fields: RawField[];
  commonStructs?: { name: string; versions: string; fields: RawField[] }[];
}

/** Removes `//` comments (outside strings): Kafka's specs are JSON with line comments. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

export function parseRange(text: string | undefined): Range | null {
  if (text === undefined || text === 'none') return null;
  const t = text.trim();
  if (t.endsWith('+')) return { min: Number(t.slice(0, -1)), max: MAX_VERSION };
  const dash = t.indexOf('-');
  if (dash >= 0) return { min: Number(t.slice(0, dash)), max: Number(t.slice(dash + 1)) };
  return { min: Number(t), max: Number(t) };
}

export function intersect(a: Range, b: Range): Range | null {
  const min = Math.max(a.min, b.min);
  const max = Math.min(a.max, b.max);
  return min <= max ? { min, max } : null;
}

export function covers(outer: Range | null, inner: Range): boolean {
  return outer !== null && outer.min <= inner.min && outer.max >= inner.max;
}

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

const PRIMITIVES = new Set<string>(['bool', 'int8', 'int16', 'uint16', 'int32', 'int64', 'float64', 'uuid', 'string', 'bytes', 'records']);

class MessageBuilder {
  readonly structs: StructDef[] = [];
  private readonly common = new Map<string, { fields: RawField[]; built?: StructDef }>();

  constructor(private readonly raw: RawMessage) {
    for (const cs of raw.commonStructs ?? []) this.common.set(cs.name, { fields: cs.fields });
  }

  build(): MessageDef {
    const validVersions = parseRange(this.raw.validVersions);
    if (!validVersions) throw new Error(`${this.raw.name}: no valid versions`);
    const kind = this.raw.type as MessageDef['kind'];
    const root = this.struct(this.raw.name, this.raw.fields, validVersions);
    return {
      name: this.raw.name,
      kind,
      apiKey: this.raw.apiKey ?? null,
      validVersions,
      flexibleVersions: parseRange(this.raw.flexibleVersions),
      latestVersionUnstable: this.raw.latestVersionUnstable === true,
      root,
      structs: this.structs,
    };
  }

  private struct(specName: string, rawFields: RawField[], versions: Range): StructDef {
    const typeName = specName === this.raw.name ? specName : `${this.raw.name}${specName}`;
    const def: StructDef = { typeName, fields: [], versions };
    this.structs.push(def);
    def.fields = rawFields.map((f) => this.field(f, versions));
    return def;
  }

  private field(f: RawField, within: Range): FieldDef {
    const versions = parseRange(f.versions);
    const effective = versions ? intersect(versions, within) : null;
    return {
      specName: f.name,
      prop: camel(f.name),
      type: this.type(f.type, f, effective ?? within),
      versions,
      nullableVersions: parseRange(f.nullableVersions),
      taggedVersions: parseRange(f.taggedVersions),
      tag: f.tag === undefined ? null : Number(f.tag),
      ignorable: f.ignorable === true,
      flexibleVersions: f.flexibleVersions === undefined ? undefined : parseRange(f.flexibleVersions),
      defaultLiteral: f.default,
      entityType: f.entityType,
    };
  }

  private type(type: string, f: RawField, versions: Range): FieldType {
    if (type.startsWith('[]')) return { kind: 'array', element: this.type(type.slice(2), f, versions) };
    if (PRIMITIVES.has(type)) return { kind: 'primitive', name: type as Primitive };
    if (f.fields) return { kind: 'struct', struct: this.struct(type, f.fields, versions) };
    const common = this.common.get(type);
    if (!common) throw new Error(`${this.raw.name}: unknown type ${type}`);
    // A common struct is emitted once, valid over the union of the places it is used.
    if (!common.built) common.built = this.struct(type, common.fields, versions);
    else widen(common.built, versions);
    return { kind: 'struct', struct: common.built };
  }
}

/**
 * Widens a struct's versions to cover `versions` too, and with them the structs its fields hold:
 * a common struct first met inside a field of newer versions only must not keep those narrow
 * versions when it is met again in older ones (AddPartitionsToTxnResponse reaches its partition
 * results through a v4+ field before the v0-3 one).
 */
function widen(def: StructDef, versions: Range): void {
  const union = { min: Math.min(def.versions.min, versions.min), max: Math.max(def.versions.max, versions.max) };
  if (union.min === def.versions.min && union.max === def.versions.max) return;
  def.versions = union;
  for (const f of def.fields) {
    const effective = f.versions ? intersect(f.versions, union) : union;
    if (!effective) continue;
    let t = f.type;
    while (t.kind === 'array') t = t.element;
    if (t.kind === 'struct') widen(t.struct, effective);
  }
}

export function loadMessage(path: string): MessageDef {
  const raw = JSON.parse(stripComments(readFileSync(path, 'utf8'))) as RawMessage;
  return new MessageBuilder(raw).build();
}

export function loadAll(specDir: string): MessageDef[] {
  return readdirSync(specDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => loadMessage(join(specDir, f)));
}
