/**
 * The package's root folder (the one holding its package.json and console/), found by walking up
 * from this module. The same code runs from tsc's output (dist/src/…) and from the CLI's bundle
 * (dist/cli/…), at different depths, so a fixed relative path would be right for only one of them.
 */
import { existsSync, readFileSync } from 'node:fs';

const PACKAGE_NAME = 'tributary';

let found: URL | null = null;

export function packageRoot(): URL {
  if (found) return found;
  let dir = new URL('./', import.meta.url);
  for (let depth = 0; depth < 8; depth++) {
    const manifest = new URL('package.json', dir);
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) {
      found = dir;
      return dir;
    }
    dir = new URL('../', dir);
  }
  throw new Error(`the ${PACKAGE_NAME} package's root was not found above ${import.meta.url}`);
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('package.json', packageRoot()), 'utf8')) as { version: string }).version;
}
