"""Exec: exec_run with stdout/stderr apart, exit codes, env, workdir, user."""
from common import check, client, done, name

c = client()
ctr = c.containers.run('busybox', ['sleep', '600'], name=name('exec'), detach=True)
try:
    r = ctr.exec_run(['sh', '-c', 'echo to-out; echo to-err >&2; exit 7'], demux=True)
    check(r.exit_code == 7, 'exit code', r.exit_code)
    check(r.output == (b'to-out\n', b'to-err\n'), 'demuxed output', r.output)
    r = ctr.exec_run('echo together')
    check(r.exit_code == 0 and r.output == b'together\n', 'plain exec', r)
    r = ctr.exec_run(['sh', '-c', 'echo $X; pwd; id -u'], environment={'X': 'y'}, workdir='/tmp', user='1234')
    check(r.output == b'y\n/tmp\n1234\n', 'env, workdir, user', r.output)
    r = ctr.exec_run('echo stream', stream=True)
    check(b''.join(r.output) == b'stream\n', 'streamed exec', r)
    r = ctr.exec_run('no-such-binary')
    check(r.exit_code in (126, 127), 'missing binary exit code', r)
    api = c.api
    e = api.exec_create(ctr.id, ['sh', '-c', 'exit 5'])
    api.exec_start(e['Id'])
    info = api.exec_inspect(e['Id'])
    check(info['ExitCode'] == 5 and info['Running'] is False, 'exec_inspect', info)
    r = ctr.exec_run('tty', tty=True)
    check(r.output.strip().startswith(b'/dev/pts/'), 'tty exec', r.output)
finally:
    ctr.remove(force=True)
done('exec')
