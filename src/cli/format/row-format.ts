import { GoTemplate, TemplateError, type TemplateFunc } from './go-template.js';
import { tabFormat } from './tab-writer.js';

/** How a list command renders: docker's `table`, `table TEMPLATE`, `json` or a bare template. */
export interface ListFormat {
  table: boolean;
  template: string;
}

/**
 * Resolves --format as docker's formatter does: "" and "table" mean the default table, "json" is
 * `{{json .}}`, a "table " prefix adds a header row; literal \t and \n become tab and newline.
 */
export function resolveListFormat(format: string | undefined, defaultTable: string): ListFormat {
  const f = format ?? '';
  if (f === '' || f === 'table') return resolveListFormat(defaultTable.startsWith('table') ? defaultTable : `table ${defaultTable}`, '');
  if (f === 'json') return { table: false, template: '{{json .}}' };
  if (f.startsWith('table')) return { table: true, template: unescape(f.slice('table'.length).replace(/^ +| +$/g, '')) };
  return { table: false, template: unescape(f.replace(/^ +| +$/g, '')) };
}

function unescape(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

export function parseTemplate(src: string, funcs?: Record<string, TemplateFunc>): GoTemplate {
  try {
    return GoTemplate.parse(src, funcs);
  } catch (err) {
    if (err instanceof TemplateError) throw new TemplateError(`template parsing error: ${err.message}`);
    throw err;
  }
}

/**
 * Renders rows: the header row (the template run over `headers`, a field → column-title map) for
 * tables, then one line per row; tables go through the tab writer.
 */
export function renderList(rows: readonly unknown[], format: ListFormat, headers: Record<string, unknown>): string {
  const tmpl = parseTemplate(format.template);
  let text = '';
  if (format.table) text += `${tmpl.execute(headers)}\n`;
  for (const row of rows) {
    try {
      text += `${tmpl.execute(row)}\n`;
    } catch (err) {
      if (err instanceof TemplateError) throw new TemplateError(`template parsing error: ${err.message}`);
      throw err;
    }
  }
  return format.table ? tabFormat(text) : text;
}
