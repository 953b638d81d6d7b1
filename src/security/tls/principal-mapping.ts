/**
 * `ssl.principal.mapping.rules`, Kafka's SslPrincipalMapper: a client certificate's subject (in
 * RFC 2253 form) becomes a user name by the first rule whose pattern matches the whole subject.
 *
 *   RULE:pattern/replacement/       the subject rewritten (Java regex replacement: $1, \/ for /)
 *   RULE:pattern/replacement/L      ... then lower-cased (U: upper-cased)
 *   DEFAULT                         the subject itself
 *
 * Rules are separated by commas (a comma inside a pattern is part of it: a rule ends only at its
 * closing slash and flag). A subject no rule matches fails the connection's authentication, as in Kafka.
 */
import { ConfigError } from '../../config/config-def.js';

interface Rule {
  readonly text: string;
  /** null: DEFAULT. */
  readonly whole: RegExp | null;
  readonly global: RegExp | null;
  readonly replacement: string;
  readonly caseChange: '' | 'L' | 'U';
}

export class NoMatchingRuleError extends Error {
  override readonly name = 'NoMatchingRuleError';
}

/** Reads up to the next unescaped `/` from `at`; returns the text (escapes kept) and where the slash is. */
function untilSlash(text: string, at: number): { part: string; end: number } | null {
  let i = at;
  while (i < text.length && text[i] !== '/') i += text[i] === '\\' ? 2 : 1;
  return i < text.length ? { part: text.slice(at, i), end: i } : null;
}

function invalid(all: string, rule: string, why: string): ConfigError {
  return new ConfigError(`Invalid value ${all} for configuration ssl.principal.mapping.rules: invalid rule \`${rule}\`: ${why}`);
}

function compile(all: string, text: string, pattern: string, replacement: string, caseChange: '' | 'L' | 'U'): Rule {
  try {
    return { text, whole: new RegExp(`^(?:${pattern})$`), global: new RegExp(pattern, 'g'), replacement, caseChange };
  } catch (err) {
    throw invalid(all, text, (err as Error).message);
  }
}

export function parseMappingRules(all: string): Rule[] {
  const rules: Rule[] = [];
  const text = all.trim();
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  while (i < text.length) {
    skipSpace();
    const start = i;
    if (text.startsWith('DEFAULT', i)) {
      i += 'DEFAULT'.length;
      rules.push({ text: 'DEFAULT', whole: null, global: null, replacement: '', caseChange: '' });
    } else if (text.startsWith('RULE:', i)) {
      const pattern = untilSlash(text, i + 5);
      const replacement = pattern && untilSlash(text, pattern.end + 1);
      if (!pattern || !replacement) throw invalid(all, text.slice(start), 'expected RULE:pattern/replacement/[LU]');
      i = replacement.end + 1;
      const flag = text[i] === 'L' || text[i] === 'U' ? text[i] : '';
      if (flag) i++;
      rules.push(compile(all, text.slice(start, i), pattern.part, replacement.part, flag as '' | 'L' | 'U'));
    } else {
      const rest = text.slice(start).split(',')[0];
      throw invalid(all, rest, 'a rule is RULE:pattern/replacement/[LU] or DEFAULT');
    }
    skipSpace();
    if (i < text.length) {
      if (text[i] !== ',') throw invalid(all, text.slice(start), `unmatched substring \`${text.slice(i)}\``);
      i++;
      skipSpace();
      if (i >= text.length) throw invalid(all, text.slice(start), 'a trailing comma');
    }
  }
  if (rules.length === 0) throw invalid(all, all, 'no rule (DEFAULT maps the subject to itself)');
  return rules;
}

/** Java's replacement syntax: `$n` a group (as many digits as name a group), `\c` the character c. */
function javaReplacement(replacement: string, groups: readonly (string | undefined)[]): string {
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i];
    if (c === '\\' && i + 1 < replacement.length) {
      out += replacement[++i];
    } else if (c === '$' && /\d/.test(replacement[i + 1] ?? '')) {
      let n = Number(replacement[++i]);
      while (/\d/.test(replacement[i + 1] ?? '') && n * 10 + Number(replacement[i + 1]) < groups.length) n = n * 10 + Number(replacement[++i]);
      // Kafka escapes a reference to a group the pattern lacks, so it stays literal.
      out += n < groups.length ? (groups[n] ?? '') : `$${n}`;
    } else {
      out += c;
    }
  }
  return out;
}

function apply(rule: Rule, dn: string): string | null {
  if (!rule.whole || !rule.global) return dn;
  if (!rule.whole.test(dn)) return null;
  const result = dn.replace(rule.global, (...args: unknown[]) => {
    // replace's callback: the match, the groups, then offset and string (and named groups).
    const end = args.findIndex((a) => typeof a === 'number');
    return javaReplacement(rule.replacement, args.slice(0, end) as (string | undefined)[]);
  });
  if (rule.caseChange === 'L') return result.toLowerCase();
  if (rule.caseChange === 'U') return result.toUpperCase();
  return result;
}

export class PrincipalMapper {
  private readonly rules: Rule[];

  constructor(rules: string) {
    this.rules = parseMappingRules(rules);
  }

  /** The user name for subject `dn`; throws NoMatchingRuleError when no rule applies. */
  name(dn: string): string {
    for (const rule of this.rules) {
      const result = apply(rule, dn);
      if (result !== null) return result;
    }
    throw new NoMatchingRuleError(`No rules apply to ${dn}, rules [${this.rules.map((r) => r.text).join(', ')}]`);
  }
}
