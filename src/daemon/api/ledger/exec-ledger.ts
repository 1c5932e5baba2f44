import { implemented, type LedgerTable } from './ledger-types.js';

const EXEC = 'test/integration/exec-cli.test.ts';
const NATIVE = 'test/integration/exec-native.test.ts';

export const execLedger: LedgerTable = {
  'POST /containers/{id}/exec': implemented(EXEC, "'exec'"),
  'POST /containers/{id}/exec body AttachStdin': implemented(EXEC, "'-i'"),
  'POST /containers/{id}/exec body AttachStdout': implemented(EXEC, "'exec'"),
  'POST /containers/{id}/exec body AttachStderr': implemented(EXEC, "'exec'"),
  'POST /containers/{id}/exec body ConsoleSize': implemented(NATIVE, 'ConsoleSize'),
  'POST /containers/{id}/exec body DetachKeys': implemented('test/integration/detach-keys.test.ts', 'exec DetachKeys'),
  'POST /containers/{id}/exec body Tty': implemented(EXEC, "'-t'"),
  'POST /containers/{id}/exec body Env': implemented(EXEC, "'-e'"),
  'POST /containers/{id}/exec body Cmd': implemented(EXEC, "'exec'"),
  'POST /containers/{id}/exec body Privileged': implemented(NATIVE, '--privileged'),
  'POST /containers/{id}/exec body User': implemented(NATIVE, "'-u'"),
  'POST /containers/{id}/exec body WorkingDir': implemented(EXEC, "'-w'"),
  'POST /exec/{id}/start': implemented(EXEC, "'exec'"),
  'POST /exec/{id}/start body Detach': implemented(EXEC, "'-d'"),
  'POST /exec/{id}/start body Tty': implemented('test/integration/hijack-request-body.test.ts', 'decides the framing'),
  'POST /exec/{id}/start body ConsoleSize': implemented(NATIVE, 'ConsoleSize'),
  'POST /exec/{id}/resize': implemented(NATIVE, 'resize'),
  'POST /exec/{id}/resize ?h': implemented(NATIVE, 'resize'),
  'POST /exec/{id}/resize ?w': implemented(NATIVE, 'resize'),
  'GET /exec/{id}/json': implemented(EXEC, 'ExitCode'),
};
