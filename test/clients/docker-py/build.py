"""Build: a small Dockerfile from a file object, labels, build args, the result runs."""
import io

import docker
from common import check, client, done, expect_error, name

c = client()
tag = name('built') + ':1'
dockerfile = b'FROM busybox\nARG MSG=none\nRUN echo "built-$MSG" > /built.txt\nLABEL built.by=dpy\nCMD ["cat", "/built.txt"]\n'
img, logs = c.images.build(fileobj=io.BytesIO(dockerfile), tag=tag, rm=True, buildargs={'MSG': 'yes'})
text = ''.join(x.get('stream', '') for x in logs)
check('Successfully built' in text and 'Successfully tagged ' + tag in text, 'build output', text)
check(img.labels.get('built.by') == 'dpy', 'label', img.labels)
out = c.containers.run(tag, remove=True)
check(out == b'built-yes\n', 'the built image runs', out)
err = expect_error(docker.errors.BuildError, lambda: c.images.build(fileobj=io.BytesIO(b'FROM busybox\nRUN exit 4\n'), rm=True), 'a failing build')
check('returned a non-zero code: 4' in str(err), 'build error text', str(err))
c.images.remove(tag)
done('build')
