/**
 * Validates Engine API responses against Docker's swagger (../shared/engine-api)
 * for the API version the request used: v1.41 for /v1.24 … /v1.41 paths, v1.50
 * for later and for unversioned ones. A well-kept validator (Ajv) does the
 * checking; this file only finds the schema and states the tolerances.
 *
 * Tolerances, each because dockerd itself answers that way (Go's encoding/json
 * writes nil slices and maps as null, zero strings as ""):
 *  - every typed value may also be null;
 *  - every enum also admits "" and null;
 *  - SWAGGER_ERRATA below: places where the swagger is wrong about dockerd.
 * Extra fields are allowed (the swagger's objects are open; dockerd adds fields
 * before the swagger documents them).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { loadSwagger, type Swagger, type SwaggerSchema, type SwaggerVersion } from './engine-swagger.js';

export interface ResponseViolation {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly swagger: SwaggerVersion;
  readonly errors: string;
  readonly body: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Mutable = Record<string, unknown>;

/**
 * Where the swagger does not describe what dockerd sends (dockerd wins):
 *  - v1.41 defines ContainerSummary as the array itself, and /system/df's
 *    Containers as an array of ContainerSummary (an array of arrays); dockerd
 *    sends an array of container objects.
 *  - HostConfig.Isolation: dockerd on Linux accepts "default" in any case and
 *    stores the value as given ("DEFAULT" comes back as "DEFAULT").
 *  - RestartPolicy.Name: dockerd stores "no" as given (v1.41's enum lists it, the
 *    newer one too; kept here for both).
 */
function applyErrata(version: SwaggerVersion, definitions: Record<string, Mutable>, paths: Swagger['paths']): void {
  const hostConfig = definitions.HostConfig as { allOf?: Mutable[] } | undefined;
  for (const part of hostConfig?.allOf ?? []) {
    const isolation = (part.properties as Record<string, Mutable> | undefined)?.Isolation;
    if (isolation) delete isolation.enum;
  }
  const restartName = ((definitions.RestartPolicy?.properties ?? {}) as Record<string, Mutable>).Name;
  if (Array.isArray(restartName?.enum) && !restartName.enum.includes('no')) restartName.enum.push('no');
  if (version === '1.41') {
    const df = paths['/system/df']?.get?.responses['200']?.schema as Mutable | undefined;
    const containers = (df?.properties as Record<string, Mutable> | undefined)?.Containers;
    const summary = definitions.ContainerSummary as { type?: string; items?: unknown } | undefined;
    if (containers && summary?.type === 'array') containers.items = summary.items;
  }
}

/** Swagger 2.0 → JSON Schema with the tolerances above. */
function tolerant(schema: unknown, refPrefix: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => tolerant(s, refPrefix));
  if (schema === null || typeof schema !== 'object') return schema;
  const input = schema as Mutable;
  if (typeof input.$ref === 'string') {
    return { anyOf: [{ $ref: input.$ref.replace('#/definitions/', `${refPrefix}#/definitions/`) }, { type: 'null' }] };
  }
  const out: Mutable = {};
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith('x-') || key === 'example' || key === 'discriminator') continue;
    if (key === 'properties' || key === 'definitions' || key === 'patternProperties') {
      out[key] = Object.fromEntries(Object.entries(value as Mutable).map(([k, v]) => [k, tolerant(v, refPrefix)]));
    } else if (key === 'type') {
      // Swagger's "file" is a binary body, not JSON.
      if (value !== 'file') out.type = Array.isArray(value) ? [...new Set([...(value as string[]), 'null'])] : [value, 'null'];
    } else if (key === 'enum') {
      out.enum = [...new Set([...(value as unknown[]), '', null])];
    } else if (key === 'items' || key === 'additionalProperties' || key === 'allOf' || key === 'anyOf' || key === 'oneOf' || key === 'not') {
      out[key] = tolerant(value, refPrefix);
    } else {
      out[key] = value;
    }
  }
  return out;
}

interface Route {
  readonly template: string;
  /** Each parameter one path segment. */
  readonly pattern: RegExp;
  /** A parameter may span segments (image names with a registry and a repository path). */
  readonly greedy: RegExp;
}

/** Endpoints whose JSON body is a stream of objects, or not one JSON document. */
const STREAMED = new Set(['/events', '/containers/{id}/stats', '/images/create', '/images/{name}/push', '/build', '/images/load', '/plugins/pull', '/plugins/{name}/upgrade']);

