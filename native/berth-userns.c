/*
 * berth-userns USERNS_PIN NETNS_PIN UID_MAP GID_MAP
 *
 * userns-remap: makes a user namespace with the given id maps (uid_map /
 * gid_map text, e.g. "0 100000 65536\n") and a network namespace owned by
 * it, and pins both with bind mounts on the two (existing) files. The
 * container then joins the user namespace by path, so runc (which joins the
 * user namespace first, also for exec) may enter the network namespace
 * berthd configured. Written in C because Node cannot unshare(2) and
 * unshare(1) maps ranges only through newuidmap, i.e. /etc/subuid entries
 * of the calling user.
 *
 * A child unshares the user namespace; the parent (root in the initial
 * namespace) writes its maps; the child then unshares the network
 * namespace; the parent bind mounts both from /proc/CHILD/ns and lets the
 * child exit. Exit 0 on success; a message on stderr and exit 1 otherwise
 * (2 for bad arguments), and then nothing is left mounted and the child is
 * gone.
 *
 * The maps are written by a process with CAP_SETUID/CAP_SETGID in the parent
 * namespace, so gid_map needs no "deny" in /proc/CHILD/setgroups first; it is
 * left at "allow" on purpose, as the container's processes call setgroups(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int to_child[2], to_parent[2];
static pid_t child_pid; /* in the parent: the child to kill and reap before failing */

static void die(const char *what) {
  int err = errno;
  if (child_pid > 0) {
    kill(child_pid, SIGKILL);
    while (waitpid(child_pid, NULL, 0) < 0 && errno == EINTR) {
    }
  }
  fprintf(stderr, "berth-userns: %s: %s\n", what, strerror(err));
  exit(1);
}

static void die_msg(const char *what) {
  errno = EPROTO;
  die(what);
}

static void put(int fd, char c) {
  if (write(fd, &c, 1) != 1) die("sync write");
}

static char get(int fd) {
  char c = 0;
  ssize_t n;
  do n = read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) {
    errno = n == 0 ? EPIPE : errno;
    die("sync read");
  }
  return c;
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  size_t len = strlen(text);
  /* The kernel takes a map in one write only. */
  if (write(fd, text, len) != (ssize_t)len) {
    int err = errno;
    close(fd);
    errno = err;
    die(path);
  }
  close(fd);
}

static int child(pid_t parent) {
  close(to_child[1]);
  close(to_parent[0]);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1); /* the parent died before prctl: nobody to pin or reap */
  if (unshare(CLONE_NEWUSER) < 0) die("unshare user namespace");
  put(to_parent[1], 'u');
  if (get(to_child[0]) != 'm') _exit(1);
  if (unshare(CLONE_NEWNET) < 0) die("unshare network namespace");
  put(to_parent[1], 'n');
  get(to_child[0]); /* until the parent has pinned both */
  _exit(0);
}

int main(int argc, char **argv) {
  if (argc != 5 || argv[1][0] != '/' || argv[2][0] != '/' || argv[3][0] == '\0' || argv[4][0] == '\0') {
    fprintf(stderr, "usage: berth-userns USERNS_PIN NETNS_PIN UID_MAP GID_MAP (absolute pin paths, non-empty maps)\n");
    return 2;
  }
  /* A dead child shows as EPIPE on the sync pipe, not as a silent SIGPIPE death. */
  signal(SIGPIPE, SIG_IGN);
  if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(to_parent, O_CLOEXEC) < 0) die("pipe");
  pid_t self = getpid();
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) return child(self);
  child_pid = pid;
  close(to_child[0]);
  close(to_parent[1]);

  char path[64];
  if (get(to_parent[0]) != 'u') die_msg("child out of step");
  snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
  write_file(path, argv[3]);
  snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
  write_file(path, argv[4]);
  put(to_child[1], 'm');
  if (get(to_parent[0]) != 'n') die_msg("child out of step");
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
  if (mount(path, argv[1], NULL, MS_BIND, NULL) < 0) die("pin user namespace");
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
  if (mount(path, argv[2], NULL, MS_BIND, NULL) < 0) {
    int saved = errno;
    umount2(argv[1], MNT_DETACH);
    errno = saved;
    die("pin network namespace");
  }
  /* Both are pinned: the child's end no longer matters (EOF ends it as well as 'x'). */
  char x = 'x';
  ssize_t w = write(to_child[1], &x, 1);
  (void)w;
  close(to_child[1]);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
  return 0;
}
