/**
 * How `tributary consume` prints a record: a kcat-style format string (-f), or a JSON envelope.
 *
 *   %t topic  %p partition  %o offset  %T timestamp (ms)  %k key  %v value  %h headers (k=v,…)
 *   %K key length (-1 for none)  %S value length  %%  and the escapes \n \t \\
 */
export interface PrintableRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyMap<Buffer, Buffer>;
}

const text = (b: Buffer | null) => (b === null ? '' : b.toString('utf8'));

export function formatRecord(format: string, r: PrintableRecord): string {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c === '\\' && i + 1 < format.length) {
      const e = format[++i];
      out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
      continue;
    }
    if (c !== '%' || i + 1 >= format.length) {
      out += c;
      continue;
    }
    const f = format[++i];
    if (f === 't') out += r.topic;
    else if (f === 'p') out += String(r.partition);
    else if (f === 'o') out += String(r.offset);
    else if (f === 'T') out += String(r.timestamp);
    else if (f === 'k') out += text(r.key);
    else if (f === 'v') out += text(r.value);
    else if (f === 'K') out += String(r.key === null ? -1 : r.key.length);
    else if (f === 'S') out += String(r.value === null ? -1 : r.value.length);
    else if (f === 'h') out += [...r.headers].map(([k, v]) => `${k.toString('utf8')}=${v.toString('utf8')}`).join(',');
    else if (f === '%') out += '%';
    else out += `%${f}`;
  }
  return out;
}

/** One line of JSON per record: text where the bytes are UTF-8, base64 otherwise (with a flag). */
export function jsonRecord(r: PrintableRecord): string {
  const enc = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));
  const headers = Object.fromEntries([...r.headers].map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]));
  return JSON.stringify({ topic: r.topic, partition: r.partition, offset: Number(r.offset), timestamp: Number(r.timestamp), key: enc(r.key), value: enc(r.value), headers });
}
