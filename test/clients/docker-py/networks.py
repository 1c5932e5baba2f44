"""Networks: create, connect with aliases, disconnect, inspect, remove."""
import docker
from common import check, client, done, expect_error, name

c = client()
net = c.networks.create(name('net'), driver='bridge', labels={'suite': 'dpy'})
try:
    check(net.attrs['Driver'] == 'bridge' and net.attrs['Labels'] == {'suite': 'dpy'}, 'inspect', net.attrs)
    check([n.name for n in c.networks.list(filters={'label': 'suite=dpy'})] == [name('net')], 'list filter')
    ctr = c.containers.run('busybox', ['sleep', '600'], name=name('netc'), detach=True)
    try:
        net.connect(ctr, aliases=['dpy-alias'])
        net.reload()
        check(ctr.id in net.attrs['Containers'], 'inspect lists the container', net.attrs['Containers'])
        ctr.reload()
        ep = ctr.attrs['NetworkSettings']['Networks'][name('net')]
        check('dpy-alias' in (ep['Aliases'] or []), 'aliases', ep)
        out = c.containers.run('busybox', ['nslookup', 'dpy-alias'], network=name('net'), remove=True)
        check(ep['IPAddress'].encode() in out, 'the alias resolves', out)
        expect_error(docker.errors.APIError, lambda: net.remove(), 'a network in use')
        net.disconnect(ctr)
        net.reload()
        check(net.attrs['Containers'] == {}, 'disconnected', net.attrs['Containers'])
        # Also the network it was started on (docker-compose does this).
        c.networks.get('bridge').disconnect(ctr)
        ctr.reload()
        check(ctr.attrs['NetworkSettings']['Networks'] == {}, 'no network left', ctr.attrs['NetworkSettings']['Networks'])
    finally:
        ctr.remove(force=True)
finally:
    net.remove()
expect_error(docker.errors.NotFound, lambda: c.networks.get(name('net')), 'removed')
done('networks')
