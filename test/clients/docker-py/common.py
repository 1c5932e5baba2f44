"""Shared by the docker-py scenario scripts: the client from DOCKER_HOST, check(), and names per run."""
import os
import sys

import docker

PREFIX = os.environ.get('SCENARIO_PREFIX', 'dpy')


def client():
    # version='auto' negotiates as docker-py does by default with from_env() in 5.x only when asked.
    return docker.from_env(version='auto', timeout=120)


def check(cond, message, *details):
    if not cond:
        sys.stderr.write('FAIL: ' + message + ''.join('\n  ' + repr(d) for d in details) + '\n')
        sys.exit(1)


def expect_error(cls, fn, message):
    try:
        fn()
    except cls as err:
        return err
    check(False, message + ': no ' + cls.__name__ + ' raised')


def name(suffix):
    return PREFIX + '-' + suffix


def done(what):
    print('ok ' + what)
