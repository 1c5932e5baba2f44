import { execFile } from 'node:child_process';
import { internal } from '../errors/engine-error.js';

export interface HostCommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a host tool (ip, iptables, nsenter) without a shell; resolves with its exit code. */
export function tryHostCommand(cmd: string, args: readonly string[], input?: string): Promise<HostCommandResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr: stderr || (err?.message ?? '') });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Like tryHostCommand, but a non-zero exit is an internal error carrying the tool's message. */
export async function hostCommand(cmd: string, args: readonly string[], input?: string): Promise<string> {
  const r = await tryHostCommand(cmd, args, input);
  if (r.code !== 0) throw internal(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}
