import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/*
 * Expectations baked in from Debian's dockerd 20.10.24 (run by hand on its own
 * data root, 2026-12-07): the same busybox commands, and the records it wrote
 * to /var/lib/docker/containers/<id>/<id>-json.log, without their "time".
 */
const SCRIPT_ESCAPES = String.raw`printf "a<b>&c\"d\\\\e\tf\001g\r\n"; printf "\342\200\250x\377y\n"; printf "nonl"; echo err >&2; head -c 16384 /dev/zero | tr "\0" x; echo; head -c 40000 /dev/zero | tr "\0" y; echo`;
const DOCKERD_STDOUT_RECORDS = [
  String.raw`{"log":"a\u003cb\u003e\u0026c\"d\\e\u0009f\u0001g\r\n","stream":"stdout",`,
  String.raw`{"log":"\u2028x\ufffdy\n","stream":"stdout",`,
  // "nonl" + 16384 x + "\n": a 16384-byte partial record (no "\n"), then the rest, both with the partial's time.
  `{"log":"nonl${'x'.repeat(16380)}","stream":"stdout",`,
  `{"log":"xxxx\\n","stream":"stdout",`,
  `{"log":"${'y'.repeat(16384)}","stream":"stdout",`,
  `{"log":"${'y'.repeat(16384)}","stream":"stdout",`,
  `{"log":"${'y'.repeat(40000 - 2 * 16384)}\\n","stream":"stdout",`,
];
const DOCKERD_STDERR_RECORDS = [`{"log":"err\\n","stream":"stderr",`];
/** `printf abc; sleep 0.3; echo def; printf tail`: one line, then the unterminated rest at EOF as a partial record. */
const DOCKERD_PARTIAL_RECORDS = [`{"log":"abcdef\\n","stream":"stdout",`, `{"log":"tail","stream":"stdout",`];
/** Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped. */
const TIME_TAIL = /"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z"\}$/;
const LINE = 'padding padding padding padding padding padding padding padding padding padding';

