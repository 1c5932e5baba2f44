import type { ImageRunConfig } from '../../images/image-config.js';

/**
 * POST /commit with a config in its body, as moby's CreateImageFromContainer:
 * the body's config (with the changes applied by the caller) is the new image
 * config, and what it leaves unset comes from the container's config (moby
 * daemon/commit.go merge): User, WorkingDir, StopSignal when empty; Env by
 * variable name; ExposedPorts, Volumes and Labels as unions (the body wins);
 * Cmd (with ArgsEscaped) and Entrypoint when the body has neither; Healthcheck
 * field by field.
 */
export function mergeCommitConfig(user: ImageRunConfig, container: ImageRunConfig): ImageRunConfig {
  const out: ImageRunConfig = { ...user };
  if (!out.User) out.User = container.User ?? '';
  out.ExposedPorts = { ...(container.ExposedPorts ?? {}), ...(out.ExposedPorts ?? {}) };
  if (Object.keys(out.ExposedPorts).length === 0) out.ExposedPorts = container.ExposedPorts ?? null;
  const userEnv = out.Env ?? [];
  if (userEnv.length === 0) out.Env = container.Env ?? null;
  else {
    const names = new Set(userEnv.map((e) => e.split('=')[0]));
    out.Env = [...userEnv, ...(container.Env ?? []).filter((e) => !names.has(e.split('=')[0]))];
  }
  out.Labels = { ...(container.Labels ?? {}), ...(out.Labels ?? {}) };
  if ((out.Entrypoint ?? []).length === 0) {
    if ((out.Cmd ?? []).length === 0) {
      out.Cmd = container.Cmd ?? null;
      if (container.ArgsEscaped !== undefined) out.ArgsEscaped = container.ArgsEscaped;
    }
    if (out.Entrypoint === undefined || out.Entrypoint === null) out.Entrypoint = container.Entrypoint ?? null;
  }
  if (container.Healthcheck) {
    const h = out.Healthcheck;
    out.Healthcheck = h
      ? {
          ...h,
          ...((h.Test ?? []).length === 0 && container.Healthcheck.Test ? { Test: container.Healthcheck.Test } : {}),
          ...(!h.Interval && container.Healthcheck.Interval ? { Interval: container.Healthcheck.Interval } : {}),
          ...(!h.Timeout && container.Healthcheck.Timeout ? { Timeout: container.Healthcheck.Timeout } : {}),
          ...(!h.StartPeriod && container.Healthcheck.StartPeriod ? { StartPeriod: container.Healthcheck.StartPeriod } : {}),
          ...(!h.Retries && container.Healthcheck.Retries ? { Retries: container.Healthcheck.Retries } : {}),
        }
      : container.Healthcheck;
  }
  if (!out.WorkingDir) out.WorkingDir = container.WorkingDir ?? '';
  out.Volumes = (out.Volumes && Object.keys(out.Volumes).length > 0) || container.Volumes ? { ...(out.Volumes ?? {}), ...(container.Volumes ?? {}) } : (out.Volumes ?? null);
  if (!out.StopSignal && container.StopSignal) out.StopSignal = container.StopSignal;
  delete out.Image;
  return out;
}
