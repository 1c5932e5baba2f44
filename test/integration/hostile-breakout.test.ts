/**
 * Breakout attempts from inside a default container all fail: mounting,
 * writing /proc/sys, /proc/sysrq-trigger, /sys and the cgroup tree, reaching
 * the host's block devices (even after mknod), and raw sockets once NET_RAW
 * is dropped. Through the docker CLI and through berth.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/** major:minor of a real block device of the host (not a loop device), or 8:0. */
async function hostBlockDevice(): Promise<[string, string]> {
  const devs = (await readdir('/sys/block').catch(() => [] as string[])).filter((d) => !/^(loop|ram|zram)/.test(d));
  for (const d of devs) {
    const mm = (await readFile(`/sys/block/${d}/dev`, 'utf8').catch(() => '')).trim().split(':');
    const [major, minor] = mm;
    if (major !== undefined && minor !== undefined && mm.length === 2) return [major, minor];
  }
  return ['8', '0'];
}

/** Each attempt prints `<name>=ESCAPED` when the command succeeds, `<name>=blocked` otherwise. */
function script(major: string, minor: string): string {
  const attempts: [string, string][] = [
    ['mount-tmpfs', 'mount -t tmpfs none /mnt'],
    ['mount-proc', 'mkdir -p /tmp/p && mount -t proc proc /tmp/p'],
    ['remount-proc-sys-rw', 'mount -o remount,rw /proc/sys'],
    ['proc-sys-write', 'echo 3 > /proc/sys/vm/drop_caches'],
    ['proc-sys-kernel-write', 'echo 1 > /proc/sys/kernel/sysrq'],
    ['sysrq-trigger', 'echo h > /proc/sysrq-trigger'],
    ['sys-write', 'echo 1 > /sys/kernel/profiling || echo x > /sys/class/net/lo/ifalias'],
    ['cgroup-mkdir', 'mkdir /sys/fs/cgroup/berth-escape || mkdir /sys/fs/cgroup/memory/berth-escape'],
    ['cgroup-write', 'for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/*/cgroup.procs /sys/fs/cgroup/*/tasks; do [ -e "$f" ] && echo $$ > "$f" && exit 0; done; exit 1'],
    ['host-disk-node', 'ls /dev/vda /dev/sda /dev/nvme0n1 2>/dev/null | grep -q .'],
    ['mknod-block-read', `mknod /tmp/hostdisk b ${major} ${minor} && head -c 512 /tmp/hostdisk > /dev/null`],
    ['dev-mem-read', `mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem > /dev/null`],
    ['kmsg-read', 'head -c 1 /dev/kmsg > /dev/null'],
    ['swapoff', 'swapoff -a && [ -n "$(cat /proc/swaps | sed 1d)" ]'],
    ['hostname-proc', 'echo evil > /proc/sys/kernel/hostname && [ "$(cat /proc/sys/kernel/hostname)" = evil ]'],
  ];
  return attempts.map(([name, cmd]) => `if ( ${cmd} ) >/dev/null 2>&1; then echo ${name}=ESCAPED; else echo ${name}=blocked; fi`).join('\n');
}

for (const cli of ['docker', 'berth'] as const) {
  describe(`breakout attempts from a default container via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });

    before(async () => {
      h = await startBerthd(`breakout-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('mounts, /proc/sys, sysrq, /sys, cgroups and host devices are all out of reach', async () => {
      const [major, minor] = await hostBlockDevice();
      const r = await run(['run', '--rm', 'busybox', 'sh', '-c', script(major, minor)]);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 15, r.stdout);
      const escaped = lines.filter((l) => !l.endsWith('=blocked'));
      assert.deepEqual(escaped, [], `escaped:\n${r.stdout}`);
      process.stdout.write(`# breakout via ${cli}: ${lines.length} attempts, all blocked\n`);
    });

    test('raw sockets: ping works with the default NET_RAW and fails with --cap-drop NET_RAW', async () => {
      const ok = await run(['run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '2', '127.0.0.1']);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      const dropped = await run(['run', '--rm', '--cap-drop', 'NET_RAW', 'busybox', 'ping', '-c', '1', '-W', '2', '127.0.0.1']);
      assert.notEqual(dropped.code, 0, dropped.stdout);
      assert.match(dropped.stderr + dropped.stdout, /permission denied|not permitted/i);
    });
  });
}