describe('json-file, local and none log drivers as dockerd', () => {
  let h: BerthdHarness;
  const docker = (args: string[], timeoutMs = 120_000) => runCli('docker', args, { env: h.env, timeoutMs });
  const idOf = async (name: string): Promise<string> => (await docker(['inspect', '-f', '{{.Id}}', name])).stdout.trim();
  const logFile = (id: string): string => `${h.dataRoot}/containers/${id}/${id}-json.log`;
  const records = async (id: string): Promise<string[]> => (await readFile(logFile(id), 'utf8')).split('\n').filter((l) => l !== '');
  const run = async (args: string[]): Promise<string> => {
    const r = await docker(['run', '-d', '--network', 'none', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.equal((await docker(['wait', id])).code, 0);
    return id;
  };

  before(async () => {
    h = await startBerthd('logging-json-file', { daemonJson: {} });
    await loadBusybox(h);
  });
  after(async () => h?.stop());

  test('records are byte for byte what dockerd 20.10 writes: Go escaping, 16 KiB partials sharing one time', async () => {
    const id = await run(['--name', 'lj-escapes', 'busybox', 'sh', '-c', SCRIPT_ESCAPES]);
    const lines = await records(id);
    for (const l of lines) assert.match(l, TIME_TAIL);
    const shape = (l: string): string => l.replace(/"time":"[^"]*"\}$/, '');
    assert.deepEqual(lines.filter((l) => l.includes('"stream":"stdout"')).map(shape), DOCKERD_STDOUT_RECORDS);
    assert.deepEqual(lines.filter((l) => l.includes('"stream":"stderr"')).map(shape), DOCKERD_STDERR_RECORDS);
    const times = lines.filter((l) => l.includes('"stream":"stdout"')).map((l) => /"time":"([^"]*)"/.exec(l)?.[1]);
    assert.equal(times[2], times[3], 'the pieces of a split line carry the first piece\'s time');
    assert.equal(times[4], times[6]);
    const logs = await docker(['logs', 'lj-escapes']);
    assert.equal(logs.stdout.split('\n')[0], 'a<b>&c"d\\e\tf\u0001g\r');
    assert.equal(logs.stdout.length, 16 + 5 + 16388 + 1 + 40001 + 0);
  });

  test('a line still open at EOF is a record without "\\n"; logs gives the bytes back as they were', async () => {
    const id = await run(['--name', 'lj-partial', 'busybox', 'sh', '-c', 'printf abc; sleep 0.3; echo def; printf tail']);
    assert.deepEqual((await records(id)).map((l) => l.replace(/"time":"[^"]*"\}$/, '')), DOCKERD_PARTIAL_RECORDS);
    assert.equal((await docker(['logs', 'lj-partial'])).stdout, 'abcdef\ntail');
  });

  test('labels, env, labels-regex, env-regex and tag make the "attrs" object as dockerd', async () => {
    // prettier-ignore
    const id = await run([
      '--name', 'lj-attrs', '-l', 'a=1', '-l', 'b=<x>', '-l', 'zz=9', '-e', 'E1=v1', '-e', 'E2=v2', '-e', 'X=y',
      '--log-opt', 'labels=a,b,missing', '--log-opt', 'env=E1,nope', '--log-opt', 'labels-regex=^z', '--log-opt', 'env-regex=^X',
      '--log-opt', 'tag={{.Name}}/{{.ID}}/{{.ImageName}}/{{.DaemonName}}', 'busybox', 'echo', 'hi',
    ]);
    const [line] = await records(id);
    // dockerd 20.10: {"log":"hi\n","stream":"stdout","attrs":{"E1":"v1","X":"y","a":"1","b":"\u003cx\u003e","tag":"attrs1/2e249118222d/busybox/docker","zz":"9"},"time":…}
    assert.equal(
      line?.replace(/"time":"[^"]*"\}$/, ''),
      String.raw`{"log":"hi\n","stream":"stdout","attrs":{"E1":"v1","X":"y","a":"1","b":"\u003cx\u003e","tag":"lj-attrs/${id.slice(0, 12)}/busybox/docker","zz":"9"},`,
    );
  });

  test('a TTY container, a 1 MiB line, --details and LogPath as dockerd 20.10', async () => {
    // dockerd: {"log":"hi\r\n","stream":"stdout",…} for a TTY's "echo hi".
    const tty = await run(['-t', 'busybox', 'sh', '-c', 'echo hi; echo there']);
    assert.deepEqual((await records(tty)).map((l) => l.replace(/"time":"[^"]*"\}$/, '')), [String.raw`{"log":"hi\r\n","stream":"stdout",`, String.raw`{"log":"there\r\n","stream":"stdout",`]);
    // dockerd: 1048576 bytes + "\n" are 64 records of 16384 bytes and a last {"log":"\n"}, all with one time.
    const big = await run(['busybox', 'sh', '-c', 'head -c 1048576 /dev/zero | tr "\\0" z; echo']);
    const recs = (await records(big)).map((l) => JSON.parse(l) as { log: string; time: string });
    assert.equal(recs.length, 65);
    assert.ok(recs.slice(0, 64).every((r) => r.log === 'z'.repeat(16384)));
    assert.equal(recs[64]?.log, '\n');
    assert.equal(new Set(recs.map((r) => r.time)).size, 1);
    assert.equal((await docker(['logs', big])).stdout, `${'z'.repeat(1048576)}\n`);
    // dockerd: `docker logs --details` prints url.QueryEscape'd attrs "a=x+y,b=1%2C2%26 hi", and a lone space without attrs.
    const det = await run(['-l', 'a=x y', '-l', 'b=1,2&', '--log-opt', 'labels=a,b', 'busybox', 'echo', 'hi']);
    assert.equal((await docker(['logs', '--details', det])).stdout, 'a=x+y,b=1%2C2%26 hi\n');
    assert.match((await docker(['logs', '--details', '-t', det])).stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z a=x\+y,b=1%2C2%26 hi\n$/);
    assert.equal((await docker(['logs', '--details', tty])).stdout, ' hi\r\n there\r\n');
    // dockerd: LogPath is empty until the container first started.
    const created = (await docker(['create', '--network', 'none', 'busybox', 'true'])).stdout.trim();
    assert.equal((await docker(['inspect', '-f', '[{{.LogPath}}]', created])).stdout.trim(), '[]');
    assert.equal((await docker(['inspect', '-f', '{{.LogPath}}', det])).stdout.trim(), logFile(det));
  });

  test('bad option values fail the start with dockerd\'s texts (500, state created, exit 128); unknown keys are 400 at create', async () => {
    const cases: [string[], string][] = [
      [['max-size=abc'], "invalid size: 'abc'"],
      [['max-size=0'], 'max-size must be a positive number'],
      [['max-size=-1'], "invalid size: '-1'"],
      [['max-file=0'], 'max-file cannot be less than 1'],
      [['max-file=x'], 'strconv.Atoi: parsing "x": invalid syntax'],
      [['compress=true'], 'compress cannot be true when max-file is less than 2 or max-size is not set'],
      [['max-size=1m', 'compress=true'], 'compress cannot be true when max-file is less than 2 or max-size is not set'],
      [['compress=yes'], 'strconv.ParseBool: parsing "yes": invalid syntax'],
      [['labels-regex=['], 'error parsing regexp: missing closing ]: `[`'],
      [['env-regex=('], 'error parsing regexp: missing closing ): `(`'],
      [['tag={{.Bad'], 'template: log-tag:1: unclosed action'],
      [['tag={{.Nope}}'], 'template: log-tag:1:2: executing "log-tag" at <.Nope>: can\'t evaluate field Nope in type *logger.Info'],
    ];
    for (const [opts, text] of cases) {
      const c = await docker(['create', '--network', 'none', ...opts.flatMap((o) => ['--log-opt', o]), 'busybox', 'true']);
      assert.equal(c.code, 0, c.stderr);
      const id = c.stdout.trim();
      const s = await docker(['start', id]);
      assert.equal(s.code, 1, opts.join(','));
      assert.ok(s.stderr.includes(`Error response from daemon: failed to initialize logging driver: ${text}`), `${opts.join(',')}: ${s.stderr}`);
      assert.equal((await docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id])).stdout.trim(), 'created 128');
      assert.equal((await docker(['rm', id])).code, 0);
    }
    for (const [driver, opt, text] of [
      ['json-file', 'bogus=1', "unknown log opt 'bogus' for json-file log driver"],
      ['json-file', 'mode=x', 'logger: logging mode not supported: x'],
      ['json-file', 'max-buffer-size=1m', "logger: max-buffer-size option is only supported with 'mode=non-blocking'"],
      ['local', 'tag=x', "unknown log opt 'tag' for log driver local"],
    ] as const) {
      const r = await docker(['create', '--log-driver', driver, '--log-opt', opt, 'busybox', 'true']);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.includes(`Error response from daemon: ${text}`), r.stderr);
    }
    for (const ok of [['max-size=1.5k'], ['max-size=1kib'], ['max-file=3'], ['max-size=1m', 'max-file=2', 'compress=true']]) {
      const id = await run(ok.flatMap((o) => ['--log-opt', o]).concat(['busybox', 'true']));
      assert.equal((await docker(['inspect', '-f', '{{.State.ExitCode}}', id])).stdout.trim(), '0');
    }
  });

  test('max-size=1m max-file=2: 10 MB of output keeps about 2 MB, logs and --tail give the last lines in order', async () => {
    const id = await run(['--name', 'lj-rotate', '--log-opt', 'max-size=1m', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c',
      `i=0; while [ $i -lt 70000 ]; do echo "line $i ${LINE}"; i=$((i+1)); done`]);
    const dir = `${h.dataRoot}/containers/${id}`;
    const names = (await readdir(dir)).filter((n) => n.includes('-json.log')).sort();
    assert.deepEqual(names, [`${id}-json.log`, `${id}-json.log.1`]);
    let total = 0;
    for (const n of names) total += (await stat(`${dir}/${n}`)).size;
    // dockerd rotates once a file holds >= max-size, so a file can pass it by one record (dockerd's .1 was 1000094 bytes).
    assert.ok(total <= 2_000_400, `kept ${total} bytes`);
    assert.ok((await stat(`${dir}/${id}-json.log.1`)).size >= 1_000_000);
    const lines = (await docker(['logs', 'lj-rotate'])).stdout.split('\n').filter((l) => l !== '');
    const nums = lines.map((l) => Number(l.split(' ')[1]));
    assert.equal(nums.at(-1), 69999);
    assert.deepEqual(nums, nums.map((_n, i) => (nums[0] ?? 0) + i), 'contiguous, oldest kept first');
    assert.equal((await docker(['logs', '--tail', '3', 'lj-rotate'])).stdout, [69997, 69998, 69999].map((n) => `line ${n} ${LINE}\n`).join(''));
    const big = (await docker(['logs', '--tail', String(lines.length - 5), 'lj-rotate'])).stdout.split('\n').filter((l) => l !== '');
    assert.deepEqual(big, lines.slice(5), '--tail reaching into the rotated file');
  });

  test('without max-size/max-file the log is still bounded: 20 MB × 5 files built in, inspect shows Docker\'s {"Type":"json-file","Config":{}}, info warns', async () => {
    // 24 MiB in 1 KiB lines: the built-in 20 MiB limit rotates once (dockerd would keep one unbounded file).
    const id = await run(['--name', 'lj-default', 'busybox', 'sh', '-c', "head -c 25165824 /dev/zero | tr '\\0' a | fold -w 1023"]);
    const dir = `${h.dataRoot}/containers/${id}`;
    const names = (await readdir(dir)).filter((n) => n.includes('-json.log')).sort();
    assert.deepEqual(names, [`${id}-json.log`, `${id}-json.log.1`]);
    assert.ok((await stat(`${dir}/${id}-json.log.1`)).size >= 20 * 1024 * 1024);
    assert.equal((await docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id])).stdout.trim(), '{"Type":"json-file","Config":{}}');
    const info = await docker(['info']);
    assert.match(info.stderr, /WARNING: json-file logs are rotated at 20 MB × 5 files \(100 MB per container\) by default/);
    await docker(['rm', id]);
  });

  test('compress=true gzips rotated files (.N.gz with dockerd\'s lastTime header) and logs reads through them', async () => {
    const id = await run(['--name', 'lj-gzip', '--log-opt', 'max-size=100k', '--log-opt', 'max-file=3', '--log-opt', 'compress=true', 'busybox', 'sh', '-c',
      `i=0; while [ $i -lt 10000 ]; do echo "line $i ${LINE}"; i=$((i+1)); done`]);
    const dir = `${h.dataRoot}/containers/${id}`;
    const names = (await readdir(dir)).filter((n) => n.includes('-json.log')).sort();
    assert.deepEqual(names, [`${id}-json.log`, `${id}-json.log.1.gz`, `${id}-json.log.2.gz`]);
    const gz = await readFile(`${dir}/${id}-json.log.1.gz`);
    assert.equal(gz[3]! & 0x04, 0x04, 'FEXTRA set');
    const xlen = gz.readUInt16LE(10);
    assert.match(gz.subarray(12, 12 + xlen).toString(), /^\{"lastTime":"[^"]+Z"\}$/);
    const first = gunzipSync(gz).toString().split('\n')[0] ?? '';
    assert.match(first, /^\{"log":"line \d+ padding/);
    const lines = (await docker(['logs', 'lj-gzip'])).stdout.split('\n').filter((l) => l !== '');
    const nums = lines.map((l) => Number(l.split(' ')[1]));
    assert.equal(nums.at(-1), 9999);
    assert.deepEqual(nums, nums.map((_n, i) => (nums[0] ?? 0) + i));
    assert.ok(lines.length > 1000 && lines.length < 3000, `${lines.length} lines kept`);
    const ts = (await docker(['logs', '-t', '--tail', '1', 'lj-gzip'])).stdout;
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 9999 padding/);
  });

  // A follower slower than the writer by more than max-file files misses the files the writer dropped (so does dockerd's);
  // here the container writes ~3.4 MB at a few MB/s through 17 rotations of 200 kB files.
  test('logs -f follows across rotations and loses no line', async () => {
    const r = await docker(['run', '-d', '--name', 'lj-follow', '--network', 'none', '--log-opt', 'max-size=200k', '--log-opt', 'max-file=5', 'busybox', 'sh', '-c',
      `sleep 0.5; i=0; while [ $i -lt 20000 ]; do echo "line $i ${LINE}"; i=$((i+1)); [ $((i % 500)) = 0 ] && sleep 0.05; done; true`]);
    assert.equal(r.code, 0, r.stderr);
    const f = await docker(['logs', '-f', 'lj-follow'], 180_000);
    assert.equal(f.code, 0, f.stderr);
    const nums = f.stdout.split('\n').filter((l) => l !== '').map((l) => Number(l.split(' ')[1]));
    const gaps = nums.filter((n, i) => i > 0 && n !== (nums[i - 1] ?? 0) + 1).slice(0, 5);
    assert.equal(nums.length, 20000, `first ${nums[0]}, last ${nums.at(-1)}, jumps at ${gaps.join(',')}`);
    assert.deepEqual(nums, nums.map((_n, i) => i));
  });

  test('mode=non-blocking: the writer thread\'s queue holds max-buffer-size; records, rotation and logs as in blocking mode', async () => {
    const id = await run(['--name', 'lj-nonblock', '--log-opt', 'mode=non-blocking', '--log-opt', 'max-buffer-size=4m', '--log-opt', 'max-size=500k', '--log-opt', 'max-file=10', '--log-opt', 'compress=true', 'busybox', 'sh', '-c',
      `i=0; while [ $i -lt 20000 ]; do echo "line $i ${LINE}"; i=$((i+1)); done`]);
    const nums = (await docker(['logs', id])).stdout.split('\n').filter((l) => l !== '').map((l) => Number(l.split(' ')[1]));
    assert.deepEqual(nums, Array.from({ length: 20000 }, (_v, i) => i), 'less output than the queue holds: nothing dropped');
    assert.ok((await readdir(`${h.dataRoot}/containers/${id}`)).some((n) => n.endsWith('-json.log.1.gz')));
    assert.equal((await docker(['inspect', '-f', '{{json .HostConfig.LogConfig.Config}}', id])).stdout.trim(), '{"compress":"true","max-buffer-size":"4m","max-file":"10","max-size":"500k","mode":"non-blocking"}');
  });

  test('--since, --until and --timestamps work on rotated files', async () => {
    const id = await run(['--name', 'lj-window', '--log-opt', 'max-size=200', '--log-opt', 'max-file=50', 'busybox', 'sh', '-c',
      'for i in 1 2 3 4 5 6 7 8 9 10; do echo "w $i"; done; sleep 1.2; for i in 11 12 13; do echo "w $i"; done']);
    const all = (await docker(['logs', '-t', 'lj-window'])).stdout.split('\n').filter((l) => l !== '');
    assert.equal(all.length, 13);
    const t11 = all[10]?.split(' ')[0] ?? '';
    assert.equal((await docker(['logs', '--since', t11, 'lj-window'])).stdout, 'w 11\nw 12\nw 13\n');
    assert.equal((await docker(['logs', '--until', t11, 'lj-window'])).stdout, Array.from({ length: 10 }, (_v, i) => `w ${i + 1}\n`).join(''));
    assert.ok((await readdir(`${h.dataRoot}/containers/${id}`)).some((n) => n.endsWith('-json.log.1')));
  });

  test('local: rotated and compressed by default, logs works; inspect and LogPath as dockerd', async () => {
    const id = await run(['--name', 'lj-local', '--log-driver', 'local', '--log-opt', 'max-size=100k', 'busybox', 'sh', '-c',
      `i=0; while [ $i -lt 20000 ]; do echo "line $i ${LINE}"; i=$((i+1)); done`]);
    const names = (await readdir(`${h.dataRoot}/containers/${id}/local-logs`)).sort();
    // dockerd 20.10 with max-size=100k: container.log, container.log.1.gz … .4.gz (5 files).
    assert.deepEqual(names, ['container.log', 'container.log.1.gz', 'container.log.2.gz', 'container.log.3.gz', 'container.log.4.gz']);
    const lines = (await docker(['logs', 'lj-local'])).stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.at(-1), `line 19999 ${LINE}`);
    assert.equal((await docker(['inspect', '-f', '{{json .HostConfig.LogConfig}} [{{.LogPath}}]', 'lj-local'])).stdout.trim(), '{"Type":"local","Config":{"max-size":"100k"}} []');
    for (const [opts, text] of [
      [['max-file=1'], 'compression cannot be enabled when max file count is 1'],
      [['compress=x'], 'error reading compress log option: strconv.ParseBool: parsing "x": invalid syntax'],
      [['max-size=abc'], "invalid value for max-size: abc: invalid size: 'abc'"],
    ] as const) {
      const c = await docker(['create', '--log-driver', 'local', ...opts.flatMap((o) => ['--log-opt', o]), 'busybox', 'true']);
      const s = await docker(['start', c.stdout.trim()]);
      assert.ok(s.stderr.includes(`failed to initialize logging driver: ${text}`), s.stderr);
      await docker(['rm', c.stdout.trim()]);
    }
  });

  test('none: nothing kept, logs is dockerd\'s 501, attach still gets the output', async () => {
    const r = await docker(['run', '--name', 'lj-none', '--network', 'none', '--log-driver', 'none', 'busybox', 'echo', 'only-attached']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'only-attached\n');
    const id = await idOf('lj-none');
    const files = await readdir(`${h.dataRoot}/containers/${id}`);
    assert.ok(!files.some((n) => n.includes('log')), files.join(','));
    const logs = await docker(['logs', 'lj-none']);
    assert.equal(logs.code, 1);
    assert.equal(logs.stderr.trim(), 'Error response from daemon: configured logging driver does not support reading');
    const res = await fetchLogsStatus(h.socket, id);
    assert.equal(res, 501);
    assert.equal((await docker(['inspect', '-f', '{{json .HostConfig.LogConfig}} [{{.LogPath}}]', 'lj-none'])).stdout.trim(), '{"Type":"none","Config":{}} []');
  });

  test('berthd killed with SIGKILL: the writer keeps going, no line is lost, rotation still holds, logs -f resumes', async () => {
    const r = await docker(['run', '-d', '--name', 'lj-kill', '--network', 'none', '--log-opt', 'max-size=200k', '--log-opt', 'max-file=50', 'busybox', 'sh', '-c',
      `i=0; while [ $i -lt 3000 ]; do echo "tick $i ${LINE}"; i=$((i+1)); [ $((i % 100)) = 0 ] && sleep 0.1; done; sleep 1`]);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    await new Promise((res) => setTimeout(res, 600));
    await h.kill9();
    await new Promise((res) => setTimeout(res, 1500));
    const sizeDown = (await stat(logFile(id))).size;
    await new Promise((res) => setTimeout(res, 500));
    assert.ok((await stat(logFile(id))).size !== sizeDown || (await readdir(`${h.dataRoot}/containers/${id}`)).some((n) => n.endsWith('.log.1')), 'the log grew while berthd was down');
    await h.restart();
    // logs -f after the restart: everything from before, during and after the downtime, ending with the container.
    const f = await docker(['logs', '-f', 'lj-kill'], 120_000);
    assert.equal(f.code, 0, f.stderr);
    const want = Array.from({ length: 3000 }, (_v, i) => i);
    assert.deepEqual(f.stdout.split('\n').filter((l) => l !== '').map((l) => Number(l.split(' ')[1])), want);
    const dir = `${h.dataRoot}/containers/${id}`;
    assert.ok((await readdir(dir)).some((n) => n.endsWith('-json.log.1')), 'rotated');
    const nums = (await docker(['logs', 'lj-kill'])).stdout.split('\n').filter((l) => l !== '').map((l) => Number(l.split(' ')[1]));
    assert.deepEqual(nums, want);
  });
});

// dockerd 20.10 with daemon.json {"log-driver":"json-file","log-opts":{"max-size":"10m","labels":"a"}}: docker info shows
// json-file; inspect shows the daemon's options merged under the container's own when the driver is the daemon's:
const DOCKERD_MERGED: [string[], string][] = [
  [[], '{"Type":"json-file","Config":{"labels":"a","max-size":"10m"}}'],
  [['--log-opt', 'max-file=3'], '{"Type":"json-file","Config":{"labels":"a","max-file":"3","max-size":"10m"}}'],
  [['--log-opt', 'max-size=1m'], '{"Type":"json-file","Config":{"labels":"a","max-size":"1m"}}'],
  [['--log-driver', 'local'], '{"Type":"local","Config":{}}'],
  [['--log-driver', 'json-file'], '{"Type":"json-file","Config":{"labels":"a","max-size":"10m"}}'],
];

describe('daemon.json log-driver and log-opts as dockerd', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  before(async () => {
    h = await startBerthd('logging-daemon-json', { daemonJson: { 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m', labels: 'a' } } });
    await loadBusybox(h);
  });
  after(async () => h?.stop());

  test('docker info shows the driver; new containers inspect with the merged LogConfig and write with it', async () => {
    assert.equal((await docker(['info', '-f', '{{.LoggingDriver}}'])).stdout.trim(), 'json-file');
    for (const [args, want] of DOCKERD_MERGED) {
      const c = await docker(['create', '--network', 'none', ...args, 'busybox', 'true']);
      assert.equal(c.code, 0, c.stderr);
      assert.equal((await docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', c.stdout.trim()])).stdout.trim(), want, args.join(' '));
    }
    const r = await docker(['run', '-d', '--network', 'none', '-l', 'a=x', 'busybox', 'echo', 'hi']);
    const id = r.stdout.trim();
    await docker(['wait', id]);
    const line = (await readFile(`${h.dataRoot}/containers/${id}/${id}-json.log`, 'utf8')).trim();
    assert.match(line, /^\{"log":"hi\\n","stream":"stdout","attrs":\{"a":"x"\},"time":"/);
  });

  test('a daemon default of local applies to new containers; bad log-opts stop the daemon with dockerd\'s text', async () => {
    await writeFile(h.configFile, JSON.stringify({ 'log-driver': 'local' }));
    await h.restart();
    assert.equal((await docker(['info', '-f', '{{.LoggingDriver}}'])).stdout.trim(), 'local');
    const r = await docker(['run', '-d', '--network', 'none', 'busybox', 'echo', 'via-local']);
    await docker(['wait', r.stdout.trim()]);
    assert.equal((await docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', r.stdout.trim()])).stdout.trim(), '{"Type":"local","Config":{}}');
    assert.equal((await docker(['logs', r.stdout.trim()])).stdout, 'via-local\n');
    await writeFile(h.configFile, JSON.stringify({ 'log-opts': { bogus: '1' } }));
    await assert.rejects(h.restart(), /failed to set log opts: unknown log opt 'bogus' for json-file log driver/);
    await writeFile(h.configFile, JSON.stringify({}));
    await h.restart();
  });
});

async function fetchLogsStatus(socket: string, id: string): Promise<number> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: `/containers/${id}/logs?stdout=1`, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
