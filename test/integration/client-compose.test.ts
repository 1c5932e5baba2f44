import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

// docker-compose 1.29.2 (Debian docker-compose, installed by scripts/setup.sh) on a project in a temp dir,
// against berthd through the harness socket. Expected output is what the same commands print against
// dockerd 20.10. Compose 1.29 creates each container, then disconnects and reconnects it to its networks
// to set the aliases (network-connect-disconnect.test.ts covers that path on its own).
const COMPOSE = '/usr/bin/docker-compose';

const composeFile = (PROJECT: string): string => `version: "3.8"
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo hello-web > /www/index.html; echo web-started-$$MODE; exec httpd -f -p 80 -h /www"]
    environment:
      MODE: "\${MODE:-one}"
    networks: [appnet]
    volumes: ["data:/www"]
  client:
    build: ./client
    image: ${PROJECT}-client:latest
    networks:
      appnet:
        aliases: [the-client]
    depends_on: [web]
networks:
  appnet: {}
volumes:
  data: {}
`;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

// API 1.41: what docker-py's negotiation gives against dockerd 20.10. 'negotiated': berthd's own 1.50, as against
// dockerd >= 25, the path where compose disconnects and reconnects every new container (no short-id alias).
for (const api of ['1.41', 'negotiated'] as const) {
  const PROJECT = api === '1.41' ? 'bcomp' : 'bcompn';
  describe(`docker-compose 1.29.2 against berthd (API ${api})`, () => {
    let h: BerthdHarness;
    let dir = '';
    const compose = (args: string[], extraEnv: Record<string, string> = {}): Promise<Result> =>
      new Promise((resolve) =>
        execFile(
          COMPOSE,
          ['-p', PROJECT, '--no-ansi', ...args],
          // The classic builder through docker-py, as compose 1.29 does by default.
          {
            cwd: dir,
            env: { ...h.env, ...(api === '1.41' ? { COMPOSE_API_VERSION: '1.41' } : {}), COMPOSE_DOCKER_CLI_BUILD: '0', DOCKER_BUILDKIT: '0', ...extraEnv },
            timeout: 180_000,
            encoding: 'utf8',
          },
          (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        ),
      );
    const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
    /** name → id of the project's running containers. */
    const running = async (): Promise<Record<string, string>> => {
      const r = await docker(['ps', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Names}} {{.ID}}']);
      return Object.fromEntries(
        r.stdout
          .trim()
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => l.split(' ') as [string, string]),
      );
    };

    before(async () => {
      h = await startBerthd(`client-compose-${api}`);
      await loadBusybox(h);
      dir = await mkdtemp(`${tmpdir()}/berth-compose-`);
      await mkdir(`${dir}/client`);
      await writeFile(`${dir}/docker-compose.yml`, composeFile(PROJECT));
      await writeFile(`${dir}/client/Dockerfile`, 'FROM busybox\nLABEL built.by=compose\nCMD ["sleep", "600"]\n');
    });
    after(async () => {
      await h?.stop();
      if (dir !== '') await rm(dir, { recursive: true, force: true });
    });

    test('docker-compose 1.29.2 is installed (scripts/setup.sh installs it)', async () => {
      const r = await new Promise<Result>((resolve) =>
        execFile(COMPOSE, ['version', '--short'], { encoding: 'utf8' }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr: stderr || (err?.message ?? '') })),
      );
      assert.equal(r.code, 0, `${COMPOSE} does not run: ${r.stderr}`);
      assert.equal(r.stdout.trim(), '1.29.2');
    });

    test('up -d creates the network and volume, builds the image, starts both services', async () => {
      const r = await compose(['up', '-d']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stderr, new RegExp(`Creating network "${PROJECT}_appnet" with the default driver`));
      assert.match(r.stderr, new RegExp(`Creating volume "${PROJECT}_data" with default driver`));
      assert.match(r.stdout + r.stderr, /Step 3\/3 : CMD \["sleep", "600"\]/);
      assert.match(r.stdout + r.stderr, new RegExp(`Successfully tagged ${PROJECT}-client:latest`));
      assert.match(r.stderr, new RegExp(`Creating ${PROJECT}_web_1 ... done`));
      assert.match(r.stderr, new RegExp(`Creating ${PROJECT}_client_1 ... done`));
      assert.deepEqual(Object.keys(await running()).sort(), [`${PROJECT}_client_1`, `${PROJECT}_web_1`]);
      const label = await docker(['image', 'inspect', '-f', '{{index .Config.Labels "built.by"}}', `${PROJECT}-client:latest`]);
      assert.equal(label.stdout.trim(), 'compose');
    });

    test('ps lists both services Up', async () => {
      const r = await compose(['ps']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\s*Name\s+Command\s+State\s+Ports\s*$/m);
      assert.match(r.stdout, new RegExp(`^${PROJECT}_client_1\\s+sleep 600\\s+Up\\s*$`, 'm'));
      assert.match(r.stdout, new RegExp(`^${PROJECT}_web_1\\s+sh -c echo hello-web > /ww ...\\s+Up\\s*$`, 'm'));
      const q = await compose(['ps', '-q', 'web']);
      assert.match(q.stdout.trim(), /^[0-9a-f]{64}$/);
    });

    test('the services reach each other by service name and alias on the named network (exec -T)', async () => {
      const get = await compose(['exec', '-T', 'client', 'wget', '-qO-', 'http://web/']);
      assert.equal(get.code, 0, get.stderr);
      assert.equal(get.stdout, 'hello-web\n');
      const ping = await compose(['exec', '-T', 'web', 'ping', '-c1', '-W2', 'the-client']);
      assert.equal(ping.code, 0, ping.stderr + ping.stdout);
      assert.match(ping.stdout, /1 packets transmitted, 1 packets received/);
      const status = await compose(['exec', '-T', 'web', 'sh', '-c', 'exit 3']);
      assert.equal(status.code, 3);
    });

    test('logs shows the service output with its prefix', async () => {
      const r = await compose(['logs', 'web']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Attaching to ${PROJECT}_web_1$`, 'm'));
      assert.match(r.stdout, /^web_1\s+\| web-started-one$/m);
    });

    test('up -d again recreates nothing unchanged', async () => {
      const before = await running();
      const r = await compose(['up', '-d']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`${PROJECT}_web_1 is up-to-date`));
      assert.match(r.stderr, new RegExp(`${PROJECT}_client_1 is up-to-date`));
      assert.deepEqual(await running(), before);
    });

    // At API >= 1.45 image inspect has no ContainerConfig and compose 1.29's recreate fails with KeyError:
    // 'ContainerConfig', as against dockerd >= 25: only the 1.41 run recreates.
    if (api === '1.41') test("changing a service's environment recreates only that service", async () => {
      const before = await running();
      const r = await compose(['up', '-d'], { MODE: 'two' });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`Recreating ${PROJECT}_web_1 ... done`));
      assert.match(r.stderr, new RegExp(`${PROJECT}_client_1 is up-to-date`));
      const after = await running();
      assert.notEqual(after[`${PROJECT}_web_1`], before[`${PROJECT}_web_1`]);
      assert.equal(after[`${PROJECT}_client_1`], before[`${PROJECT}_client_1`]);
      const logs = await compose(['logs', 'web'], { MODE: 'two' });
      assert.match(logs.stdout, /^web_1\s+\| web-started-two$/m);
      // The recreated container kept the volume and is reachable again by its service name.
      const get = await compose(['exec', '-T', 'client', 'wget', '-qO-', 'http://web/'], { MODE: 'two' });
      assert.equal(get.stdout, 'hello-web\n', get.stderr);
    });

    test('down -v leaves no container, network or volume of the project', async () => {
      const r = await compose(['down', '-v', '-t', '1'], { MODE: 'two' });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`Removing network ${PROJECT}_appnet`));
      assert.match(r.stderr, new RegExp(`Removing volume ${PROJECT}_data`));
      const filter = `label=com.docker.compose.project=${PROJECT}`;
      for (const what of [['ps', '-a'], ['network', 'ls'], ['volume', 'ls']]) {
        const l = await docker([...what, '--filter', filter, '-q']);
        assert.equal(l.code, 0, l.stderr);
        assert.equal(l.stdout.trim(), '', `${what.join(' ')} after down -v`);
      }
      // As dockerd: the built image stays.
      assert.equal((await docker(['image', 'inspect', `${PROJECT}-client:latest`])).code, 0);
    });
  });
}
