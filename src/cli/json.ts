/**
 * JSON for the CLI's --json output. Producer ids, offsets and timestamps are int64: they are
 * written as exact JSON numbers (JSON.stringify refuses bigints, and Number() would round ids
 * above 2^53), so a reader with 64-bit integers gets them back unchanged.
 */
export type JsonValue = string | number | bigint | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export function toJson(value: JsonValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  const entries = Object.entries(value as { readonly [key: string]: JsonValue });
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
}
