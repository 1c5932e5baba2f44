import { invalidArgument } from '../errors/engine-error.js';

/** The fields of dockerd's logger.Info a `tag` template may use. */
export interface LogTagInfo {
  readonly id: string;
  /** Without the leading "/". */
  readonly name: string;
  readonly imageId: string;
  readonly imageName: string;
}

/**
 * dockerd loggerutils.ParseLogTag: a Go text/template over logger.Info with
 * the methods ID (12 chars), FullID, Name, ImageID (12), ImageFullID,
 * ImageName, DaemonName ("docker", which clients match on). Only that
 * subset of the template language (field actions, literal text) exists here;
 * errors carry Go's texts.
 */
export function expandLogTag(template: string, info: LogTagInfo): string {
  const fail = (msg: string): Error => invalidArgument(`failed to initialize logging driver: template: log-tag:${msg}`);
  const hex = info.imageId.replace(/^sha256:/, '');
  const fields: Readonly<Record<string, string>> = {
    ID: info.id.slice(0, 12),
    FullID: info.id,
    Name: info.name.replace(/^\//, ''),
    ImageID: hex.slice(0, 12),
    ImageFullID: info.imageId,
    ImageName: info.imageName,
    DaemonName: 'docker',
  };
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, open);
    const close = template.indexOf('}}', open + 2);
    if (close < 0) throw fail('1: unclosed action');
    const inner = template.slice(open + 2, close);
    const lead = inner.length - inner.trimStart().length;
    const action = inner.trim();
    const m = /^\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(action);
    if (!m?.[1]) throw fail(`1: berth supports only field actions in log tags ({{.Name}}, {{.ID}}, …), not ${JSON.stringify(action)}`);
    const v = fields[m[1]];
    if (v === undefined) {
      throw fail(`1:${open + 2 + lead}: executing "log-tag" at <.${m[1]}>: can't evaluate field ${m[1]} in type *logger.Info`);
    }
    out += v;
    i = close + 2;
  }
  return out;
}
