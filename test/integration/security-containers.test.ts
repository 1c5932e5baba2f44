import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { seccompFor } from '../../src/engine/security/seccomp-profile.js';
import { parseSecurityOpts } from '../../src/engine/security/security-opts.js';
import { defaultCapabilities } from '../../src/engine/containers/oci-spec.js';

describe('seccomp profile resolution', () => {
  test('default profile: EPERM by default, clone3 ENOSYS, unshare only with CAP_SYS_ADMIN', () => {
    const p = seccompFor({ kind: 'default' }, { privileged: false, capabilities: defaultCapabilities });
    assert.ok(p);
    assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(p.defaultErrnoRet, 1);
    const rulesFor = (name: string, prof = p) => (prof.syscalls ?? []).filter((r) => r.names.includes(name));
    assert.deepEqual(rulesFor('clone3').map((r) => [r.action, r.errnoRet]), [['SCMP_ACT_ERRNO', 38]]);
    assert.equal(rulesFor('unshare').length, 0);
    assert.equal(rulesFor('chroot').length, 1, 'CAP_SYS_CHROOT is a default capability');
    const admin = seccompFor({ kind: 'default' }, { privileged: false, capabilities: [...defaultCapabilities, 'CAP_SYS_ADMIN'] });
    assert.ok(admin);
    assert.equal(rulesFor('unshare', admin).length, 1);
    assert.deepEqual(rulesFor('clone3', admin).map((r) => r.action), ['SCMP_ACT_ALLOW']);
  });

  test('privileged and unconfined run without a filter; a bad custom profile is rejected', () => {
    assert.equal(seccompFor({ kind: 'default' }, { privileged: true, capabilities: [] }), undefined);
    assert.equal(seccompFor({ kind: 'unconfined' }, { privileged: false, capabilities: [] }), undefined);
    assert.throws(() => seccompFor({ kind: 'custom', json: '{"defaultAction":"NOPE"}' }, { privileged: false, capabilities: [] }), /Decoding seccomp profile failed/);
  });

  test('security-opt parsing follows Docker', () => {
    assert.equal(parseSecurityOpts(['no-new-privileges']).noNewPrivileges, true);
    assert.equal(parseSecurityOpts(['no-new-privileges:true']).noNewPrivileges, true);
    assert.equal(parseSecurityOpts(['no-new-privileges=false']).noNewPrivileges, false);
    assert.deepEqual(parseSecurityOpts(['seccomp=unconfined']).seccomp, { kind: 'unconfined' });
    assert.deepEqual(parseSecurityOpts(['label=disable', 'apparmor=unconfined']).seccomp, { kind: 'default' });
    assert.throws(() => parseSecurityOpts(['bogus']), /invalid --security-opt 1: "bogus"/);
    assert.throws(() => parseSecurityOpts(['foo=bar']), /invalid --security-opt 2: "foo=bar"/);
  });
});

// The same assertions through the real docker CLI and through berth.
for (const cli of ['docker', 'berth'] as const) {
  describe(`hardened containers via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });

    before(async () => {
      h = await startBerthd(`sec-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('info lists the builtin seccomp profile', async () => {
      const r = await run(['info']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Security Options:\n\s+seccomp\n\s+Profile: builtin/);
    });

    // unshare(CLONE_NEWUSER) needs no capability, so only seccomp stands in its way: a clean proof the filter is applied.
    test('unshare -U is blocked by the default profile and allowed unconfined or with CAP_SYS_ADMIN', async () => {
      const blocked = await run(['run', '--rm', 'busybox', 'unshare', '-U', 'true']);
      assert.notEqual(blocked.code, 0);
      assert.match(blocked.stderr, /Operation not permitted/);
      const status = await run(['run', '--rm', 'busybox', 'grep', 'Seccomp:', '/proc/self/status']);
      assert.match(status.stdout, /Seccomp:\s+2/);
      const unconfined = await run(['run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'unshare', '-U', 'true']);
      assert.equal(unconfined.code, 0, unconfined.stderr);
      const admin = await run(['run', '--rm', '--cap-add', 'SYS_ADMIN', 'busybox', 'unshare', '-U', 'true']);
      assert.equal(admin.code, 0, admin.stderr);
    });

    test('a custom profile file is sent as JSON and enforced', async () => {
      const file = `${h.root}/deny-mkdir-${cli}.json`;
      await writeFile(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }, null, 2));
      const r = await run(['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'mkdir', '/tmp/x']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Permission denied/);
      const ok = await run(['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'touch', '/tmp/x']);
      assert.equal(ok.code, 0, ok.stderr);
    });

    test('adding a route needs CAP_NET_ADMIN', async () => {
      const denied = await run(['run', '--rm', 'busybox', 'ip', 'route', 'add', '10.9.9.0/24', 'dev', 'lo']);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /Operation not permitted/);
      const allowed = await run(['run', '--rm', '--cap-add', 'NET_ADMIN', 'busybox', 'sh', '-c', 'ip route add 10.9.9.0/24 dev lo && ip route']);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.match(allowed.stdout, /10\.9\.9\.0\/24 dev lo/);
    });

    // This VM's kernel has no /proc/kcore; /proc/timer_list (non-empty on the host) proves the same masking.
    test('masked /proc paths read empty', async () => {
      const r = await run(['run', '--rm', 'busybox', 'sh', '-c', 'wc -c < /proc/timer_list; if [ -e /proc/kcore ]; then wc -c < /proc/kcore; else echo 0; fi']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.replace(/\s+/g, ' ').trim(), '0 0');
    });

    test('no-new-privileges sets the flag; a bad security-opt is refused', async () => {
      const on = await run(['run', '--rm', '--security-opt', 'no-new-privileges', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']);
      assert.match(on.stdout, /NoNewPrivs:\s+1/);
      const off = await run(['run', '--rm', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']);
      assert.match(off.stdout, /NoNewPrivs:\s+0/);
      const bad = await run(['run', '--rm', '--security-opt', 'bogus=1', 'busybox', 'true']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /invalid --security-opt 2: "bogus=1"/);
    });
  });
}
