/**
 * A runtime description of each generated message, emitted next to its codec. The codecs do not
 * need it; tests and tools do (random sample messages, fuzzing, documentation of versions).
 */

/** An inclusive version range; `max` is 32767 for open ranges ("3+"). */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export type PrimitiveName = 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'float64' | 'uuid' | 'string' | 'bytes' | 'records';

export type FieldTypeSchema =
  | { readonly kind: 'primitive'; readonly name: PrimitiveName }
  | { readonly kind: 'struct'; readonly struct: () => StructSchema }
  | { readonly kind: 'array'; readonly element: FieldTypeSchema };

export interface FieldSchema {
  readonly name: string;
  readonly type: FieldTypeSchema;
  readonly versions: VersionRange | null;
  readonly nullableVersions: VersionRange | null;
  readonly taggedVersions: VersionRange | null;
  readonly tag: number | null;
  readonly ignorable: boolean;
  /** The value a decoder gives when the field is absent from a version; a struct default is built from its fields. */
  readonly defaultValue: () => unknown;
  readonly entityType: string | null;
}

export interface StructSchema {
  readonly name: string;
  readonly fields: readonly FieldSchema[];
}

export interface MessageSchema {
  readonly name: string;
  readonly kind: 'request' | 'response' | 'header' | 'data';
  readonly apiKey: number | null;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange | null;
  /** Kafka marks some newest versions as unstable: they are not to be advertised. */
  readonly latestVersionUnstable: boolean;
  readonly root: StructSchema;
}

export function inRange(range: VersionRange | null, version: number): boolean {
  return range !== null && version >= range.min && version <= range.max;
}
