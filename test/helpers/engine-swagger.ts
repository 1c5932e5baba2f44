/**
 * Docker's Engine API swagger files from ../shared/engine-api, parsed.
 * They are test references only: nothing in src/ reads them. Where the
 * directory is absent (a clone without ../shared), loadSwagger() returns
 * undefined and callers skip with swaggerMissingMessage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { fileURLToPath } from 'node:url';

/** The repository (this file runs from dist/test/helpers). */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

export type SwaggerVersion = '1.41' | '1.50';

export interface SwaggerParameter {
  readonly name: string;
  readonly in: 'query' | 'path' | 'header' | 'body' | 'formData';
  readonly type?: string;
  readonly schema?: SwaggerSchema;
  readonly default?: unknown;
}

export interface SwaggerSchema {
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Readonly<Record<string, SwaggerSchema>>;
  readonly additionalProperties?: SwaggerSchema | boolean;
  readonly items?: SwaggerSchema;
  readonly allOf?: readonly SwaggerSchema[];
  readonly 'x-nullable'?: boolean;
  readonly [key: string]: unknown;
}

export interface SwaggerOperation {
  readonly operationId?: string;
  readonly parameters?: readonly SwaggerParameter[];
  readonly responses: Readonly<Record<string, { readonly schema?: SwaggerSchema; readonly description?: string }>>;
  readonly tags?: readonly string[];
}

export interface Swagger {
  readonly paths: Readonly<Record<string, Readonly<Record<string, SwaggerOperation>>>>;
  readonly definitions: Readonly<Record<string, SwaggerSchema>>;
}

export const sharedEngineApiDir = `${repoRoot}/../shared/engine-api`;
export const swaggerMissingMessage = `Docker's swagger is not at ${sharedEngineApiDir} (../shared is absent in this checkout); skipped`;

const cache = new Map<SwaggerVersion, Swagger>();

/**
 * The v1.41 file (moby v20.10.24) has a double-quoted scalar whose second line
 * is not indented past its key (HostConfig.SecurityOpt's description); Go's
 * yaml.v2 takes it, YAML 1.2 parsers refuse it. Folding such continuation
 * lines into the opening line keeps the text and makes the file valid.
 */
function foldUnclosedQuotedScalars(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? '';
    const open = /^\s*[\w$-]+: "(?:[^"\\]|\\.)*$/.test(line);
    while (open && !/(?:[^\\]|^)"\s*$/.test(line.slice(line.indexOf('"') + 1)) && i + 1 < lines.length) {
      i++;
      line = `${line} ${(lines[i] ?? '').trim()}`;
    }
    out.push(line);
  }
  return out.join('\n');
}

export function loadSwagger(version: SwaggerVersion): Swagger | undefined {
  const cached = cache.get(version);
  if (cached) return cached;
  const file = `${sharedEngineApiDir}/swagger-v${version}.yaml`;
  if (!existsSync(file)) return undefined;
  const doc = parse(foldUnclosedQuotedScalars(readFileSync(file, 'utf8'))) as Swagger;
  cache.set(version, doc);
  return doc;
}
