/**
 * Where OAUTHBEARER's signing keys come from: `sasl.oauthbearer.jwks.endpoint.url`, either an
 * http(s) URL (fetched and cached by jose's remote key set, refreshed after
 * `sasl.oauthbearer.jwks.endpoint.refresh.ms` or when a token names an unknown key id) or a
 * file: URL (read again whenever the file changes, so keys rotate without a restart).
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Jose from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { lazyPackage } from '../../protocol/lazy-package.js';

/** jose loads with the first key set, that is only on a broker with an OAUTHBEARER listener. */
export const jose = lazyPackage<typeof Jose>('jose');

export class JwksConfigError extends Error {
  override readonly name = 'JwksConfigError';
}

function readKeySet(path: string): JWTVerifyGetKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new JwksConfigError(`cannot read the JWKS file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) throw new JwksConfigError(`${path} is not a JSON Web Key Set (no "keys" array)`);
  return jose().createLocalJWKSet(parsed as JSONWebKeySet);
}

/** A key source for jwtVerify; a JwksConfigError for a URL or file that cannot serve. */
export function jwksFrom(url: string, refreshMs: number): JWTVerifyGetKey {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new JwksConfigError(`sasl.oauthbearer.jwks.endpoint.url is not a URL: ${url}`);
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return jose().createRemoteJWKSet(parsed, { cacheMaxAge: refreshMs, cooldownDuration: 30_000, timeoutDuration: 5000 });
  if (parsed.protocol !== 'file:') throw new JwksConfigError(`sasl.oauthbearer.jwks.endpoint.url must be http(s) or file, not ${parsed.protocol}`);
  const path = fileURLToPath(parsed);
  let keys = readKeySet(path);
  let seen = statSync(path).mtimeMs;
  return (header, token) => {
    // A changed file is read again; a broken new one keeps the keys that worked.
    try {
      const mtime = statSync(path).mtimeMs;
      if (mtime !== seen) {
        keys = readKeySet(path);
        seen = mtime;
      }
    } catch {
      // The file vanished or is being rewritten: keep the last good keys.
    }
    return keys(header, token);
  };
}
