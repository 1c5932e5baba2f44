import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

// `berth compose` on a project in a temp dir whose name gives the project name (lowercased, as docker compose).
const PROJECT = 'composeberth';

const composeFile = (clientCmd: string): string => `services:
  web:
    image: busybox
    command: ["sh", "-c", "echo hello-\${GREETING} > /www/index.html; echo web-started; exec httpd -f -p 80 -h /www"]
    volumes: ["data:/www"]
  client:
    image: busybox
    depends_on: [web]
    command: ${clientCmd}
volumes:
  data: {}
`;

describe('berth compose', () => {
  let h: BerthdHarness;
  let top = '';
  let dir = '';
  const compose = (args: string[]) => runCli('berth', ['compose', ...args], { env: h.env, cwd: dir, timeoutMs: 120_000 });
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  const ids = async (): Promise<Record<string, string>> => {
    const r = await docker(['ps', '-a', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Names}} {{.ID}}']);
    return Object.fromEntries(r.stdout.trim().split('\n').filter((l) => l !== '').map((l) => l.split(' ') as [string, string]));
  };

  before(async () => {
    h = await startBerthd('compose-berth');
    await loadBusybox(h);
    top = await mkdtemp(join(tmpdir(), 'berth-compose-'));
    dir = join(top, 'ComposeBerth');
    await mkdir(dir);
    await writeFile(join(dir, 'compose.yaml'), composeFile('["sleep", "1000"]'));
    await writeFile(join(dir, '.env'), 'GREETING=from-dotenv\n');
  });
  after(async () => {
    if (h) await compose(['down', '-v']).catch(() => undefined);
    await h?.stop();
    if (top) await rm(top, { recursive: true, force: true });
  });

  test('up -d creates the network, volume and containers with compose v2 names and labels', async () => {
    const r = await compose(['up', '-d']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Container composeberth-web-1 {2}Started/);
    assert.deepEqual(Object.keys(await ids()).sort(), ['composeberth-client-1', 'composeberth-web-1']);
    const labels = JSON.parse((await docker(['inspect', '--format', '{{json .Config.Labels}}', 'composeberth-web-1'])).stdout) as Record<string, string>;
    assert.equal(labels['com.docker.compose.project'], PROJECT);
    assert.equal(labels['com.docker.compose.service'], 'web');
    assert.equal(labels['com.docker.compose.container-number'], '1');
    assert.equal(labels['com.docker.compose.oneoff'], 'False');
    assert.match(labels['com.docker.compose.config-hash'] ?? '', /^[0-9a-f]{64}$/);
    assert.equal(labels['com.docker.compose.project.working_dir'], dir);
    assert.equal(labels['com.docker.compose.project.config_files'], join(dir, 'compose.yaml'));
    const net = JSON.parse((await docker(['network', 'inspect', '--format', '{{json .Labels}}', `${PROJECT}_default`])).stdout) as Record<string, string>;
    assert.deepEqual(net, { 'com.docker.compose.project': PROJECT, 'com.docker.compose.network': 'default' });
    const vol = JSON.parse((await docker(['volume', 'inspect', '--format', '{{json .Labels}}', `${PROJECT}_data`])).stdout) as Record<string, string>;
    assert.deepEqual(vol, { 'com.docker.compose.project': PROJECT, 'com.docker.compose.volume': 'data' });
  });

  test('services reach each other by service name; .env interpolation and the named volume hold the page', async () => {
    let out = '';
    for (let i = 0; i < 20; i++) {
      const r = await docker(['exec', `${PROJECT}-client-1`, 'wget', '-qO-', 'http://web/']);
      out = r.stdout;
      if (r.code === 0) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal(out, 'hello-from-dotenv\n');
    const r = await docker(['run', '--rm', '-v', `${PROJECT}_data:/d`, 'busybox', 'cat', '/d/index.html']);
    assert.equal(r.stdout, 'hello-from-dotenv\n', r.stderr);
  });

  test('ps lists the project containers', async () => {
    const r = await compose(['ps']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/);
    assert.match(lines[1] ?? '', /^composeberth-client-1\s+busybox\s+.*\s+client\s+.*Up /);
    assert.match(lines[2] ?? '', /^composeberth-web-1\s+busybox\s+.*\s+web\s+.*Up /);
    assert.equal(lines.length, 3);
  });

  test('logs SERVICE prints that service with its prefix', async () => {
    const r = await compose(['logs', 'web']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'web-1  | web-started\n');
  });

  test('up -d twice keeps unchanged containers', async () => {
    const before = await ids();
    const r = await compose(['up', '-d']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await ids(), before);
    assert.match(r.stderr, /Container composeberth-web-1 {2}Running/);
  });

  test('a changed service is recreated, the others are kept', async () => {
    const before = await ids();
    await writeFile(join(dir, 'compose.yaml'), composeFile('["sleep", "2000"]'));
    const r = await compose(['up', '-d']);
    assert.equal(r.code, 0, r.stderr);
    const now = await ids();
    assert.equal(now['composeberth-web-1'], before['composeberth-web-1']);
    assert.notEqual(now['composeberth-client-1'], before['composeberth-client-1']);
    assert.ok(now['composeberth-client-1']);
  });

  test('an unsupported service key is refused by name and nothing is created', async () => {
    const bad = join(top, 'bad');
    await mkdir(bad);
    await writeFile(join(bad, 'compose.yaml'), 'services:\n  x:\n    image: busybox\n    privileged: true\n');
    const r = await runCli('berth', ['compose', 'up', '-d'], { env: h.env, cwd: bad });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /services\.x: unsupported key "privileged"/);
    assert.equal((await docker(['ps', '-a', '-q', '--filter', 'label=com.docker.compose.project=bad'])).stdout, '');
  });

  test('a build: service is built from its context and runs; down removes it', async () => {
    const proj = join(top, 'built');
    await mkdir(join(proj, 'app'), { recursive: true });
    await writeFile(join(proj, 'app', 'Dockerfile'), 'FROM busybox\nRUN echo built-by-compose > /stamp\nCMD ["cat", "/stamp"]\n');
    await writeFile(join(proj, 'compose.yaml'), 'services:\n  app:\n    build:\n      context: ./app\n');
    const run = (args: string[]) => runCli('berth', ['compose', ...args], { env: h.env, cwd: proj, timeoutMs: 180_000 });
    const up = await run(['up', '-d']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    const id = (await docker(['ps', '-a', '-q', '--filter', 'label=com.docker.compose.project=built', '--filter', 'label=com.docker.compose.service=app'])).stdout.trim();
    assert.match(id, /^[0-9a-f]{12}$/);
    assert.equal((await docker(['wait', id])).stdout.trim(), '0');
    assert.equal((await docker(['logs', id])).stdout, 'built-by-compose\n');
    const down = await run(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await docker(['ps', '-a', '-q', '--filter', 'label=com.docker.compose.project=built'])).stdout, '');
  });

  test('container_name names the container; env_file feeds its environment; down removes it', async () => {
    const proj = join(top, 'named');
    await mkdir(proj, { recursive: true });
    await writeFile(join(proj, 'app.env'), 'FROM_FILE=yes\nBOTH=file\n');
    await writeFile(join(proj, 'compose.yaml'), 'services:\n  app:\n    image: busybox\n    container_name: named-by-compose\n    env_file: app.env\n    environment:\n      BOTH: environment\n    command: ["sleep", "300"]\n');
    const run = (args: string[]) => runCli('berth', ['compose', ...args], { env: h.env, cwd: proj, timeoutMs: 120_000 });
    const up = await run(['up', '-d']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    const env = (await docker(['inspect', '-f', '{{json .Config.Env}}', 'named-by-compose'])).stdout;
    assert.match(env, /"FROM_FILE=yes"/);
    assert.match(env, /"BOTH=environment"/);
    const down = await run(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await docker(['ps', '-a', '-q', '--filter', 'name=named-by-compose'])).stdout, '');
  });

  test('depends_on conditions: service_healthy waits for the health check, service_completed_successfully for exit 0; a failed one stops up', async () => {
    const proj = join(top, 'conds');
    await mkdir(proj, { recursive: true });
    await writeFile(join(proj, 'compose.yaml'), [
      'services:',
      '  db:',
      '    image: busybox',
      '    command: ["sh", "-c", "sleep 1; touch /ready; sleep 300"]',
      '    healthcheck:',
      '      test: ["CMD", "test", "-e", "/ready"]',
      '      interval: 300ms',
      '      retries: 20',
      '  migrate:',
      '    image: busybox',
      '    command: ["true"]',
      '  app:',
      '    image: busybox',
      '    command: ["sleep", "300"]',
      '    depends_on:',
      '      db:',
      '        condition: service_healthy',
      '      migrate:',
      '        condition: service_completed_successfully',
      '',
    ].join('\n'));
    const run = (args: string[]) => runCli('berth', ['compose', ...args], { env: h.env, cwd: proj, timeoutMs: 120_000 });
    const up = await run(['up', '-d']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    const health = (await docker(['inspect', '-f', '{{.State.Health.Status}}', 'conds-db-1'])).stdout.trim();
    assert.equal(health, 'healthy');
    assert.equal((await docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'conds-migrate-1'])).stdout.trim(), 'exited 0');
    assert.equal((await docker(['inspect', '-f', '{{.State.Running}}', 'conds-app-1'])).stdout.trim(), 'true');
    assert.equal((await run(['down'])).code, 0);
    // A dependency that fails: up stops with compose v2's text and the dependent is not created.
    await writeFile(join(proj, 'compose.yaml'), 'services:\n  migrate:\n    image: busybox\n    command: ["sh", "-c", "exit 3"]\n  app:\n    image: busybox\n    command: ["sleep", "300"]\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n');
    const failed = await run(['up', '-d']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /service "migrate" didn't complete successfully: exit 3/);
    assert.equal((await docker(['ps', '-a', '-q', '--filter', 'name=conds-app-1'])).stdout, '');
    assert.equal((await run(['down'])).code, 0);
  });

  test('up without -d follows every service until they exit (prefixed lines, "exited with code"); logs -f ends with the containers', async () => {
    const proj = join(top, 'attached');
    await mkdir(proj, { recursive: true });
    await writeFile(join(proj, 'compose.yaml'), 'services:\n  one:\n    image: busybox\n    command: ["sh", "-c", "echo hello from one; sleep 1; echo bye"]\n  two:\n    image: busybox\n    command: ["sh", "-c", "echo hello from two; exit 4"]\n');
    const run = (args: string[]) => runCli('berth', ['compose', ...args], { env: h.env, cwd: proj, timeoutMs: 120_000 });
    const up = await run(['up']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    const lines = up.stdout.split('\n');
    for (const l of ['one-1  | hello from one', 'one-1  | bye', 'two-1  | hello from two', 'one-1 exited with code 0', 'two-1 exited with code 4']) assert.ok(lines.includes(l), `${l} in ${up.stdout}`);
    assert.ok(lines.indexOf('one-1  | hello from one') < lines.indexOf('one-1  | bye'));
    const follow = await run(['logs', '-f', 'one']);
    assert.equal(follow.stdout, 'one-1  | hello from one\none-1  | bye\n');
    assert.equal((await run(['down'])).code, 0);
  });

  test('down -v leaves no container, network or volume with the project label', async () => {
    const r = await compose(['down', '-v']);
    assert.equal(r.code, 0, r.stderr);
    const f = `label=com.docker.compose.project=${PROJECT}`;
    assert.equal((await docker(['ps', '-a', '-q', '--filter', f])).stdout, '');
    assert.equal((await docker(['network', 'ls', '-q', '--filter', f])).stdout, '');
    assert.equal((await docker(['volume', 'ls', '-q', '--filter', f])).stdout, '');
  });
});
