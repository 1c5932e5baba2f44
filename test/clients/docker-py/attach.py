"""Attach: attach_socket to a container's stdin/stdout, and a follow log stream."""
import socket
import time

from docker.utils.socket import frames_iter
from common import check, client, done, name

c = client()
ctr = c.containers.run('busybox', ['sh', '-c', 'while read l; do echo got-$l; done; echo bye'], name=name('attach'), detach=True, stdin_open=True)
try:
    s = c.api.attach_socket(ctr.id, params={'stdin': 1, 'stdout': 1, 'stderr': 1, 'stream': 1})
    raw = s._sock
    raw.sendall(b'one\ntwo\n')
    got = b''
    for stream, data in frames_iter(s, tty=False):
        check(stream == 1, 'only stdout frames', stream)
        got += data
        if got == b'got-one\ngot-two\n':
            # dockerd ends the attach stream at the client's half-close; without StdinOnce the container's stdin stays open.
            raw.shutdown(socket.SHUT_WR)
    check(got == b'got-one\ngot-two\n', 'attached output', got)
    s.close()
    ctr.reload()
    check(ctr.status == 'running', 'the container still runs (its stdin stays open)', ctr.status)
finally:
    ctr.remove(force=True)

ctr = c.containers.run('busybox', ['sh', '-c', 'for i in 1 2 3; do echo line-$i; sleep 0.3; done'], name=name('logs'), detach=True)
try:
    started = time.time()
    lines = list(ctr.logs(stream=True, follow=True))
    check(b''.join(lines) == b'line-1\nline-2\nline-3\n', 'followed log stream', lines)
    check(time.time() - started >= 0.5, 'the stream followed the container', time.time() - started)
    stamped = ctr.logs(timestamps=True, tail=1)
    check(stamped.endswith(b' line-3\n') and stamped[:2] == b'20', 'timestamps and tail', stamped)
finally:
    ctr.remove(force=True)
done('attach')
