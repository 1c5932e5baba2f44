import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadProject, normalizeProjectName } from '../../src/compose/load-project.js';
import { serviceOrder } from '../../src/compose/service-order.js';

let top = '';
before(async () => {
  top = await mkdtemp(join(tmpdir(), 'compose-load-'));
});
after(async () => {
  await rm(top, { recursive: true, force: true });
});

async function project(name: string, yaml: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = join(top, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'compose.yaml'), yaml);
  for (const [f, content] of Object.entries(extra)) await writeFile(join(dir, f), content);
  return dir;
}

void test('project name defaults to the directory name, lowercased and normalized', async () => {
  const dir = await project('My.Proj', 'services:\n  a:\n    image: busybox\n');
  const p = await loadProject({ files: [], cwd: dir, env: {} });
  assert.equal(p.name, 'myproj');
  assert.equal(normalizeProjectName('_X-y_1'), 'x-y_1');
  assert.equal((await loadProject({ files: [], cwd: dir, env: {}, projectName: 'Other' })).name, 'other');
  assert.equal((await loadProject({ files: [], cwd: dir, env: { COMPOSE_PROJECT_NAME: 'fromenv' } })).name, 'fromenv');
});

void test('.env beside the file feeds interpolation; the process environment wins', async () => {
  const dir = await project('envp', 'services:\n  a:\n    image: "busybox:${TAG:-latest}"\n    environment:\n      A: ${A}\n', { '.env': 'TAG=1.36\nA=dot\n' });
  const p = await loadProject({ files: [], cwd: dir, env: { A: 'proc' } });
  assert.equal(p.services['a']?.image, 'busybox:1.36');
  assert.deepEqual(p.services['a']?.environment, { A: 'proc' });
});

void test('-f picks the file; relative bind sources resolve against its directory', async () => {
  const dir = await project('ff', '');
  await writeFile(join(dir, 'other.yml'), 'services:\n  a:\n    image: busybox\n    volumes: ["./data:/d:ro", "named:/n"]\nvolumes:\n  named: {}\n');
  const p = await loadProject({ files: ['other.yml'], cwd: dir, env: {} });
  assert.deepEqual(p.configFiles, [join(dir, 'other.yml')]);
  assert.deepEqual(p.services['a']?.volumes, [
    { type: 'bind', source: join(dir, 'data'), target: '/d', read_only: true },
    { type: 'volume', source: 'named', target: '/n', read_only: false },
  ]);
  assert.equal(p.volumes['named']?.name, 'ff_named');
});

void test('environment list and map, command string split, networks list and map with aliases', async () => {
  const dir = await project('shapes', `services:
  a:
    image: busybox
    command: sh -c 'echo "hi there"'
    environment: ["X=1", "FROMENV"]
    networks: [front]
  b:
    image: busybox
    environment: { Y: 2, Z: }
    networks:
      back: { aliases: [bee] }
networks:
  front: {}
  back: { name: custom-back }
`);
  const p = await loadProject({ files: [], cwd: dir, env: { FROMENV: 'e' } });
  assert.deepEqual(p.services['a']?.command, ['sh', '-c', 'echo "hi there"']);
  assert.deepEqual(p.services['a']?.environment, { X: '1', FROMENV: 'e' });
  assert.deepEqual(p.services['b']?.environment, { Y: '2', Z: null });
  assert.deepEqual(p.services['b']?.networks, { back: { aliases: ['bee'] } });
  assert.equal(p.networks['front']?.name, 'shapes_front');
  assert.equal(p.networks['back']?.name, 'custom-back');
  assert.equal(p.networks['default'], undefined);
});

void test('ports short syntax', async () => {
  const dir = await project('ports', 'services:\n  a:\n    image: busybox\n    ports: ["80", "8080:80", "127.0.0.1:53:53/udp"]\n');
  const p = await loadProject({ files: [], cwd: dir, env: {} });
  assert.deepEqual(p.services['a']?.ports, [
    { target: 80, protocol: 'tcp' },
    { target: 80, protocol: 'tcp', published: '8080' },
    { target: 53, protocol: 'udp', published: '53', host_ip: '127.0.0.1' },
  ]);
});

void test('unknown top-level and service keys are errors naming the key', async () => {
  const a = await project('unk1', 'services:\n  a:\n    image: busybox\nsecrets: {}\n');
  await assert.rejects(loadProject({ files: [], cwd: a, env: {} }), /unsupported top-level key "secrets"/);
  const b = await project('unk2', 'services:\n  a:\n    image: busybox\n    privileged: true\n');
  await assert.rejects(loadProject({ files: [], cwd: b, env: {} }), /services\.a: unsupported key "privileged"/);
});

