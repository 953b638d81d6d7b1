/**
 * Emits the encode and decode functions of one struct. Fields are handled in spec order; tagged
 * fields go to the tagged section that closes the struct in flexible versions, sorted by tag and
 * merged with the unknown tags a decoder kept.
 */
import { intersect, type FieldDef, type FieldType, type MessageDef, type StructDef } from './spec.js';
import {
  defaultExpr,
  fieldFlex,
  isDefaultExpr,
  isNullable,
  isRequiredInput,
  isTagged,
  messageFlex,
  structHasTaggedSection,
  versionCond,
  type Flex,
} from './emit-values.js';

class Names {
  private n = 0;
  next(prefix: string): string {
    return `${prefix}${this.n++}`;
  }
}

function pick(flex: Flex, compact: string, classic: string): string {
  if (flex === 'true') return compact;
  if (flex === 'false') return classic;
  return `(flexible ? ${compact} : ${classic})`;
}

function pickStmt(flex: Flex, compact: string, classic: string): string[] {
  if (flex === 'true') return [compact];
  if (flex === 'false') return [classic];
  return [`if (flexible) ${compact}`, `else ${classic}`];
}

/** Statements writing value `e` of type `t` to writer `w`. */
function encodeValue(t: FieldType, e: string, w: string, flex: Flex, nullable: boolean, names: Names): string[] {
  if (t.kind === 'primitive') {
    switch (t.name) {
      case 'string':
        return nullable
          ? pickStmt(flex, `${w}.compactNullableString(${e});`, `${w}.nullableString(${e});`)
          : pickStmt(flex, `${w}.compactString(${e});`, `${w}.string(${e});`);
      case 'bytes':
      case 'records':
        return nullable
          ? pickStmt(flex, `${w}.compactNullableBytes(${e});`, `${w}.nullableBytes(${e});`)
          : pickStmt(flex, `${w}.compactBytes(${e});`, `${w}.bytes(${e});`);
      default:
        return [`${w}.${t.name}(${e});`];
    }
  }
  if (t.kind === 'struct') {
    const call = `encode${t.struct.typeName}(${w}, version, ${e});`;
    if (!nullable) return [call];
    return [`if (${e} === null) ${w}.int8(-1);`, `else {`, `  ${w}.int8(1);`, `  ${call}`, `}`];
  }
  const item = names.next('item');
  const lines: string[] = [];
  const lengthStmt = (len: string) => pickStmt(flex, `${w}.compactArrayLength(${len});`, `${w}.arrayLength(${len});`);
  const loop = [`for (const ${item} of ${e}) {`, ...encodeValue(t.element, item, w, flex, false, names).map((l) => `  ${l}`), `}`];
  if (nullable) {
    lines.push(`if (${e} === null) {`, ...lengthStmt('-1').map((l) => `  ${l}`), `} else {`);
    lines.push(...lengthStmt(`${e}.length`).map((l) => `  ${l}`), ...loop.map((l) => `  ${l}`), `}`);
  } else {
    lines.push(...lengthStmt(`${e}.length`), ...loop);
  }
  return lines;
}

