import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { startRegistry, type TestRegistry } from './registry-helper.js';

// The OCI distribution-spec conformance suite (opencontainers/distribution-spec, conformance/),
// compiled with `go test -c`, run against `berth registry serve`. It needs Go and Go modules that
// this environment cannot download, so the test runs only when BERTH_OCI_CONFORMANCE names a
// built suite binary (see the issue 5 report for how it was built from Debian's golang packages).
const suite = process.env.BERTH_OCI_CONFORMANCE;

describe('OCI distribution-spec conformance suite against berth registry', { skip: !suite || !existsSync(suite) ? 'BERTH_OCI_CONFORMANCE is not set to a built conformance suite' : false }, () => {
  let reg: TestRegistry;
  let work: string;
  before(async () => {
    reg = await startRegistry('h5-conformance', { addr: '127.0.0.1' });
    work = await mkdtemp('/dev/shm/berth-h5-conformance-');
  });
  after(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('every enabled workflow passes', async () => {
    const env = {
      ...process.env,
      OCI_ROOT_URL: `http://${reg.host}`,
      OCI_NAMESPACE: 'conformance/repo',
      OCI_CROSSMOUNT_NAMESPACE: 'conformance/other',
      OCI_TEST_PULL: '1',
      OCI_TEST_PUSH: '1',
      OCI_TEST_CONTENT_DISCOVERY: '1',
      OCI_TEST_CONTENT_MANAGEMENT: '1',
      OCI_HIDE_SKIPPED_WORKFLOWS: '0',
      OCI_REPORT_DIR: work,
    };
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(suite as string, [], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (b: Buffer) => (text += b.toString()));
      child.stderr.on('data', (b: Buffer) => (text += b.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, out: text }));
    });
    const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
    assert.equal(code, 0, plain.slice(-4000));
    assert.match(plain, /SUCCESS!|PASS/);
  });
});
