import type { CommandSpec } from '../../argv/command-spec.js';
// `berth registry gc` works on the storage directly, without berthd (like serve).

export const registryGcCommand: CommandSpec = {
  path: ['registry', 'gc'],
  aliases: [['registry', 'garbage-collect']],
  usage: '[OPTIONS]',
  description: 'Remove blobs no manifest references (run while the registry is stopped)',
  args: { kind: 'none' },
  flags: [
    { long: 'storage', kind: 'string', description: 'Directory of the registry storage' },
    { long: 'dry-run', short: 'd', kind: 'bool', description: 'Only list what would be deleted' },
  ],
  async run(ctx, flags) {
    const storage = flags.string('storage');
    if (!storage) {
      ctx.err('berth registry gc: --storage DIR is required\n');
      return 1;
    }
    const dryRun = flags.bool('dry-run');
    const { garbageCollect } = await import('../../../registry/server/garbage-collect.js');
    const result = await garbageCollect(storage, { dryRun });
    for (const d of result.eligible) ctx.out(`blob eligible for deletion: ${d}\n`);
    ctx.out(`${result.marked} blobs marked, ${result.eligible.length} blobs ${dryRun ? 'eligible for deletion' : 'deleted'} (${result.bytes} bytes)\n`);
    return 0;
  },
};
