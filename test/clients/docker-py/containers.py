"""Containers: run, create/start/wait/logs/remove, env, published ports, label filters."""
import docker
from common import check, client, done, expect_error, name

c = client()

out = c.containers.run('busybox', ['sh', '-c', 'echo out-$FOO; echo err >&2'], environment={'FOO': 'bar'}, remove=True)
check(out == b'out-bar\n', 'run returns the stdout', out)

err = expect_error(docker.errors.ContainerError, lambda: c.containers.run('busybox', ['sh', '-c', 'echo bad >&2; exit 3'], remove=True), 'a failing run')
check(err.exit_status == 3, 'ContainerError has the exit status', err.exit_status)
check(b'bad' in (err.stderr or b''), 'ContainerError has the stderr', err.stderr)

ctr = c.containers.create('busybox', ['sh', '-c', 'echo hello; echo $A-$B'], name=name('created'), environment=['A=1', 'B=two'],
                          labels={'suite': 'dpy', 'role': 'first'})
check(ctr.status == 'created', 'a created container is created', ctr.status)
check(ctr.name == name('created'), 'the name', ctr.name)
ctr.start()
res = ctr.wait(timeout=60)
# dockerd 20.10 sends "Error": null; dockerd >= 25 leaves it out (omitempty), as berthd does.
check(res['StatusCode'] == 0 and res.get('Error') is None, 'wait result', res)
check(ctr.logs() == b'hello\n1-two\n', 'logs', ctr.logs())
check(ctr.logs(stdout=False) == b'', 'no stderr', ctr.logs(stdout=False))
ctr.reload()
check(ctr.status == 'exited', 'exited after wait', ctr.status)
check(ctr.attrs['State']['ExitCode'] == 0, 'ExitCode', ctr.attrs['State'])
check('A=1' in ctr.attrs['Config']['Env'], 'Env in inspect', ctr.attrs['Config']['Env'])

other = c.containers.create('busybox', 'true', name=name('labelled'), labels={'suite': 'dpy', 'role': 'second'})
found = sorted(x.name for x in c.containers.list(all=True, filters={'label': 'suite=dpy'}))
check(found == sorted([name('created'), name('labelled')]), 'label filter suite=dpy', found)
found = [x.name for x in c.containers.list(all=True, filters={'label': ['suite=dpy', 'role=second']})]
check(found == [name('labelled')], 'two label filters', found)
found = [x.name for x in c.containers.list(filters={'label': 'suite=dpy'})]
check(found == [], 'only running ones without all=True', found)
found = [x.name for x in c.containers.list(all=True, filters={'status': 'created', 'label': 'suite'})]
check(found == [name('labelled')], 'status filter', found)

web = c.containers.run('busybox', ['sh', '-c', 'echo hi > /i; httpd -f -p 8080 -h /'], name=name('web'), detach=True,
                       ports={'8080/tcp': ('127.0.0.1', None)})
web.reload()
check(web.status == 'running', 'detached run is running', web.status)
bound = web.attrs['NetworkSettings']['Ports']['8080/tcp']
check(isinstance(bound, list) and bound[0]['HostIp'] == '127.0.0.1' and int(bound[0]['HostPort']) > 0, 'published port', bound)
check(web.ports['8080/tcp'][0]['HostPort'] == bound[0]['HostPort'], 'Container.ports', web.ports)
import urllib.request  # noqa: E402
body = b''
for _ in range(50):
    try:
        body = urllib.request.urlopen('http://127.0.0.1:%s/i' % bound[0]['HostPort'], timeout=2).read()
        break
    except OSError:
        import time
        time.sleep(0.1)
check(body == b'hi\n', 'the published port answers', body)

expect_error(docker.errors.APIError, lambda: c.containers.get(name('web')).remove(), 'removing a running container')
web.remove(force=True)
expect_error(docker.errors.NotFound, lambda: c.containers.get(name('web')), 'a removed container is gone')
for x in (ctr, other):
    x.remove(v=True)
check(c.containers.list(all=True, filters={'label': 'suite=dpy'}) == [], 'nothing left')
done('containers')
