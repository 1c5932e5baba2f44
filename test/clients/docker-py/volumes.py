"""Volumes: create, list, inspect, use, remove."""
import docker
from common import check, client, done, expect_error, name

c = client()
vol = c.volumes.create(name('vol'), driver='local', labels={'suite': 'dpy'})
check(vol.name == name('vol') and vol.attrs['Driver'] == 'local', 'create', vol.attrs)
check(vol.attrs['Labels'] == {'suite': 'dpy'} and vol.attrs['Mountpoint'].endswith('/_data'), 'inspect', vol.attrs)
check([v.name for v in c.volumes.list(filters={'label': 'suite=dpy'})] == [name('vol')], 'list filter')
c.containers.run('busybox', ['sh', '-c', 'echo kept > /v/f'], volumes={name('vol'): {'bind': '/v', 'mode': 'rw'}}, remove=True)
out = c.containers.run('busybox', ['cat', '/v/f'], volumes=[name('vol') + ':/v:ro'], remove=True)
check(out == b'kept\n', 'data kept in the volume', out)
check(c.volumes.get(name('vol')).id == name('vol'), 'get')
vol.remove()
expect_error(docker.errors.NotFound, lambda: c.volumes.get(name('vol')), 'removed')
anon = c.volumes.create()
check(len(anon.name) == 64, 'anonymous name', anon.name)
anon.remove()
done('volumes')
