import type { CliContext } from '../../cli-context.js';

/** docker's prompt: reads one line from stdin; only "y"/"yes" (any case) confirms. */
export async function confirm(ctx: CliContext, warning: string): Promise<boolean> {
  ctx.out(`${warning}\nAre you sure you want to continue? [y/N] `);
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (d: Buffer | string): void => {
      buf += d.toString();
      if (buf.includes('\n')) finish();
    };
    const finish = (): void => {
      ctx.stdin.off('data', onData);
      ctx.stdin.off('end', finish);
      ctx.stdin.pause();
      resolve(buf.split('\n')[0] ?? '');
    };
    ctx.stdin.on('data', onData);
    ctx.stdin.once('end', finish);
    ctx.stdin.resume();
  });
  return ['y', 'yes'].includes(line.trim().toLowerCase());
}
