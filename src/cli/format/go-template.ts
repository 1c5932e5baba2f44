import { Parser, TemplateError, lineCol, lineOf, type Command, type ListItem, type Node, type Pipeline, type TemplateFunc } from './go-template-syntax.js';
import { DEFAULT_FUNCS, formatValue, isPlainObject, truth, typeName, type Scope } from './go-template-values.js';

export { TemplateError, type TemplateFunc } from './go-template-syntax.js';
export { DEFAULT_FUNCS, formatValue, goJson, sprintf, truth } from './go-template-values.js';

/**
 * The subset of Go's text/template that docker users write in --format:
 * fields and chains, variables, pipelines, parentheses, if/else if/else, range (with $i, $v and else),
 * with, trim markers, comments, Go's builtins (and, or, not, len, index, eq…, print, printf, println)
 * and docker's extras (json, join, split, lower, upper, title, pad, truncate).
 * Values print the way Go's fmt %v prints them.
 */

class Executor {
  constructor(
    private readonly src: string,
    private readonly funcs: Record<string, TemplateFunc>,
    private readonly root: unknown,
  ) {}

  private fail(pos: number, node: string, msg: string): TemplateError {
    return new TemplateError(`template: :${lineCol(this.src, pos)}: executing "" at <${node}>: ${msg}`);
  }

  private lookupVar(scope: Scope, name: string, pos: number): unknown {
    for (let i = scope.vars.length - 1; i >= 0; i--) {
      const entry = scope.vars[i];
      if (entry && entry[0] === name) return entry[1];
    }
    throw new TemplateError(`template: :${lineOf(this.src, pos)}: undefined variable "${name}"`);
  }

  private setVar(scope: Scope, name: string, value: unknown, pos: number): void {
    for (let i = scope.vars.length - 1; i >= 0; i--) {
      const entry = scope.vars[i];
      if (entry && entry[0] === name) {
        entry[1] = value;
        return;
      }
    }
    throw new TemplateError(`template: :${lineOf(this.src, pos)}: undefined variable "${name}"`);
  }

  run(list: ListItem[], dot: unknown, scope: Scope, out: string[]): void {
    for (const item of list) {
      switch (item.kind) {
        case 'text':
          out.push(item.text);
          break;
        case 'action': {
          const v = this.pipeline(item.pipe, dot, scope);
          if (item.pipe.decl.length === 0) out.push(formatValue(v));
          break;
        }
        case 'if':
        case 'with': {
          const mark = scope.vars.length;
          const v = this.pipeline(item.pipe, dot, scope);
          if (truth(v)) this.run(item.list, item.kind === 'with' ? v : dot, scope, out);
          else if (item.elseList) this.run(item.elseList, dot, scope, out);
          scope.vars.length = mark;
          break;
        }
        case 'range': {
          const mark = scope.vars.length;
          const decl = item.pipe.decl;
          const v = this.pipeline({ ...item.pipe, decl: [] }, dot, scope);
          const entries: Array<[unknown, unknown]> = [];
          if (Array.isArray(v)) v.forEach((e, i) => entries.push([i, e]));
          else if (v instanceof Map) [...v.keys()].sort().forEach((k) => entries.push([k, v.get(k)]));
          else if (isPlainObject(v)) Object.keys(v).sort().forEach((k) => entries.push([k, v[k]]));
          else if (typeof v === 'number' && Number.isInteger(v)) for (let i = 0; i < v; i++) entries.push([i, i]);
          else if (v !== null && v !== undefined) throw this.fail(item.pipe.pos, 'range', `range can't iterate over ${formatValue(v)}`);
          if (entries.length === 0) {
            if (item.elseList) this.run(item.elseList, dot, scope, out);
          } else {
            for (const [k, e] of entries) {
              const inner = scope.vars.length;
              if (decl.length === 1 && decl[0]) scope.vars.push([decl[0], e]);
              if (decl.length === 2 && decl[0] && decl[1]) scope.vars.push([decl[0], k], [decl[1], e]);
              this.run(item.list, e, scope, out);
              scope.vars.length = inner;
            }
          }
          scope.vars.length = mark;
          break;
        }
      }
    }
  }

  pipeline(pipe: Pipeline, dot: unknown, scope: Scope): unknown {
    let value: unknown;
    pipe.cmds.forEach((cmd, i) => {
      value = this.command(cmd, dot, scope, i > 0, value);
    });
    for (const name of pipe.decl) {
      if (pipe.assign) this.setVar(scope, name, value, pipe.pos);
      else scope.vars.push([name, value]);
    }
    return value;
  }

