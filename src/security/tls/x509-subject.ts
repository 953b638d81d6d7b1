/**
 * A certificate's subject as the RFC 2253 string Java's X500Principal.getName() gives, which is
 * what Kafka's default principal builder names an SSL client ("CN=alice,OU=eng,O=Acme,C=DE"): the
 * RDNs last-first, the keywords CN C L ST O OU STREET DC UID, any other attribute as its dotted
 * OID with the value's DER bytes in hex (#...), special characters escaped with a backslash.
 *
 * node:crypto's X509Certificate.subject keeps the certificate's order and its own escaping, so the
 * subject is read from the DER bytes here (only the walk down to the subject Name: tag, length,
 * contents; no other part of the certificate is interpreted).
 *
 *   Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
 *                   signature, issuer Name, validity, subject Name, ... }, ... }
 *   Name ::= SEQUENCE OF SET OF SEQUENCE { type OBJECT IDENTIFIER, value ANY }
 */

interface Tlv {
  readonly tag: number;
  /** Where the whole element starts and its contents start and end, in the buffer. */
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

function readTlv(der: Buffer, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new Error('truncated DER element');
  const tag = der[at];
  let length = der[at + 1];
  let contentStart = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || contentStart + bytes > limit) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[contentStart + i];
    contentStart += bytes;
  }
  const end = contentStart + length;
  if (end > limit) throw new Error('DER element runs past its container');
  return { tag, start: at, contentStart, end };
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const t = readTlv(der, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

function oid(bytes: Buffer): string {
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

const KEYWORDS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

const UTF8 = 0x0c;
const PRINTABLE = 0x13;
const T61 = 0x14;
const IA5 = 0x16;
const UNIVERSAL = 0x1c;
const BMP = 0x1e;

function stringValue(tag: number, bytes: Buffer): string | null {
  switch (tag) {
    case UTF8:
    case PRINTABLE:
    case IA5:
      return bytes.toString('utf8');
    case T61:
      return bytes.toString('latin1');
    case BMP:
      return Buffer.from(bytes).swap16().toString('utf16le');
    case UNIVERSAL: {
      let s = '';
      for (let i = 0; i + 3 < bytes.length; i += 4) s += String.fromCodePoint(bytes.readUInt32BE(i));
      return s;
    }
    default:
      return null;
  }
}

/** RFC 2253 escaping, as Java applies it: the special characters anywhere, # first, spaces at either end. */
function escape(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    const special = ',=+<>;"\\'.includes(c) || (c === '#' && i === 0) || (c === ' ' && (i === 0 || i === value.length - 1));
    out += special ? `\\${c}` : c;
  }
  return out;
}

function attribute(der: Buffer, ava: Tlv): string {
  const [type, value] = children(der, ava);
  if (!type || !value || type.tag !== 0x06) throw new Error('an attribute of the subject is not (OID, value)');
  const id = oid(der.subarray(type.contentStart, type.end));
  const keyword = KEYWORDS[id];
  const text = keyword ? stringValue(value.tag, der.subarray(value.contentStart, value.end)) : null;
  if (keyword && text !== null) return `${keyword}=${escape(text)}`;
  return `${keyword ?? id}=#${der.subarray(value.start, value.end).toString('hex')}`;
}

/** The subject of DER certificate `der` in RFC 2253 form (Java's X500Principal.getName()). */
export function subjectRfc2253(der: Buffer): string {
  const cert = readTlv(der, 0, der.length);
  const [tbs] = children(der, cert);
  if (!tbs) throw new Error('not a certificate');
  const fields = children(der, tbs);
  // The optional [0] version comes first in v3 certificates.
  const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
  if (!subject || subject.tag !== 0x30) throw new Error('the certificate has no subject');
  const rdns = children(der, subject).map((set) => children(der, set).map((ava) => attribute(der, ava)).join('+'));
  return rdns.reverse().join(',');
}