/** Statements reading a value of type `t` from reader `r` into the assignable `target`. */
function decodeValue(t: FieldType, target: string, r: string, flex: Flex, nullable: string, names: Names, elementType: (t: FieldType) => string): string[] {
  const maybeNull = nullable !== 'false';
  if (t.kind === 'primitive') {
    let expr: string;
    switch (t.name) {
      case 'string': {
        const nonNull = pick(flex, `${r}.compactString()`, `${r}.string()`);
        const orNull = pick(flex, `${r}.compactNullableString()`, `${r}.nullableString()`);
        expr = !maybeNull ? nonNull : nullable === 'true' ? orNull : `(${nullable} ? ${orNull} : ${nonNull})`;
        break;
      }
      case 'bytes':
      case 'records': {
        const nonNull = pick(flex, `${r}.compactBytes()`, `${r}.bytes()`);
        const orNull = pick(flex, `${r}.compactNullableBytes()`, `${r}.nullableBytes()`);
        expr = !maybeNull ? nonNull : nullable === 'true' ? orNull : `(${nullable} ? ${orNull} : ${nonNull})`;
        break;
      }
      default:
        expr = `${r}.${t.name}()`;
    }
    return [`${target} = ${expr};`];
  }
  if (t.kind === 'struct') {
    const call = `decode${t.struct.typeName}(${r}, version)`;
    if (!maybeNull) return [`${target} = ${call};`];
    return [`${target} = ${r}.int8() < 0 ? null : ${call};`];
  }
  const n = names.next('n');
  const arr = names.next('array');
  const i = names.next('i');
  const nullableArg = maybeNull ? nullable : 'false';
  const len = pick(flex, `${r}.compactArrayLength(${nullableArg})`, `${r}.arrayLength(${nullableArg})`);
  const elType = elementType(t.element);
  const body = [
    `const ${arr}: ${elType}[] = [];`,
    `for (let ${i} = 0; ${i} < ${n}; ${i}++) {`,
    `  let el: ${elType};`,
    ...decodeValue(t.element, 'el', r, flex, 'false', names, elementType).map((l) => `  ${l}`),
    `  ${arr}.push(el);`,
    `}`,
    `${target} = ${arr};`,
  ];
  const lines = [`{`, `  const ${n} = ${len};`];
  if (maybeNull) lines.push(`  if (${n} < 0) ${target} = null;`, `  else {`, ...body.map((l) => `    ${l}`), `  }`);
  else lines.push(...body.map((l) => `  ${l}`));
  lines.push(`}`);
  return lines;
}

function indent(lines: string[], by = '  '): string[] {
  return lines.map((l) => (l === '' ? l : by + l));
}

export function emitEncoder(msg: MessageDef, s: StructDef): string[] {
  const names = new Names();
  const out: string[] = [];
  const flexMode = messageFlex(msg, s.versions);
  out.push(`export function encode${s.typeName}(w: Writer, version: number, v: ${s.typeName}Input): void {`);
  if (flexMode === 'flexible') out.push(`  const flexible = ${versionCond(msg.flexibleVersions, s.versions)};`);
  const tagged: FieldDef[] = [];
  for (const f of s.fields) {
    // `=== undefined`, not `??`: a null given for a nullable field must stay null.
    const value = isRequiredInput(f, s) ? `v.${f.prop}` : `(v.${f.prop} === undefined ? ${defaultExpr(msg, f)} : v.${f.prop})`;
    const present = versionCond(f.versions, s.versions);
    const presentRange = (f.versions && intersect(f.versions, s.versions)) ?? s.versions;
    if (isTagged(f)) {
      tagged.push(f);
    } else if (present !== 'false') {
      const flex = fieldFlex(msg, f, s.versions);
      const body: string[] = [];
      const nullableCond = versionCond(f.nullableVersions, presentRange);
      if (isNullable(f) && nullableCond !== 'true') {
        body.push(`if (v.${f.prop} === null && !(${nullableCond})) throw new EncodeError('${msg.name}.${f.specName} is not nullable in version ' + version);`);
      }
      const local = names.next('f');
      body.push(`const ${local} = ${value};`);
      body.push(...encodeValue(f.type, local, 'w', flex, isNullable(f), names));
      if (present === 'true') out.push(...indent(body));
      else out.push(`  if (${present}) {`, ...indent(body, '    '), `  }`);
    }
    if (present !== 'true' && !f.ignorable && !isTagged(f)) {
      const cond = present === 'false' ? '' : `!(${present}) && `;
      out.push(
        `  if (${cond}v.${f.prop} !== undefined && !(${isDefaultExpr(msg, f, `v.${f.prop}`)})) throw new EncodeError('${msg.name}.${f.specName} cannot be sent in version ' + version);`,
      );
    }
  }
  if (structHasTaggedSection(msg, s)) {
    const sorted = [...tagged].sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0));
    const section: string[] = [`const unknown = v.unknownTaggedFields ?? NO_TAGGED_FIELDS;`, `let count = unknown.length;`];
    const flags: string[] = [];
    for (const f of sorted) {
      const flag = names.next('t');
      flags.push(flag);
      const cond = versionCond(f.taggedVersions, s.versions);
      section.push(`const ${flag} = ${cond} && v.${f.prop} !== undefined && !(${isDefaultExpr(msg, f, `v.${f.prop}`)});`);
      section.push(`if (${flag}) count++;`);
    }
    section.push(`w.unsignedVarint(count);`);
    if (sorted.length > 0) section.push(`let next = 0;`);
    sorted.forEach((f, idx) => {
      const local = names.next('f');
      section.push(`if (${flags[idx]}) {`);
      section.push(`  next = writeUnknownTaggedFields(w, unknown, next, ${f.tag});`);
      section.push(`  const ${local} = v.${f.prop}!;`);
      section.push(`  const tw = new Writer(64);`);
      section.push(...indent(encodeValue(f.type, local, 'tw', 'true', isNullable(f), names)));
      section.push(`  writeTaggedField(w, ${f.tag}, tw.toBuffer());`);
      section.push(`}`);
    });
    section.push(`writeUnknownTaggedFields(w, unknown, ${sorted.length > 0 ? 'next' : '0'}, Infinity);`);
    if (flexMode === 'true') out.push(...indent(section));
    else out.push(`  if (flexible) {`, ...indent(section, '    '), `  }`);
  }
  out.push(`}`);
  return out;
}