  private command(cmd: Command, dot: unknown, scope: Scope, hasFinal: boolean, final: unknown): unknown {
    const [first, ...rest] = cmd.args;
    if (!first) return undefined;
    const finalArgs = hasFinal ? [final] : [];
    switch (first.kind) {
      case 'ident': {
        const fn = this.funcs[first.name];
        if (!fn) throw new TemplateError(`template: :${lineOf(this.src, first.pos)}: function "${first.name}" not defined`);
        const args = [...rest.map((a) => this.arg(a, dot, scope)), ...finalArgs];
        try {
          return fn(...args);
        } catch (err) {
          const msg = err instanceof Error ? err.message.replace(/^error calling \w+: /, '') : String(err);
          throw this.fail(first.pos, first.name, `error calling ${first.name}: ${msg}`);
        }
      }
      case 'field':
        return this.fieldChain(dot, first.names, first.pos, '', [...rest.map((a) => this.arg(a, dot, scope)), ...finalArgs]);
      case 'var': {
        const base = this.lookupVar(scope, first.name, first.pos);
        if (first.names.length === 0) {
          this.noArgs(rest.length + finalArgs.length, first.pos, first.name);
          return base;
        }
        return this.fieldChain(base, first.names, first.pos, first.name, [...rest.map((a) => this.arg(a, dot, scope)), ...finalArgs]);
      }
      case 'chain': {
        const base = this.arg(first.node, dot, scope);
        return this.fieldChain(base, first.names, first.pos, '', [...rest.map((a) => this.arg(a, dot, scope)), ...finalArgs]);
      }
      default:
        this.noArgs(rest.length + finalArgs.length, first.pos, first.kind === 'literal' ? formatValue(first.value) : '.');
        return this.arg(first, dot, scope);
    }
  }

  private noArgs(count: number, pos: number, what: string): void {
    if (count > 0) throw this.fail(pos, what, `can't give argument to non-function ${what}`);
  }

  arg(node: Node, dot: unknown, scope: Scope): unknown {
    switch (node.kind) {
      case 'dot':
        return dot;
      case 'literal':
        return node.value;
      case 'field':
        return this.fieldChain(dot, node.names, node.pos, '', []);
      case 'var': {
        const base = this.lookupVar(scope, node.name, node.pos);
        return node.names.length === 0 ? base : this.fieldChain(base, node.names, node.pos, node.name, []);
      }
      case 'chain':
        return this.fieldChain(this.arg(node.node, dot, scope), node.names, node.pos, '', []);
      case 'pipeline':
        return this.pipeline(node.pipe, dot, { vars: scope.vars });
      case 'ident': {
        const fn = this.funcs[node.name];
        if (!fn) throw new TemplateError(`template: :${lineOf(this.src, node.pos)}: function "${node.name}" not defined`);
        return fn();
      }
    }
  }

  /** Walks `.A.B.C`; only the last element may be a method taking arguments. */
  private fieldChain(base: unknown, names: string[], pos: number, prefix: string, args: unknown[]): unknown {
    let v = base;
    const label = `${prefix}.${names.join('.')}`;
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      v = this.field(v, name, last ? args : [], pos, label, last);
    });
    return v;
  }

  private field(recv: unknown, name: string, args: unknown[], pos: number, label: string, last: boolean): unknown {
    if (recv === null || recv === undefined) {
      if (recv === null) throw this.fail(pos, label, `nil pointer evaluating interface {}.${name}`);
      return undefined;
    }
    if (recv instanceof Map) {
      if (args.length > 0) throw this.fail(pos, label, `${name} is not a method but has arguments`);
      return recv.has(name) ? recv.get(name) : undefined;
    }
    if (isPlainObject(recv)) {
      if (args.length > 0 && typeof recv[name] !== 'function') throw this.fail(pos, label, `${name} is not a method but has arguments`);
      const value = recv[name];
      return typeof value === 'function' ? (value as TemplateFunc).apply(recv, args) : value;
    }
    if (typeof recv === 'object' && name in recv) {
      const value = (recv as Record<string, unknown>)[name];
      if (typeof value === 'function') {
        const fn = value as TemplateFunc;
        if (fn.length !== args.length && last) {
          throw this.fail(pos, label, `wrong number of args for ${name}: want ${fn.length} got ${args.length}`);
        }
        return fn.apply(recv, args);
      }
      if (args.length > 0) throw this.fail(pos, label, `${name} is not a method but has arguments`);
      return value;
    }
    throw this.fail(pos, label, `can't evaluate field ${name} in type ${typeName(recv)}`);
  }

  execute(list: ListItem[]): string {
    const out: string[] = [];
    this.run(list, this.root, { vars: [['$', this.root]] }, out);
    return out.join('');
  }
}

/** A parsed template; execute it with any data (plain JSON objects, Maps, arrays or row classes with getters/methods). */
export class GoTemplate {
  private constructor(
    private readonly src: string,
    private readonly tree: ListItem[],
    private readonly funcs: Record<string, TemplateFunc>,
  ) {}

  static parse(src: string, funcs: Record<string, TemplateFunc> = {}): GoTemplate {
    const tree = new Parser(src).parse();
    return new GoTemplate(src, tree, { ...DEFAULT_FUNCS, ...funcs });
  }

  execute(data: unknown): string {
    return new Executor(this.src, this.funcs, data).execute(this.tree);
  }
}
