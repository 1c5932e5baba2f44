import { parseTemplate } from './row-format.js';

/**
 * docker inspect output: without a format, a JSON array indented with 4 spaces (`[]` when empty);
 * with a format, the template once per element ("json" means `{{json .}}`).
 */
export function renderInspect(elements: readonly unknown[], format: string | undefined): string {
  if (format === undefined || format === '') return `${JSON.stringify(elements, null, 4)}\n`;
  const tmpl = parseTemplate(format === 'json' ? '{{json .}}' : format);
  return elements.map((e) => `${tmpl.execute(e)}\n`).join('');
}
