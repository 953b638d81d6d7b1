/**
 * The handlers this broker has, by API key. ApiVersions is answered from this table, so what the
 * broker advertises is exactly what it implements.
 */
import type { AnyApiHandler } from './handler.js';

const handlers = new Map<number, AnyApiHandler>();

export function registerHandlers(list: readonly AnyApiHandler[]): void {
  for (const h of list) {
    if (handlers.has(h.apiKey)) throw new Error(`two handlers for API key ${h.apiKey}`);
    handlers.set(h.apiKey, h);
  }
}

export function handlerFor(apiKey: number): AnyApiHandler | undefined {
  return handlers.get(apiKey);
}

export interface SupportedApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export function supportedApis(): SupportedApi[] {
  return [...handlers.values()].map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })).sort((a, b) => a.apiKey - b.apiKey);
}
