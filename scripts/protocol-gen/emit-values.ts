/**
 * Small pieces of generated TypeScript shared by the emitters: version conditions, TypeScript
 * types, default values and "is this the default" tests for a field.
 */
import { covers, type FieldDef, type FieldType, type MessageDef, type Range, type StructDef } from './spec.js';

/** A condition on `version`, simplified against the versions the enclosing struct can have. */
export function versionCond(range: Range | null, within: Range): string {
  if (range === null) return 'false';
  if (range.min > within.max || range.max < within.min) return 'false';
  const needMin = range.min > within.min;
  const needMax = range.max < within.max;
  if (needMin && needMax) return range.min === range.max ? `version === ${range.min}` : `version >= ${range.min} && version <= ${range.max}`;
  if (needMin) return `version >= ${range.min}`;
  if (needMax) return `version <= ${range.max}`;
  return 'true';
}

/** How a field's compact-or-classic choice is made: a constant, or the struct's `flexible` variable. */
export type Flex = 'flexible' | 'true' | 'false';

export function fieldFlex(msg: MessageDef, field: FieldDef, within: Range): Flex {
  if (field.flexibleVersions !== undefined) {
    const c = versionCond(field.flexibleVersions, within);
    if (c !== 'true' && c !== 'false') throw new Error(`${msg.name}.${field.specName}: partial field flexible versions are not supported`);
    return c;
  }
  return messageFlex(msg, within);
}

export function messageFlex(msg: MessageDef, within: Range): Flex {
  const c = versionCond(msg.flexibleVersions, within);
  return c === 'true' || c === 'false' ? c : 'flexible';
}

export function isNullable(field: FieldDef): boolean {
  return field.nullableVersions !== null;
}

export function isTagged(field: FieldDef): boolean {
  return field.taggedVersions !== null;
}

/** Fields an encoder caller must give: always present, untagged, with no default in the spec. */
export function isRequiredInput(field: FieldDef, struct: StructDef): boolean {
  return !isTagged(field) && field.defaultLiteral === undefined && covers(field.versions, struct.versions);
}

export function structHasTaggedSection(msg: MessageDef, struct: StructDef): boolean {
  return messageFlex(msg, struct.versions) !== 'false';
}

const PRIMITIVE_TS: Record<string, string> = {
  bool: 'boolean',
  int8: 'number',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  int64: 'bigint',
  float64: 'number',
  uuid: 'string',
  string: 'string',
  bytes: 'Buffer',
  records: 'Buffer',
};

export function tsType(type: FieldType, input: boolean): string {
  switch (type.kind) {
    case 'primitive':
      return PRIMITIVE_TS[type.name];
    case 'struct':
      return input ? `${type.struct.typeName}Input` : type.struct.typeName;
    case 'array': {
      const el = tsType(type.element, input);
      return `${el}[]`;
    }
  }
}

export function fieldTsType(field: FieldDef, input: boolean): string {
  const t = tsType(field.type, input);
  return isNullable(field) ? `${t} | null` : t;
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

function isNullDefault(field: FieldDef): boolean {
  return field.defaultLiteral === 'null';
}

/** An expression giving the field's default value (a fresh one for mutable types). */
export function defaultExpr(msg: MessageDef, field: FieldDef): string {
  const lit = field.defaultLiteral;
  const where = `${msg.name}.${field.specName}`;
  if (isNullDefault(field)) {
    if (!isNullable(field)) throw new Error(`${where}: null default on a non-nullable field`);
    return 'null';
  }
  const t = field.type;
  if (t.kind === 'array') return '[]';
  if (t.kind === 'struct') return `default${t.struct.typeName}()`;
  switch (t.name) {
    case 'bool':
      return lit === undefined ? 'false' : String(lit === true || lit === 'true');
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'float64':
      return lit === undefined ? '0' : String(Number(lit));
    case 'int64':
      return lit === undefined ? '0n' : `${BigInt(lit as string | number)}n`;
    case 'uuid':
      return JSON.stringify(ZERO_UUID);
    case 'string':
      return lit === undefined ? "''" : JSON.stringify(String(lit));
    case 'bytes':
      return 'Buffer.alloc(0)';
    case 'records':
      return isNullable(field) ? 'null' : 'Buffer.alloc(0)';
  }
}

/** A boolean expression: does `e` hold the field's default (the test Kafka applies before writing tagged fields)? */
export function isDefaultExpr(msg: MessageDef, field: FieldDef, e: string): string {
  const def = defaultExpr(msg, field);
  if (def === 'null') return `${e} === null`;
  const t = field.type;
  const nonNull = isNullable(field) ? `${e} !== null && ` : '';
  if (t.kind === 'array') return `(${nonNull}${e}.length === 0)`;
  if (t.kind === 'struct') return `(${nonNull}isDefault${t.struct.typeName}(${e}))`;
  if (t.name === 'bytes' || t.name === 'records') return `(${nonNull}${e}.length === 0)`;
  return `${e} === ${def}`;
}
