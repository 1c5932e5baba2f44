import { readFile } from 'node:fs/promises';

/** Mount points from /proc/self/mountinfo (octal escapes decoded). */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field) out.push(field.replace(/\\(\d{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8))));
  }
  return out;
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).includes(path);
}

/** Mount points at or below `root`, deepest first (the order to unmount them). */
export async function mountsUnder(root: string): Promise<string[]> {
  const prefix = root.endsWith('/') ? root : root + '/';
  return (await mountPoints()).filter((m) => m === root || m.startsWith(prefix)).sort((a, b) => b.length - a.length);
}