export function emitDecoder(msg: MessageDef, s: StructDef, tsTypeOf: (t: FieldType, input: boolean) => string): string[] {
  const names = new Names();
  const out: string[] = [];
  const flexMode = messageFlex(msg, s.versions);
  const elementType = (t: FieldType) => tsTypeOf(t, false);
  out.push(`export function decode${s.typeName}(r: Reader, version: number): ${s.typeName} {`);
  if (flexMode === 'flexible') out.push(`  const flexible = ${versionCond(msg.flexibleVersions, s.versions)};`);
  const local = (f: FieldDef) => `f_${f.prop}`;
  const fieldType = (f: FieldDef) => {
    const t = tsTypeOf(f.type, false);
    return isNullable(f) ? `${t} | null` : t;
  };
  for (const f of s.fields) {
    const present = versionCond(f.versions, s.versions);
    if (present === 'true' && !isTagged(f)) out.push(`  let ${local(f)}: ${fieldType(f)};`);
    else out.push(`  let ${local(f)}: ${fieldType(f)} = ${defaultExpr(msg, f)};`);
  }
  const tagged: FieldDef[] = [];
  for (const f of s.fields) {
    if (isTagged(f)) {
      tagged.push(f);
      continue;
    }
    const present = versionCond(f.versions, s.versions);
    if (present === 'false') continue;
    const presentRange = (f.versions && intersect(f.versions, s.versions)) ?? s.versions;
    const nullable = isNullable(f) ? versionCond(f.nullableVersions, presentRange) : 'false';
    const body = decodeValue(f.type, local(f), 'r', fieldFlex(msg, f, s.versions), nullable, names, elementType);
    if (present === 'true') out.push(...indent(body));
    else out.push(`  if (${present}) {`, ...indent(body, '    '), `  }`);
  }
  const hasSection = structHasTaggedSection(msg, s);
  if (hasSection) {
    out.push(`  let unknownTaggedFields: RawTaggedField[] | undefined;`);
    const section: string[] = [`const count = readTaggedFieldCount(r);`, `for (let i = 0; i < count; i++) {`, `  const field = readTaggedField(r);`];
    let first = true;
    for (const f of tagged) {
      const cond = versionCond(f.taggedVersions, s.versions);
      const nullable = isNullable(f) ? versionCond(f.nullableVersions, s.versions) : 'false';
      section.push(`  ${first ? 'if' : 'else if'} (field.tag === ${f.tag} && ${cond}) {`);
      section.push(...indent(decodeValue(f.type, local(f), 'field.value', 'true', nullable, names, elementType), '    '));
      section.push(`  }`);
      first = false;
    }
    const pushUnknown = `(unknownTaggedFields ??= []).push({ tag: field.tag, data: field.value.buf.subarray(field.value.offset, field.value.end) });`;
    section.push(first ? `  ${pushUnknown}` : `  else ${pushUnknown}`);
    section.push(`}`);
    if (flexMode === 'true') out.push(...indent(section));
    else out.push(`  if (flexible) {`, ...indent(section, '    '), `  }`);
  }
  const props = s.fields.map((f) => `${f.prop}: ${local(f)}`);
  out.push(`  const v: ${s.typeName} = { ${props.join(', ')} };`);
  if (hasSection) out.push(`  if (unknownTaggedFields !== undefined) v.unknownTaggedFields = unknownTaggedFields;`);
  out.push(`  return v;`);
  out.push(`}`);
  return out;
}
