"""Images: load a tarball, tag, inspect, history, list filters, remove."""
import os

import docker
from common import check, client, done, expect_error, name

c = client()
with open(os.environ['BUSYBOX_TAR'], 'rb') as f:
    loaded = c.images.load(f.read())
check(len(loaded) == 1 and 'busybox:latest' in loaded[0].tags, 'load', [i.tags for i in loaded])
img = c.images.get('busybox')
repo = name('img')
check(img.tag(repo, 'v1') is True, 'tag')
tagged = c.images.get(repo + ':v1')
check(tagged.id == img.id and tagged.id.startswith('sha256:'), 'tagged id', tagged.id)
check(sorted(tagged.tags) == sorted(['busybox:latest', repo + ':v1']), 'tags', tagged.tags)
attrs = c.api.inspect_image(repo + ':v1')
check(attrs['Os'] == 'linux' and attrs['RootFS']['Type'] == 'layers', 'inspect', attrs)
hist = tagged.history()
check(len(hist) >= 1 and hist[0]['Id'] == img.id, 'history', hist)
listed = c.images.list(name=repo)
check(len(listed) == 1 and listed[0].id == img.id, 'list by name: the one image, with all its tags', [i.tags for i in listed])
c.images.remove(repo + ':v1')
expect_error(docker.errors.ImageNotFound, lambda: c.images.get(repo + ':v1'), 'the tag is gone')
check(c.images.get('busybox').id == img.id, 'busybox stays')
expect_error(docker.errors.ImageNotFound, lambda: c.images.remove('no-such-image:nope'), 'removing a missing image')
done('images')