export interface ResponseToValidate {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/** The swagger documents made tolerant and their compiled validators: built once per test process, shared by every harness. */
class SwaggerSchemas {
  readonly ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false });
  private readonly routes = new Map<SwaggerVersion, Route[]>();
  private readonly swaggers = new Map<SwaggerVersion, Swagger>();
  private readonly compiled = new Map<string, ValidateFunction | null>();

  constructor(docs: ReadonlyArray<readonly [SwaggerVersion, Swagger]>) {
    for (const [version, doc] of docs) {
      const copy = structuredClone(doc) as Swagger;
      const definitions = copy.definitions as unknown as Record<string, Mutable>;
      applyErrata(version, definitions, copy.paths);
      this.swaggers.set(version, copy);
      const id = `swagger-${version}`;
      this.ajv.addSchema({ $id: id, definitions: (tolerant({ definitions }, id) as { definitions: unknown }).definitions });
      this.routes.set(
        version,
        Object.keys(copy.paths).map((template) => ({ template, pattern: templateRegExp(template, '[^/]+'), greedy: templateRegExp(template, '.+') })),
      );
    }
  }

  /** The swagger version and path template a request is answered by, or undefined for paths outside the swagger. */
  route(method: string, url: string): { version: SwaggerVersion; template: string } | undefined {
    const pathOnly = url.split('?')[0] ?? '';
    const m = /^\/v(\d+)\.(\d+)(\/.*)$/.exec(pathOnly);
    const version: SwaggerVersion = m && Number(m[1]) === 1 && Number(m[2]) <= 41 ? '1.41' : '1.50';
    const path = (m ? (m[3] ?? '') : pathOnly).replace(/\/+$/, '') || '/';
    const paths = this.swaggers.get(version)?.paths ?? {};
    const routes = (this.routes.get(version) ?? []).filter((r) => paths[r.template]?.[method.toLowerCase()] !== undefined);
    // Fewest parameters first (/containers/json before /containers/{id}/json); names may hold slashes (images).
    const best = routes.filter((r) => r.pattern.test(path)).sort((a, b) => params(a.template) - params(b.template))[0] ?? routes.find((r) => r.greedy.test(path));
    return best ? { version, template: best.template } : undefined;
  }

  validatorFor(version: SwaggerVersion, template: string, method: string, status: number): ValidateFunction | null {
    const key = `${version} ${method} ${template} ${status}`;
    const cached = this.compiled.get(key);
    if (cached !== undefined) return cached;
    const op = this.swaggers.get(version)?.paths[template]?.[method.toLowerCase()];
    const response = op?.responses[String(status)] ?? (status >= 400 ? op?.responses.default : undefined);
    let schema: SwaggerSchema | undefined = response?.schema;
    if (!schema && status >= 400) schema = { $ref: '#/definitions/ErrorResponse' };
    const fn = schema ? this.ajv.compile(tolerant(schema, `swagger-${version}`) as object) : null;
    this.compiled.set(key, fn);
    return fn;
  }

  eventValidator(version: SwaggerVersion): ValidateFunction {
    const key = `${version} event`;
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile({ $ref: `swagger-${version}#/definitions/EventMessage` });
      this.compiled.set(key, fn);
    }
    return fn;
  }

}

let shared: SwaggerSchemas | undefined;

/** Checks responses of one daemon and keeps their violations; the schemas are the process's shared ones. */
export class ResponseValidator {
  readonly violations: ResponseViolation[] = [];

  private constructor(private readonly schemas: SwaggerSchemas) {}

  /** undefined when ../shared's swagger files are absent. */
  static load(): ResponseValidator | undefined {
    if (!shared) {
      const v41 = loadSwagger('1.41');
      const v50 = loadSwagger('1.50');
      if (!v41 || !v50) return undefined;
      shared = new SwaggerSchemas([
        ['1.41', v41],
        ['1.50', v50],
      ]);
    }
    return new ResponseValidator(shared);
  }

  route(method: string, url: string): { version: SwaggerVersion; template: string } | undefined {
    return this.schemas.route(method, url);
  }

  /** Checks one complete response; records a violation when it does not fit. */
  check(res: ResponseToValidate): void {
    if (!/^application\/json\b/.test(res.contentType)) return;
    const route = this.schemas.route(res.method, res.url);
    if (!route) return;
    if (route.template === '/events' && res.status === 200) {
      for (const line of res.body.toString('utf8').split('\n')) if (line.trim() !== '') this.checkEvent(res, route.version, line);
      return;
    }
    if (STREAMED.has(route.template) && res.status < 400) return;
    const fn = this.schemas.validatorFor(route.version, route.template, res.method, res.status);
    if (!fn) return;
    const text = res.body.toString('utf8');
    if (text.trim() === '') return;
    let value: Json;
    try {
      value = JSON.parse(text) as Json;
    } catch {
      this.record(res, route.version, 'the body is not JSON', text);
      return;
    }
    if (!fn(value)) this.record(res, route.version, this.schemas.ajv.errorsText(fn.errors, { separator: '; ' }), text);
  }

  /** One line of an /events stream (validated as each arrives, a followed stream never ends). */
  checkEvent(res: Omit<ResponseToValidate, 'body'>, version: SwaggerVersion, line: string): void {
    let value: Json;
    try {
      value = JSON.parse(line) as Json;
    } catch {
      this.record(res, version, 'an events line is not JSON', line);
      return;
    }
    const fn = this.schemas.eventValidator(version);
    if (!fn(value)) this.record(res, version, this.schemas.ajv.errorsText(fn.errors, { separator: '; ' }), line);
  }

  private record(res: Omit<ResponseToValidate, 'body'>, version: SwaggerVersion, errors: string, body: string): void {
    this.violations.push({ method: res.method, url: res.url, status: res.status, swagger: version, errors, body: body.slice(0, 400) });
  }

  /** A readable report of the violations (the first `limit`). */
  report(limit = 20): string {
    const lines = this.violations
      .slice(0, limit)
      .map((v) => `${v.method} ${v.url} → ${v.status} (swagger v${v.swagger}): ${v.errors}\n    body: ${v.body}`);
    const more = this.violations.length > limit ? `\n… and ${this.violations.length - limit} more` : '';
    return `${this.violations.length} Engine API response(s) do not fit Docker's swagger:\n${lines.join('\n')}${more}`;
  }
}

const params = (template: string): number => (template.match(/\{/g) ?? []).length;

function templateRegExp(template: string, param: string): RegExp {
  return new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, param)}$`);
}