void test('undefined networks, volumes and services are refused', async () => {
  const a = await project('ref1', 'services:\n  a:\n    image: busybox\n    networks: [nope]\n');
  await assert.rejects(loadProject({ files: [], cwd: a, env: {} }), /service "a" refers to undefined network nope/);
  const b = await project('ref2', 'services:\n  a:\n    image: busybox\n    volumes: ["nope:/x"]\n');
  await assert.rejects(loadProject({ files: [], cwd: b, env: {} }), /service "a" refers to undefined volume nope/);
  const c = await project('ref3', 'services:\n  a:\n    image: busybox\n    depends_on: [nope]\n');
  await assert.rejects(loadProject({ files: [], cwd: c, env: {} }), /service "a" depends on undefined service "nope"/);
});

void test('depends_on orders services and a cycle is an error', async () => {
  const a = await project('ord', 'services:\n  web:\n    image: busybox\n    depends_on: [db]\n  db:\n    image: busybox\n');
  assert.deepEqual(serviceOrder(await loadProject({ files: [], cwd: a, env: {} })), ['db', 'web']);
  const b = await project('cyc', 'services:\n  x:\n    image: busybox\n    depends_on: [y]\n  y:\n    image: busybox\n    depends_on: [x]\n');
  assert.throws(() => serviceOrder({ name: 'c', workingDir: b, configFiles: [], networks: {}, volumes: {}, services: {
    x: { environment: {}, ports: [], volumes: [], networks: {}, depends_on: ['y'], labels: {} },
    y: { environment: {}, ports: [], volumes: [], networks: {}, depends_on: ['x'], labels: {} },
  } }), /dependency cycle detected: x -> y -> x/);
});

void test('env_file: files in order, environment wins; a missing file is an error; container_name is kept', async () => {
  const dir = await project('envfiles', 'services:\n  a:\n    image: busybox\n    container_name: my-a\n    env_file: [one.env, two.env]\n    environment:\n      C: from-environment\n', {
    'one.env': 'A=1\nB=from-one\nC=from-one\n',
    'two.env': 'B=from-two\n',
  });
  const p = await loadProject({ files: [], cwd: dir, env: {} });
  assert.deepEqual(p.services['a']?.environment, { A: '1', B: 'from-two', C: 'from-environment' });
  assert.equal(p.services['a']?.container_name, 'my-a');
  const missing = await project('envmissing', 'services:\n  a:\n    image: busybox\n    env_file: nope.env\n');
  await assert.rejects(loadProject({ files: [], cwd: missing, env: {} }), /env file .*nope\.env not found/);
});

void test('--env-file replaces the .env beside the file for interpolation; a missing one is an error', async () => {
  const dir = await project('envflag', 'services:\n  a:\n    image: busybox:${TAG}\n', { '.env': 'TAG=from-dotenv\n', 'other.env': 'TAG=from-flag\n' });
  assert.equal((await loadProject({ files: [], cwd: dir, env: {} })).services['a']?.image, 'busybox:from-dotenv');
  assert.equal((await loadProject({ files: [], cwd: dir, env: {}, envFiles: ['other.env'] })).services['a']?.image, 'busybox:from-flag');
  await assert.rejects(loadProject({ files: [], cwd: dir, env: {}, envFiles: ['nope.env'] }), /couldn't find env file: .*nope\.env/);
});

void test('healthcheck (Go durations, shell string test, disable) and depends_on conditions', async () => {
  const dir = await project('health', [
    'services:',
    '  db:',
    '    image: busybox',
    '    healthcheck:',
    '      test: "test -e /ready"',
    '      interval: 1m30s',
    '      timeout: 500ms',
    '      retries: 3',
    '  off:',
    '    image: busybox',
    '    healthcheck:',
    '      disable: true',
    '  app:',
    '    image: busybox',
    '    depends_on:',
    '      db:',
    '        condition: service_healthy',
    '      off: {}',
    '',
  ].join('\n'));
  const p = await loadProject({ files: [], cwd: dir, env: {} });
  assert.deepEqual(p.services['db']?.healthcheck, { Test: ['CMD-SHELL', 'test -e /ready'], Interval: 90e9, Timeout: 5e8, Retries: 3 });
  assert.deepEqual(p.services['off']?.healthcheck, { Test: ['NONE'] });
  assert.deepEqual(p.services['app']?.depends_on, ['db', 'off']);
  assert.deepEqual(p.services['app']?.depends_on_conditions, { db: 'service_healthy', off: 'service_started' });
  const bad = await project('badcond', 'services:\n  a:\n    image: busybox\n    depends_on:\n      b:\n        condition: maybe\n  b:\n    image: busybox\n');
  await assert.rejects(loadProject({ files: [], cwd: bad, env: {} }), /invalid condition "maybe"/);
});
