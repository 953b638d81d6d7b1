/**
 * Emits the generated index: every module re-exported, and a table of the APIs (key, name,
 * versions, codecs, schemas) from which the broker's registry and ApiVersions are built.
 */
import type { MessageDef } from './spec.js';
import { HEADER } from './emit-file.js';

export function emitIndexFile(messages: MessageDef[]): string {
  const out: string[] = [HEADER, '/* eslint-disable */'];
  for (const m of messages) out.push(`export * from './${m.name}.js';`);
  out.push('');
  const requests = messages.filter((m) => m.kind === 'request').sort((a, b) => (a.apiKey ?? 0) - (b.apiKey ?? 0));
  const byName = new Map(messages.map((m) => [m.name, m]));
  for (const req of requests) {
    const res = req.name.replace(/Request$/, 'Response');
    out.push(`import { ${req.name}Schema, encode${req.name}, decode${req.name} } from './${req.name}.js';`);
    out.push(`import { ${res}Schema, encode${res}, decode${res} } from './${res}.js';`);
  }
  out.push(`import type { Reader } from '../reader.js';`);
  out.push(`import type { Writer } from '../writer.js';`);
  out.push(`import type { MessageSchema } from '../schema.js';`, '');
  out.push(
    `/** One Kafka API with its codecs, type-erased for tables; handlers import the typed functions directly. */`,
    `export interface ApiDefinition {`,
    `  readonly apiKey: number;`,
    `  readonly name: string;`,
    `  readonly request: MessageSchema;`,
    `  readonly response: MessageSchema;`,
    `  encodeRequest(w: Writer, version: number, value: unknown): void;`,
    `  decodeRequest(r: Reader, version: number): unknown;`,
    `  encodeResponse(w: Writer, version: number, value: unknown): void;`,
    `  decodeResponse(r: Reader, version: number): unknown;`,
    `}`,
    '',
    `export const API_DEFINITIONS: readonly ApiDefinition[] = [`,
  );
  for (const req of requests) {
    const res = req.name.replace(/Request$/, 'Response');
    if (!byName.has(res)) throw new Error(`no response for ${req.name}`);
    const name = req.name.replace(/Request$/, '');
    out.push(
      `  {`,
      `    apiKey: ${req.apiKey}, name: '${name}', request: ${req.name}Schema, response: ${res}Schema,`,
      `    encodeRequest: encode${req.name} as (w: Writer, version: number, value: unknown) => void, decodeRequest: decode${req.name},`,
      `    encodeResponse: encode${res} as (w: Writer, version: number, value: unknown) => void, decodeResponse: decode${res},`,
      `  },`,
    );
  }
  out.push(`];`, '');
  out.push(`export const API_BY_KEY: ReadonlyMap<number, ApiDefinition> = new Map(API_DEFINITIONS.map((d) => [d.apiKey, d]));`, '');
  return out.join('\n');
}
