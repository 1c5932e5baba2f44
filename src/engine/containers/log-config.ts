import { invalidArgument } from '../../errors/engine-error.js';
import type { EngineContext } from '../engine-context.js';
import { logDriverFor } from '../../logging/log-drivers.js';
import type { LogCapture } from '../../logging/log-driver.js';
import { validateLogOptionKeys } from '../../logging/log-options.js';
import type { ContainerRecord } from './container-model.js';
import { StartSetupError } from './start-setup-error.js';

export interface LogConfigInput {
  readonly Type: string;
  readonly Config?: Readonly<Record<string, string>> | null;
}

/**
 * HostConfig.LogConfig as dockerd's mergeAndVerifyLogConfig makes it at
 * create: an empty Type takes the daemon's `log-driver`; when the driver is
 * the daemon's, the daemon's `log-opts` fill the keys the container did not
 * set. The result is what inspect shows.
 */
export function mergeLogConfig(
  log: LogConfigInput | undefined,
  daemon: { readonly logDriver: string; readonly logOpts: Readonly<Record<string, string>> },
): { Type: string; Config: Record<string, string> } {
  const type = log?.Type ? log.Type : daemon.logDriver;
  const config: Record<string, string> = { ...(log?.Config ?? {}) };
  if (type === daemon.logDriver) for (const [k, v] of Object.entries(daemon.logOpts)) if (!(k in config)) config[k] = v;
  return { Type: type, Config: config };
}

/** Create-time check (dockerd logger.ValidateLogOpts): driver and option keys; 400 with dockerd's texts. */
export function validateLogConfig(log: LogConfigInput): void {
  validateLogOptionKeys(log.Type, log.Config ?? {});
}

/** Starts the container's log writer before conmon; a bad option value fails the start as dockerd's 500. */
export async function startLogCapture(ctx: EngineContext, c: ContainerRecord): Promise<LogCapture> {
  const log = c.hostConfig.LogConfig;
  const driver = logDriverFor(log.Type);
  try {
    return await driver.startCapture(
      {
        id: c.id,
        containerDir: c.runtime.containerDir,
        runDir: c.runtime.bundleDir,
        info: {
          id: c.id,
          name: c.name,
          imageId: c.imageId,
          imageName: c.imageRef,
          labels: c.config.Labels ?? {},
          env: c.config.Env ?? [],
          command: [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])].join(' '),
          created: c.created,
        },
      },
      log.Config ?? {},
    );
  } catch (err) {
    const msg = (err as Error).message;
    if (msg.startsWith('failed to initialize logging driver')) throw new StartSetupError(msg);
    ctx.log.warn('log capture failed', { id: c.id, error: msg });
    throw err;
  }
}

/** daemon.json `log-driver`/`log-opts` as dockerd checks them at its start ("failed to set log opts: …"). */
export function validateDaemonLogConfig(driver: string, opts: Readonly<Record<string, string>>): void {
  try {
    validateLogOptionKeys(driver, opts);
  } catch (err) {
    throw invalidArgument(`failed to set log opts: ${(err as Error).message}`);
  }
}
