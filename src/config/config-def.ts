/**
 * Kafka-style configuration definitions: each key has a type, a default, a validator and a short
 * description. Values travel as strings (as in DescribeConfigs and server.properties) and are
 * parsed and checked against their definition.
 */

/** Kafka's ConfigType codes (DescribeConfigs v3+). */
export enum ConfigType {
  Unknown = 0,
  Boolean = 1,
  String = 2,
  Int = 3,
  Short = 4,
  Long = 5,
  Double = 6,
  List = 7,
  Class = 8,
  Password = 9,
}

/** A configuration the broker cannot start with; the message says which key and why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const LONG_MAX = '9223372036854775807';

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** The default as Kafka prints it, or null when there is none. */
  readonly defaultValue: string | null;
  readonly doc: string;
  /** Returns an error text when the (already type-checked) value is not allowed. */
  readonly validate?: (value: string) => string | null;
  readonly readOnly?: boolean;
  readonly sensitive?: boolean;
}

const INT_RE = /^-?\d+$/;

function checkInteger(value: string, min: bigint, max: bigint): string | null {
  const t = value.trim();
  if (!INT_RE.test(t)) return `expected an integer, got "${value}"`;
  const n = BigInt(t);
  if (n < min || n > max) return `${t} is outside [${min}, ${max}]`;
  return null;
}

/** Checks that a value has the definition's type and passes its validator; returns the error text or null. */
export function checkValue(def: ConfigDef, value: string): string | null {
  let typeError: string | null = null;
  switch (def.type) {
    case ConfigType.Boolean:
      if (!/^(true|false)$/i.test(value.trim())) typeError = `expected true or false, got "${value}"`;
      break;
    case ConfigType.Int:
      typeError = checkInteger(value, -(2n ** 31n), 2n ** 31n - 1n);
      break;
    case ConfigType.Short:
      typeError = checkInteger(value, -(2n ** 15n), 2n ** 15n - 1n);
      break;
    case ConfigType.Long:
      typeError = checkInteger(value, -(2n ** 63n), 2n ** 63n - 1n);
      break;
    case ConfigType.Double:
      if (value.trim() === '' || !Number.isFinite(Number(value))) typeError = `expected a number, got "${value}"`;
      break;
    default:
      break;
  }
  if (typeError) return `Invalid value ${value} for configuration ${def.name}: ${typeError}`;
  const invalid = def.validate?.(value.trim());
  return invalid ? `Invalid value ${value} for configuration ${def.name}: ${invalid}` : null;
}

export function atLeast(min: number): (v: string) => string | null {
  return (v) => (Number(v) < min ? `value must be at least ${min}` : null);
}

export function between(min: number, max: number): (v: string) => string | null {
  return (v) => (Number(v) < min || Number(v) > max ? `value must be between ${min} and ${max}` : null);
}

export function oneOf(...allowed: string[]): (v: string) => string | null {
  return (v) => (allowed.includes(v) ? null : `String must be one of: ${allowed.join(', ')}`);
}

export function listOf(...allowed: string[]): (v: string) => string | null {
  return (v) => {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const bad = items.find((i) => !allowed.includes(i));
    return bad === undefined ? null : `Invalid value ${bad}: must be one of ${allowed.join(', ')}`;
  };
}

/**
 * The logical lines of a `.properties` text: a line ending in an odd number of backslashes goes on
 * in the next one, whose leading white space is dropped (java.util.Properties), as inline PEM
 * values (ssl.keystore.key, ssl.keystore.certificate.chain) are written.
 */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let pending: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line: string = pending === null ? raw : pending + raw.replace(/^\s+/, '');
    const trailing = /\\+$/.exec(line)?.[0].length ?? 0;
    const comment = pending === null && /^\s*[#!]/.test(line);
    if (trailing % 2 === 1 && !comment) pending = line.slice(0, -1);
    else {
      out.push(line);
      pending = null;
    }
  }
  if (pending !== null) out.push(pending);
  return out;
}

/** Reads a Kafka `.properties` text: `key=value` or `key: value` lines, `#` and `!` comments, `\` line continuations. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rawLine of logicalLines(text)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out.set(m[1], m[2].trim());
    else out.set(line, '');
  }
  return out;
}
