import { mkdir, rm, writeFile } from 'node:fs/promises';
import { EngineError, conflict, invalidArgument, notModified } from '../../errors/engine-error.js';
import { enginePaths } from '../engine-context.js';
import { removeExitFile } from '../../runtime/exit-files.js';
import { getContainerById, requireContainer, saveContainerState } from './container-repo.js';
import { removeContainerLocked } from './remove.js';
import { nowRfc3339Nano, ZERO_TIME, type ContainerRecord } from './container-model.js';
import { mountRootfs, unmountRootfs } from './rootfs.js';
import { ociSpecFor } from './oci-spec-input.js';
import { connectContainerNetwork, releaseContainerNetwork } from '../network/container-network.js';
import type { ContainerSupervisor } from './supervisor.js';
import { resetRestartState } from './restart-policy.js';
import { chownDirForRemap } from '../security/userns-container.js';
import { releaseShm } from './namespace-modes.js';
import { StartSetupError } from './start-setup-error.js';
import { startLogCapture } from './log-config.js';
import type { LogCapture } from '../../logging/log-driver.js';

/** POST /containers/{id}/start. */
export async function startContainer(sup: ContainerSupervisor, ref: string): Promise<void> {
  const id = requireContainer(sup.ctx.db, ref).id;
  await sup.withLock(id, async () => {
    const c = requireContainer(sup.ctx.db, id);
    if (c.state.Paused) throw conflict('cannot start a paused container, try unpause instead');
    if (c.state.Running) throw notModified('container already started');
    if (sup.removing.has(c.id)) throw conflict(`container is marked for removal and cannot be started`);
    c.runtime.stoppedByUser = false;
    resetRestartState(sup, c);
    try {
      await runContainerProcess(sup, c);
    } catch (err) {
      // Docker removes an AutoRemove container whose start failed; `run --rm` waits for that.
      if (c.hostConfig.AutoRemove) {
        const failed = getContainerById(sup.ctx.db, c.id);
        if (failed) await removeContainerLocked(sup, failed).catch(() => undefined);
      }
      throw err;
    }
  });
}

/**
 * Mounts, writes the bundle, creates the process under conmon, connects
 * waiting attach clients and starts it. On failure everything it set up is
 * undone and the error is recorded in the container's state. Caller holds the lock.
 */
export async function runContainerProcess(sup: ContainerSupervisor, c: ContainerRecord): Promise<void> {
  const ctx = sup.ctx;
  const runtime = ctx.runtimes.get(c.runtime.runtime);
  if (!runtime) throw invalidArgument(`unknown or invalid runtime name: ${c.runtime.runtime}`);
  let capture: LogCapture | undefined;
  try {
    await mkdir(c.runtime.bundleDir, { recursive: true, mode: 0o700 });
    if (ctx.settings.userns) await chownDirForRemap(c.runtime.bundleDir, ctx.settings.userns);
    await mountRootfs(ctx, c);
    await connectContainerNetwork(ctx, c);
    const spec = await ociSpecFor(ctx, c).catch((err: unknown) => {
      throw new SpecFailure(err);
    });
    await writeFile(`${c.runtime.bundleDir}/config.json`, JSON.stringify(spec));
    // A runtime record can only be left over after a crash; probing costs a runc start, so only delete what exists.
    if (await runtime.hasRecord(c.id)) await runtime.delete(c.id, { force: true });
    await removeExitFile(enginePaths.exitDir(ctx.settings), c.id);
    await rm(`${c.runtime.bundleDir}/exit`, { force: true });
    capture = await startLogCapture(ctx, c);
    const created = await runtime.create({
      id: c.id,
      name: c.name,
      bundleDir: c.runtime.bundleDir,
      logPath: c.runtime.logPath,
      conmonLog: capture.conmonLog,
      exitDir: enginePaths.exitDir(ctx.settings),
      terminal: c.config.Tty,
      openStdin: c.config.OpenStdin,
      stdinOnce: c.config.StdinOnce,
    });
    await sup.connectAttachSinks(c);
    await runtime.start(c.id);
    c.state = {
      ...c.state,
      Status: 'running',
      Running: true,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: created.pid,
      ExitCode: 0,
      Error: '',
      StartedAt: nowRfc3339Nano(),
      FinishedAt: c.state.FinishedAt === '' ? ZERO_TIME : c.state.FinishedAt,
    };
    c.runtime.conmonPid = created.conmonPid;
    saveContainerState(ctx.db, c);
  } catch (err) {
    await runtime.delete(c.id, { force: true }).catch(() => undefined);
    await capture?.abort().catch(() => undefined);
    await releaseContainerNetwork(ctx, c).catch(() => undefined);
    await unmountRootfs(c).catch(() => undefined);
    await releaseShm(c).catch(() => undefined);
    sup.endAttachSinks(c.id);
    const failure = err instanceof SpecFailure ? specFailure(err.cause) : startFailure(err);
    c.state = { ...c.state, Running: false, Pid: 0, Error: failure.message, ExitCode: failure.exitCode };
    saveContainerState(ctx.db, c);
    throw failure.error;
  }
  ctx.events.publish('container', 'start', c.id, { image: c.imageRef, name: c.name, ...c.config.Labels });
}

/** An error while building config.json (moby createSpec): it reaches the client as it is, not as a runtime failure. */
class SpecFailure {
  constructor(readonly cause: unknown) {}
}

function specFailure(err: unknown): { error: Error; message: string; exitCode: number } {
  const error = err instanceof Error ? err : new EngineError('internal', String(err));
  return { error, message: error.message, exitCode: 128 };
}

/** Docker's translation of runtime start errors: 127 for a missing command, 126 for one it cannot run. */
function startFailure(err: unknown): { error: Error; message: string; exitCode: number } {
  const raw = err instanceof Error ? err.message : String(err);
  if (err instanceof EngineError && (err.code !== 'internal' || err instanceof StartSetupError)) return { error: err, message: raw, exitCode: 128 };
  const detail = /OCI runtime/.test(raw) ? raw : `OCI runtime create failed: ${raw}`;
  // dockerd 20.10's wording (moby 24 added a "failed to create task for container: " prefix).
  const message = /^failed to create (shim )?task/.test(raw) ? raw : `failed to create shim task: ${detail}: unknown`;
  if (/executable file not found|no such file or directory/.test(raw)) {
    return { error: invalidArgument(message), message, exitCode: 127 };
  }
  if (/permission denied/.test(raw)) return { error: invalidArgument(message), message, exitCode: 126 };
  return { error: new EngineError('internal', message), message, exitCode: 128 };
}
