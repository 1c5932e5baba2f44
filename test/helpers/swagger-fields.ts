/**
 * Every operation, query parameter, header and request-body field of a
 * swagger, named as the API field ledger names them (src/daemon/api/ledger).
 */
import type { Swagger, SwaggerSchema } from './engine-swagger.js';

function deref(s: SwaggerSchema | undefined, sw: Swagger): SwaggerSchema | undefined {
  let cur = s;
  for (let i = 0; cur?.$ref !== undefined && i < 20; i++) cur = sw.definitions[cur.$ref.replace('#/definitions/', '')];
  return cur;
}

function propertiesOf(s: SwaggerSchema | undefined, sw: Swagger): Record<string, SwaggerSchema> {
  const d = deref(s, sw);
  if (!d) return {};
  const out: Record<string, SwaggerSchema> = {};
  for (const part of d.allOf ?? []) Object.assign(out, propertiesOf(part, sw));
  Object.assign(out, d.properties ?? {});
  return out;
}

function walk(prefix: string, s: SwaggerSchema | undefined, sw: Swagger, seen: readonly string[], out: string[]): void {
  const d = deref(s, sw);
  if (!d) return;
  if (d.type === 'array' || d.items) return walk(`${prefix}[]`, d.items, sw, seen, out);
  const props = propertiesOf(d, sw);
  if (Object.keys(props).length === 0) {
    const ap = typeof d.additionalProperties === 'object' ? deref(d.additionalProperties, sw) : undefined;
    if (ap && (ap.properties || ap.allOf || ap.type === 'array' || ap.items)) walk(`${prefix}{}`, ap, sw, seen, out);
    return;
  }
  for (const [name, sub] of Object.entries(props)) {
    const key = prefix === '' ? name : `${prefix}.${name}`;
    out.push(key);
    const ref = sub.$ref;
    if (ref !== undefined && seen.includes(ref)) continue;
    walk(key, sub, sw, ref !== undefined ? [...seen, ref] : seen, out);
  }
}

export function swaggerFieldKeys(sw: Swagger): string[] {
  const keys: string[] = [];
  for (const [path, item] of Object.entries(sw.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (typeof op !== 'object' || op === null || !('responses' in op)) continue;
      const opKey = `${method.toUpperCase()} ${path}`;
      keys.push(opKey);
      for (const p of op.parameters ?? []) {
        if (p.in === 'query') keys.push(`${opKey} ?${p.name}`);
        else if (p.in === 'header') keys.push(`${opKey} header ${p.name}`);
        else if (p.in === 'body') {
          const fields: string[] = [];
          walk('', p.schema, sw, [], fields);
          keys.push(...fields.map((f) => `${opKey} body ${f}`));
        }
      }
    }
  }
  return keys;
}
