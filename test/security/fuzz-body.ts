/**
 * One fuzz run against a fresh harness daemon: base container, fuzz, cleanup
 * through the API, then the leak and failure checks. Shared by the quick CI
 * run (test/integration/hostile-fuzz.test.ts) and the long one
 * (test/security/fuzz-api.test.ts).
 */
import assert from 'node:assert/strict';
import { loadBusybox, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { api } from './hostile-lib.js';
import { cleanupFuzz, daemonFds, formatReport, fuzzApi, resourceCounts, type FuzzReport } from './fuzz-lib.js';

export async function fuzzSession(name: string, opts: { seed: number; maxCases: number; maxMs: number }): Promise<FuzzReport> {
  let h: BerthdHarness | undefined;
  try {
    h = await startBerthd(name);
    await loadBusybox(h);
    // Warm up lazily created state (the default bridge) so it does not count as a leak.
    await api(h, 'GET', '/networks');
    const before = await resourceCounts(h);
    const fdsBefore = await daemonFds(h);
    const r = await api(h, 'POST', '/containers/create?name=fzbase', JSON.stringify({ Image: 'busybox', Cmd: ['sleep', '3600'] }));
    assert.equal(r.status, 201, r.body);
    const cid = (JSON.parse(r.body) as { Id: string }).Id;
    const started = await api(h, 'POST', `/containers/${cid}/start`);
    assert.equal(started.status, 204, started.body);
    const report = await fuzzApi(h, cid, opts);
    process.stdout.write(formatReport(report));
    await cleanupFuzz(h);
    const after = await resourceCounts(h);
    assert.deepEqual(after, before, `resources leaked (seed ${opts.seed})`);
    const fdsAfter = await daemonFds(h);
    assert.ok(fdsAfter <= fdsBefore + 20, `daemon descriptors grew from ${fdsBefore} to ${fdsAfter} (seed ${opts.seed})`);
    assert.deepEqual(report.hangs, [], `requests hung (seed ${opts.seed})`);
    assert.deepEqual(report.failures, [], `5xx answers (seed ${opts.seed}):\n${formatReport(report)}`);
    return report;
  } catch (err) {
    const tail = h ? (await h.logs()).split('\n').slice(-40).join('\n') : '';
    throw new Error(`${(err as Error).message}\n--- berthd log ---\n${tail}`, { cause: err });
  } finally {
    await h?.stop();
  }
}
