/** HTTP Basic (RFC 7617): the user name and password of an Authorization header, UTF-8. */

/** Longer headers are not credentials anyone types; the header as a whole is bounded by the server too. */
const MAX_ENCODED = 4096;

/** The credentials of `Authorization: Basic base64(user:password)`; null when absent or malformed. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  if (header === undefined || header.length > MAX_ENCODED) return null;
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!m) return null;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  // The user name cannot hold a colon; the password may.
  const colon = text.indexOf(':');
  return colon < 0 ? null : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
