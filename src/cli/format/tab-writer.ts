/**
 * Go's text/tabwriter (left-aligned, space padding): tab-terminated cells are aligned in column
 * blocks of adjacent lines; the text after a line's last tab is written as is.
 * Docker's tables use minwidth 10, padding 3; `docker version` uses minwidth 20, padding 1.
 */
export interface TabWriterOptions {
  minWidth: number;
  padding: number;
}

export const TABLE_OPTIONS: TabWriterOptions = { minWidth: 10, padding: 3 };

function width(s: string): number {
  return [...s].length;
}

export function tabFormat(text: string, options: TabWriterOptions = TABLE_OPTIONS): string {
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i] ?? [];
      let s = '';
      cells.forEach((cell, j) => {
        s += cell;
        const w = widths[j];
        if (j < cells.length - 1 && w !== undefined) s += ' '.repeat(Math.max(0, w - width(cell)));
      });
      out.push(s);
    }
  };

  const cellCount = (i: number): number => lines[i]?.length ?? 0;
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let line = line0; line < line1; line++) {
      if (column >= cellCount(line) - 1) continue;
      // A cell exists in this column: flush the lines above, then size the column block.
      writeLines(line0, line);
      line0 = line;
      let w = options.minWidth;
      for (; line < line1 && column < cellCount(line) - 1; line++) {
        w = Math.max(w, width(lines[line]?.[column] ?? '') + options.padding);
      }
      widths.push(w);
      format(line0, line);
      widths.pop();
      line0 = line;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}
