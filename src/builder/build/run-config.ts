import type { ImageConfig, ImageRunConfig } from '../../images/image-config.js';

/** The full container.Config shape Docker's classic builder writes into image configs. */
export function normaliseRunConfig(c: ImageRunConfig | undefined, parentId: string): ImageRunConfig {
  const src = c ?? {};
  const out: ImageRunConfig = {
    Hostname: '',
    Domainname: '',
    User: src.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(src.ExposedPorts && Object.keys(src.ExposedPorts).length > 0 ? { ExposedPorts: src.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: src.Env ?? null,
    Cmd: src.Cmd ?? null,
    ...(src.Healthcheck ? { Healthcheck: src.Healthcheck } : {}),
    ...(src.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: parentId,
    Volumes: src.Volumes ?? null,
    WorkingDir: src.WorkingDir ?? '',
    Entrypoint: src.Entrypoint ?? null,
    OnBuild: src.OnBuild ?? null,
    Labels: src.Labels ?? null,
    ...(src.StopSignal ? { StopSignal: src.StopSignal } : {}),
    ...(src.Shell ? { Shell: src.Shell } : {}),
  };
  return out;
}

export function envToMap(env: readonly string[] | null | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq < 0) m.set(e, '');
    else m.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return m;
}

/** Replaces or appends `key=value` in an Env list, keeping order. */
export function setEnv(env: readonly string[] | null | undefined, key: string, value: string): string[] {
  const out = [...(env ?? [])];
  const i = out.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

/** Go's `%q` of a []string: `["a" "b"]` (how Docker's history shows CMD/ENTRYPOINT). */
export function goQuoteList(list: readonly string[] | null | undefined): string {
  return `[${(list ?? []).map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** Go's `%v` of a []string: `[a b]`. */
export function goList(list: readonly string[]): string {
  return `[${list.join(' ')}]`;
}

/** Go's time.Duration String(). */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  let s = ns / 1e9;
  let out = '';
  const h = Math.floor(s / 3600);
  if (h > 0) out += `${h}h`;
  s -= h * 3600;
  const m = Math.floor(s / 60);
  if (h > 0 || m > 0) out += `${m}m`;
  s -= m * 60;
  return `${out}${trim(s)}s`;
}

function trim(n: number): string {
  return String(Math.round(n * 1e9) / 1e9);
}

export function emptyImageConfig(architecture: string, os: string): ImageConfig {
  return { architecture, os, config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
}
