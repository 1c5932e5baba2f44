import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContainerRow, PS_DEFAULT_TABLE, PS_HEADERS } from '../../src/cli/format/container-row.js';
import { containerStatus, humanDuration } from '../../src/cli/format/human-duration.js';
import { bytesSize, humanSize } from '../../src/cli/format/human-size.js';
import { displayablePorts } from '../../src/cli/format/ports.js';
import { renderList, resolveListFormat } from '../../src/cli/format/row-format.js';
import { tabFormat } from '../../src/cli/format/tab-writer.js';
import { ellipsis } from '../../src/cli/format/truncate.js';
import type { ContainerSummary } from '../../src/client/wire-types.js';

void test('humanSize uses decimal units and 3 significant digits', () => {
  assert.equal(humanSize(4_261_000), '4.26MB');
  assert.equal(humanSize(1200), '1.2kB');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(1000), '1kB');
  assert.equal(humanSize(999_999), '1e+03kB');
  assert.equal(humanSize(7_200_000_000), '7.2GB');
});

void test('bytesSize uses binary units', () => {
  assert.equal(bytesSize(16_663_248_896), '15.52GiB');
  assert.equal(bytesSize(1024), '1KiB');
});

void test('humanDuration matches go-units', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(3000), '3 seconds');
  assert.equal(humanDuration(61_000), 'About a minute');
  assert.equal(humanDuration(5 * 60_000), '5 minutes');
  assert.equal(humanDuration(60 * 60_000), 'About an hour');
  assert.equal(humanDuration(3 * 3_600_000), '3 hours');
  assert.equal(humanDuration(3 * 86_400_000), '3 days');
  assert.equal(humanDuration(20 * 86_400_000), '2 weeks');
  assert.equal(humanDuration(90 * 86_400_000), '3 months');
  assert.equal(humanDuration(800 * 86_400_000), '2 years');
});

void test('container status strings', () => {
  const now = new Date('2025-01-01T00:01:00Z');
  const base = { Running: false, Paused: false, Restarting: false, ExitCode: 0, StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' };
  assert.equal(containerStatus(base, now), 'Created');
  assert.equal(containerStatus({ ...base, Running: true, StartedAt: '2025-01-01T00:00:57Z' }, now), 'Up 3 seconds');
  assert.equal(containerStatus({ ...base, Running: true, Paused: true, StartedAt: '2025-01-01T00:00:57Z' }, now), 'Up 3 seconds (Paused)');
  assert.equal(
    containerStatus({ ...base, ExitCode: 0, StartedAt: '2025-01-01T00:00:50Z', FinishedAt: '2025-01-01T00:00:55Z' }, now),
    'Exited (0) 5 seconds ago',
  );
});

void test('tab writer pads columns like Go tabwriter (minwidth 10, padding 3)', () => {
  assert.equal(tabFormat('CONTAINER ID\tIMAGE\tNAMES\nabc\tbusybox\tx\n'), 'CONTAINER ID   IMAGE     NAMES\nabc            busybox   x\n');
});

void test('tab writer: lines without tabs end column blocks', () => {
  assert.equal(tabFormat('a\tb\nheader\nlonger-cell\tc\n', { minWidth: 2, padding: 1 }), 'a b\nheader\nlonger-cell c\n');
});

void test('ellipsis keeps max runes with a trailing …', () => {
  assert.equal(ellipsis("sh -c 'while true; do sleep 1; done'", 20), "sh -c 'while true; …");
  assert.equal(ellipsis('/docker-entrypoint.sh nginx', 20), '/docker-entrypoint.…');
  assert.equal(ellipsis('short', 20), 'short');
});

void test('ports are grouped and mapped like docker ps', () => {
  assert.equal(
    displayablePorts([
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 443, Type: 'tcp' },
      { PrivatePort: 444, Type: 'tcp' },
    ]),
    '443-444/tcp, 0.0.0.0:8080->80/tcp',
  );
});

function summary(over: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    Id: '4f2a6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809123',
    Names: ['/web'],
    Image: 'busybox',
    ImageID: 'sha256:aaaa',
    Command: "sh -c 'while true; do sleep 1; done'",
    Created: Date.parse('2025-01-01T00:00:00Z') / 1000,
    Ports: [],
    Labels: { b: '2', a: '1' },
    State: 'running',
    Status: 'Up 3 seconds',
    Mounts: [],
    ...over,
  };
}

void test('ps rows: truncated id, quoted and cut command, names without slash', () => {
  const row = new ContainerRow(summary(), true, new Date('2025-01-01T00:00:05Z'));
  assert.equal(row.ID, '4f2a6b8c9d0e');
  assert.equal(row.Command, '"sh -c \'while true; …"');
  assert.equal(row.Names, 'web');
  assert.equal(row.RunningFor, '5 seconds ago');
  assert.equal(row.Labels, 'a=1,b=2');
  assert.equal(row.Label('a'), '1');
  assert.equal(row.Size, '0B');
});

void test('ps default table has docker headers', () => {
  const row = new ContainerRow(summary(), true, new Date('2025-01-01T00:00:05Z'));
  const out = renderList([row], resolveListFormat(undefined, PS_DEFAULT_TABLE), PS_HEADERS);
  const [header, line] = out.split('\n');
  assert.equal(header, 'CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         PORTS     NAMES');
  assert.equal(line, '4f2a6b8c9d0e   busybox   "sh -c \'while true; …"   5 seconds ago   Up 3 seconds             web');
});

void test('custom table format turns \\t into columns; json marshals rows with sorted keys', () => {
  const row = new ContainerRow(summary(), true, new Date('2025-01-01T00:00:05Z'));
  assert.equal(renderList([row], resolveListFormat('table {{.Names}}\\t{{.State}}', ''), PS_HEADERS), 'NAMES     STATE\nweb       running\n');
  const json = JSON.parse(renderList([row], resolveListFormat('json', ''), PS_HEADERS)) as Record<string, string>;
  assert.deepEqual(Object.keys(json), [...Object.keys(json)].sort());
  assert.equal(json['Names'], 'web');
  assert.equal(renderList([row], resolveListFormat('{{.ID}}', ''), PS_HEADERS), '4f2a6b8c9d0e\n');
});
