/**
 * The console's pages: the files of the package's console/ folder (HTML, CSS, plain browser
 * JavaScript), read at the first request for one (not on the broker's start path) and served from
 * memory. Nothing is loaded from elsewhere, so the console
 * works offline; the Content-Security-Policy allows only this server's own scripts and styles, a
 * second wall behind the pages' escaping of everything they render.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { packageRoot } from '../../broker/package-root.js';

const FOLDER = new URL('console/', packageRoot());
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

type Files = Map<string, { type: string; bytes: Buffer }>;

export class ConsoleAssets {
  private loading: Promise<Files> | null = null;

  private static async load(): Promise<Files> {
    const files = new Map<string, { type: string; bytes: Buffer }>();
    let names: string[] = [];
    try {
      names = await readdir(FOLDER);
    } catch {
      // A build without the console's files: /console answers 404, the rest works.
    }
    for (const name of names) {
      const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
      if (type !== undefined && /^[a-z0-9-]+\.[a-z]+$/.test(name)) files.set(name, { type, bytes: await readFile(new URL(name, FOLDER)) });
    }
    return files;
  }

  /** Answers /console/... ; false when the path is not one of its files. */
  async serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    this.loading ??= ConsoleAssets.load();
    const name = path === '/console/' || path === '/console' ? 'index.html' : path.slice('/console/'.length);
    const file = (await this.loading).get(name);
    if (!file) return false;
    res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': String(file.bytes.length), 'Cache-Control': 'no-cache', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
    res.end(req.method === 'HEAD' ? undefined : file.bytes);
    return true;
  }
}
