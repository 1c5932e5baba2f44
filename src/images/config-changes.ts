import { invalidArgument } from '../errors/engine-error.js';
import type { ImageRunConfig } from './image-config.js';

const VALID = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

/**
 * Applies Dockerfile-style `changes` (docker import/commit --change) to a
 * config, as Docker's BuildFromConfig does for the instructions it allows.
 */
export function applyConfigChanges(base: ImageRunConfig, changes: readonly string[]): ImageRunConfig {
  const config: ImageRunConfig = structuredClone(base);
  for (const change of changes) {
    for (const line of change.split('\n')) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      applyOne(config, trimmed);
    }
  }
  return config;
}

function applyOne(config: ImageRunConfig, line: string): void {
  const m = /^(\S+)\s*(.*)$/s.exec(line);
  const instruction = (m?.[1] ?? '').toUpperCase();
  const rest = (m?.[2] ?? '').trim();
  if (!VALID.has(instruction)) throw invalidArgument(`${instruction.toLowerCase()} is not a valid change command`);
  switch (instruction) {
    case 'CMD':
      config.Cmd = commandForm(rest, config);
      break;
    case 'ENTRYPOINT':
      config.Entrypoint = rest === '' ? null : commandForm(rest, config);
      if (rest !== '') config.Cmd = null; // Docker resets CMD when ENTRYPOINT is set
      break;
    case 'ENV': {
      const env = [...(config.Env ?? [])];
      for (const [k, v] of keyValues(rest, 'ENV')) {
        const i = env.findIndex((e) => e.split('=', 1)[0] === k);
        if (i >= 0) env[i] = `${k}=${v}`;
        else env.push(`${k}=${v}`);
      }
      config.Env = env;
      break;
    }
    case 'LABEL': {
      const labels = { ...(config.Labels ?? {}) };
      for (const [k, v] of keyValues(rest, 'LABEL')) labels[k] = v;
      config.Labels = labels;
      break;
    }
    case 'EXPOSE': {
      const ports = { ...(config.ExposedPorts ?? {}) };
      for (const p of rest.split(/\s+/).filter(Boolean)) {
        if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw invalidArgument(`invalid containerPort: ${p}`);
        ports[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
      }
      config.ExposedPorts = ports;
      break;
    }
    case 'VOLUME': {
      const vols = { ...(config.Volumes ?? {}) };
      for (const v of jsonArray(rest) ?? rest.split(/\s+/).filter(Boolean)) vols[v] = {};
      config.Volumes = vols;
      break;
    }
    case 'WORKDIR':
      config.WorkingDir = rest.startsWith('/') ? rest : `${config.WorkingDir ?? '/'}/${rest}`.replace(/\/+/g, '/');
      break;
    case 'USER':
      config.User = rest;
      break;
    case 'STOPSIGNAL':
      config.StopSignal = rest;
      break;
    case 'ONBUILD':
      config.OnBuild = [...(config.OnBuild ?? []), rest];
      break;
  }
}

function jsonArray(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    return undefined;
  }
  return undefined;
}

function commandForm(rest: string, config: ImageRunConfig): string[] {
  return jsonArray(rest) ?? [...(config.Shell ?? ['/bin/sh', '-c']), rest];
}

/** `K=V K2="v 2"` or the legacy `K V` form. */
function keyValues(rest: string, instruction: string): [string, string][] {
  const words = splitWords(rest);
  if (words.length === 0) throw invalidArgument(`${instruction} requires at least one argument`);
  if (!(words[0] ?? '').includes('=')) {
    const m = /^(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw invalidArgument(`${instruction} names can not be blank`);
    return [[m[1] as string, m[2] as string]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw invalidArgument(`${instruction} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

function splitWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur !== '') out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
    }
  }
  if (has || cur !== '') out.push(cur);
  return out;
}
