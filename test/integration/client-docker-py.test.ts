import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { busyboxTarball, loadBusybox, repoRoot, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

// docker-py 5.0.3 (Debian python3-docker, installed by scripts/setup.sh) drives berthd through the harness socket.
// Each scenario script under test/clients/docker-py checks what the same calls give against dockerd 20.10 and
// exits non-zero with a message at the first difference. `python3` on PATH may be another Python: use Debian's.
const PYTHON = '/usr/bin/python3';
const scripts = `${repoRoot}/test/clients/docker-py`;

function python(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(PYTHON, args, { env, cwd: scripts, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr: stderr || (err?.message ?? '') }),
    ),
  );
}

describe('docker-py 5.0.3 against berthd', () => {
  let h: BerthdHarness;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    h = await startBerthd('client-docker-py');
    await loadBusybox(h);
    await busyboxTarball();
    env = { ...h.env, BUSYBOX_TAR: '/tmp/berth-busybox.tar', SCENARIO_PREFIX: 'dpy', PYTHONDONTWRITEBYTECODE: '1' };
  });
  after(async () => {
    await h?.stop();
  });

  test('docker-py 5.0.3 is installed (scripts/setup.sh installs python3-docker)', async () => {
    const r = await python(['-c', 'import docker; print(docker.__version__)'], process.env);
    assert.equal(r.code, 0, `${PYTHON} cannot import docker: ${r.stderr}`);
    assert.equal(r.stdout.trim(), '5.0.3');
  });

  for (const scenario of ['containers', 'exec', 'attach', 'images', 'build', 'networks', 'volumes']) {
    test(`scenario ${scenario}.py`, async () => {
      const r = await python([`${scenario}.py`], env);
      assert.equal(r.code, 0, `${scenario}.py failed:\n${r.stderr}\n${r.stdout}\n--- berthd log tail ---\n${(await h.logs()).split('\n').slice(-15).join('\n')}`);
      assert.match(r.stdout, new RegExp(`^ok ${scenario}$`, 'm'));
    });
  }
});
