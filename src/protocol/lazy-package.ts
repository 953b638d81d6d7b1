/**
 * An npm package loaded at its first use instead of at import. The native codecs (CRC-32C, lz4,
 * snappy, zstd) and jose cost 20–70 ms each to load, which a broker's start need not pay: most of
 * them serve only a compressed batch or a SASL mechanism that may never come. require() is
 * synchronous (Node ≥ 20.19 also requires ES modules such as jose), so callers on the hot path
 * stay synchronous and pay one null check once the package is in.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

export function lazyPackage<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(name) as T);
}
