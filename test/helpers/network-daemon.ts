import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';

/** Runs a host command and resolves with its stdout (errors give whatever it printed). */
export function host(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => execFile(cmd, args, { encoding: 'utf8' }, (_err, stdout) => resolve(stdout)));
}

/** GET / on hostname:port; resolves with the body. */
export function httpGet(hostname: string, port: number, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: '/', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Retries `fn` every 100 ms until it resolves, at most `tries` times; rethrows the last error. */
export async function eventually<T>(fn: () => Promise<T>, tries = 40): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}

/** berth-proxy processes forwarding to a container address (matched on their argv). */
export async function proxiesTo(containerIp: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0]?.endsWith('/berth-proxy') && argv[argv.indexOf('-container-ip') + 1] === containerIp) out.push(pid);
  }
  return out;
}
