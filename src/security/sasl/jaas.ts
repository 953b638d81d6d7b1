/**
 * Reads a JAAS configuration entry as Kafka's brokers take it in `sasl.jaas.config`:
 *
 *   org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="secret" username="admin";
 *
 * i.e. a login module class, a control flag, then `key=value` options (values quoted or bare),
 * ended by a semicolon. Only what Tributary needs is kept: the module and its options.
 */
export interface JaasEntry {
  readonly loginModule: string;
  readonly flag: string;
  readonly options: ReadonlyMap<string, string>;
}

export class JaasSyntaxError extends Error {
  override readonly name = 'JaasSyntaxError';
}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);

/** Splits the text into words, `=` and `;`, keeping quoted strings whole (with \" and \\ escapes). */
function tokens(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '=' || c === ';') {
      out.push(c);
      i++;
    } else if (c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new JaasSyntaxError('unterminated quoted value in the JAAS configuration');
        const d = text[i++];
        if (d === '"') break;
        if (d === '\\' && i < text.length) value += text[i++];
        else value += d;
      }
      // Marked so that a quoted "=" or ";" is never taken for punctuation.
      out.push(`"${value}`);
    } else {
      let word = '';
      while (i < text.length && !/[\s=;"]/.test(text[i])) word += text[i++];
      out.push(word);
    }
  }
  return out;
}

function unquote(token: string): string {
  return token.startsWith('"') ? token.slice(1) : token;
}

/** Parses one entry (the first, if several are given). */
export function parseJaasConfig(text: string): JaasEntry {
  const t = tokens(text);
  const loginModule = t.shift();
  const flag = t.shift();
  if (loginModule === undefined || loginModule.startsWith('"') || loginModule === ';') throw new JaasSyntaxError('the JAAS configuration names no login module');
  if (flag === undefined || !FLAGS.has(flag.toLowerCase())) throw new JaasSyntaxError(`the JAAS login module ${loginModule} needs a control flag (required, requisite, sufficient or optional)`);
  const options = new Map<string, string>();
  for (;;) {
    const key = t.shift();
    if (key === undefined) throw new JaasSyntaxError('the JAAS configuration must end with a semicolon');
    if (key === ';') break;
    if (key.startsWith('"') || key === '=') throw new JaasSyntaxError(`unexpected ${unquote(key)} in the JAAS configuration: expected an option name`);
    if (t.shift() !== '=') throw new JaasSyntaxError(`the JAAS option ${key} has no value`);
    const value = t.shift();
    if (value === undefined || value === ';' || value === '=') throw new JaasSyntaxError(`the JAAS option ${key} has no value`);
    options.set(key, unquote(value));
  }
  return { loginModule, flag: flag.toLowerCase(), options };
}

/** The `user_<name>="<password>"` options of a PlainLoginModule entry, as name → password. */
export function plainUsers(entry: JaasEntry): Map<string, string> {
  const users = new Map<string, string>();
  for (const [key, value] of entry.options) if (key.startsWith('user_') && key.length > 5) users.set(key.slice(5), value);
  return users;
}
