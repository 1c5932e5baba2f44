import type { OciSeccomp } from '../../runtime/oci-spec-types.js';

/*
 * Berth's default seccomp profile, as data: an allow-list equal in effect to
 * Docker's default on x86_64 (moby profiles/seccomp/default.json). Anything
 * not listed fails with EPERM. Rules gated on capabilities are resolved
 * against the container's effective capability set when the spec is built,
 * as moby's setupSeccomp does, so `--cap-add SYS_ADMIN` also opens mount,
 * unshare, setns … while the capability itself still guards them.
 */

export interface SeccompArg {
  readonly index: number;
  readonly value: number;
  readonly valueTwo?: number;
  readonly op: 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';
}

/** One rule of a profile; `includesCaps`/`excludesCaps` mirror Docker's includes/excludes. */
export interface SeccompRule {
  readonly names: readonly string[];
  readonly action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  readonly errnoRet?: number;
  readonly args?: readonly SeccompArg[];
  /** Applies only when the container has every one of these capabilities. */
  readonly includesCaps?: readonly string[];
  /** Applies only when the container has none of these capabilities. */
  readonly excludesCaps?: readonly string[];
}

/** The OCI seccomp section plus runc's defaultErrnoRet (runc ≥ 1.1). */
export interface OciSeccompProfile extends OciSeccomp {
  defaultErrnoRet?: number;
}

const EPERM = 1;
const ENOSYS = 38;
/** Namespace flags clone(2) may not carry without CAP_SYS_ADMIN (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET). */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;
const AF_VSOCK = 40;

const allowed: readonly string[] = [
  'accept', 'accept4', 'access', 'adjtimex', 'alarm', 'bind', 'brk', 'cachestat', 'capget', 'capset', 'chdir', 'chmod',
  'chown', 'chown32', 'clock_adjtime', 'clock_adjtime64', 'clock_getres', 'clock_getres_time64', 'clock_gettime',
  'clock_gettime64', 'clock_nanosleep', 'clock_nanosleep_time64', 'close', 'close_range', 'connect', 'copy_file_range',
  'creat', 'dup', 'dup2', 'dup3', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait',
  'epoll_pwait2', 'epoll_wait', 'epoll_wait_old', 'eventfd', 'eventfd2', 'execve', 'execveat', 'exit', 'exit_group',
  'faccessat', 'faccessat2', 'fadvise64', 'fadvise64_64', 'fallocate', 'fanotify_mark', 'fchdir', 'fchmod', 'fchmodat',
  'fchmodat2', 'fchown', 'fchown32', 'fchownat', 'fcntl', 'fcntl64', 'fdatasync', 'fgetxattr', 'flistxattr', 'flock',
  'fork', 'fremovexattr', 'fsetxattr', 'fstat', 'fstat64', 'fstatat64', 'fstatfs', 'fstatfs64', 'fsync', 'ftruncate',
  'ftruncate64', 'futex', 'futex_requeue', 'futex_time64', 'futex_wait', 'futex_waitv', 'futex_wake', 'futimesat',
  'getcpu', 'getcwd', 'getdents', 'getdents64', 'getegid', 'getegid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32',
  'getgroups', 'getgroups32', 'getitimer', 'getpeername', 'getpgid', 'getpgrp', 'getpid', 'getppid', 'getpriority',
  'getrandom', 'getresgid', 'getresgid32', 'getresuid', 'getresuid32', 'getrlimit', 'get_robust_list', 'getrusage',
  'getsid', 'getsockname', 'getsockopt', 'get_thread_area', 'gettid', 'gettimeofday', 'getuid', 'getuid32', 'getxattr',
  'inotify_add_watch', 'inotify_init', 'inotify_init1', 'inotify_rm_watch', 'io_cancel', 'ioctl', 'io_destroy',
  'io_getevents', 'io_pgetevents', 'io_pgetevents_time64', 'ioprio_get', 'ioprio_set', 'io_setup', 'io_submit', 'ipc',
  'kill', 'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'lchown', 'lchown32', 'lgetxattr',
  'link', 'linkat', 'listen', 'listxattr', 'llistxattr', '_llseek', 'lremovexattr', 'lseek', 'lsetxattr', 'lstat',
  'lstat64', 'madvise', 'map_shadow_stack', 'membarrier', 'memfd_create', 'memfd_secret', 'mincore', 'mkdir', 'mkdirat',
  'mknod', 'mknodat', 'mlock', 'mlock2', 'mlockall', 'mmap', 'mmap2', 'mprotect', 'mq_getsetattr', 'mq_notify',
  'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64', 'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink', 'mremap',
  'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'msync', 'munlock', 'munlockall', 'munmap', 'name_to_handle_at', 'nanosleep',
  'newfstatat', '_newselect', 'open', 'openat', 'openat2', 'pause', 'pidfd_open', 'pidfd_send_signal', 'pipe', 'pipe2',
  'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'poll', 'ppoll', 'ppoll_time64', 'prctl', 'pread64', 'preadv', 'preadv2',
  'prlimit64', 'process_mrelease', 'pselect6', 'pselect6_time64', 'pwrite64', 'pwritev', 'pwritev2', 'read',
  'readahead', 'readlink', 'readlinkat', 'readv', 'recv', 'recvfrom', 'recvmmsg', 'recvmmsg_time64', 'recvmsg',
  'remap_file_pages', 'removexattr', 'rename', 'renameat', 'renameat2', 'restart_syscall', 'rmdir', 'rseq',
  'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend',
  'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sched_getaffinity', 'sched_getattr',
  'sched_getparam', 'sched_get_priority_max', 'sched_get_priority_min', 'sched_getscheduler', 'sched_rr_get_interval',
  'sched_rr_get_interval_time64', 'sched_setaffinity', 'sched_setattr', 'sched_setparam', 'sched_setscheduler',
  'sched_yield', 'seccomp', 'select', 'semctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64', 'send',
  'sendfile', 'sendfile64', 'sendmmsg', 'sendmsg', 'sendto', 'setfsgid', 'setfsgid32', 'setfsuid', 'setfsuid32',
  'setgid', 'setgid32', 'setgroups', 'setgroups32', 'setitimer', 'setpgid', 'setpriority', 'setregid', 'setregid32',
  'setresgid', 'setresgid32', 'setresuid', 'setresuid32', 'setreuid', 'setreuid32', 'setrlimit', 'set_robust_list',
  'setsid', 'setsockopt', 'set_thread_area', 'set_tid_address', 'setuid', 'setuid32', 'setxattr', 'shmat', 'shmctl',
  'shmdt', 'shmget', 'shutdown', 'sigaltstack', 'signalfd', 'signalfd4', 'sigprocmask', 'sigreturn', 'socketcall',
  'socketpair', 'splice', 'stat', 'stat64', 'statfs', 'statfs64', 'statx', 'symlink', 'symlinkat', 'sync',
  'sync_file_range', 'syncfs', 'sysinfo', 'tee', 'tgkill', 'time', 'timer_create', 'timer_delete', 'timer_getoverrun',
  'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64', 'timerfd_create', 'timerfd_gettime',
  'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64', 'times', 'tkill', 'truncate', 'truncate64', 'ugetrlimit',
  'umask', 'uname', 'unlink', 'unlinkat', 'utime', 'utimensat', 'utimensat_time64', 'utimes', 'vfork', 'vmsplice',
  'wait4', 'waitid', 'waitpid', 'write', 'writev',
  // x86-specific.
  'arch_prctl', 'modify_ldt',
  // Docker allows these from kernel 4.8 on, where ptrace can no longer bypass seccomp.
  'process_vm_readv', 'process_vm_writev', 'ptrace',
];

const SYS_ADMIN = 'CAP_SYS_ADMIN';

/** The rules, in Docker's order of concern. */
export const defaultSeccompRules: readonly SeccompRule[] = [
  { names: allowed, action: 'SCMP_ACT_ALLOW' },
  // Every socket family but AF_VSOCK, which would reach the host across namespaces.
  { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] },
  // Execution domains: PER_LINUX, PER_LINUX32, UNAME26 variants and the query value.
  ...[0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map(
    (value): SeccompRule => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] }),
  ),
  {
    names: ['bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount',
      'mount_setattr', 'move_mount', 'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname',
      'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare'],
    action: 'SCMP_ACT_ALLOW',
    includesCaps: [SYS_ADMIN],
  },
  // clone without namespace flags (x86_64 passes flags in arg 0).
  { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], excludesCaps: [SYS_ADMIN] },
  // clone3 passes flags in memory seccomp cannot inspect: ENOSYS makes glibc fall back to clone.
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludesCaps: [SYS_ADMIN] },
  { names: ['reboot'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_SYS_BOOT'] },
  { names: ['chroot'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_SYS_CHROOT'] },
  { names: ['delete_module', 'init_module', 'finit_module'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_SYS_MODULE'] },
  { names: ['acct'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_SYS_PACCT'] },
  { names: ['kcmp', 'pidfd_getfd', 'process_madvise'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_SYS_PTRACE'] },
  { names: ['iopl', 'ioperm'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_SYS_RAWIO'] },
  { names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_SYS_TIME'] },
  { names: ['vhangup'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_SYS_TTY_CONFIG'] },
  { names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_SYS_NICE'] },
  { names: ['syslog'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_SYSLOG'] },
  { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_BPF'] },
  { names: ['perf_event_open'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_PERFMON'] },
  { names: ['open_by_handle_at'], action: 'SCMP_ACT_ALLOW', includesCaps: ['CAP_DAC_READ_SEARCH'] },
];

export interface SeccompProfile {
  readonly defaultAction: string;
  readonly defaultErrnoRet?: number;
  readonly architectures: readonly string[];
  readonly rules: readonly SeccompRule[];
}

export const defaultSeccompProfile: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: EPERM,
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  rules: defaultSeccompRules,
};

/** The OCI seccomp section of `profile` for a container holding `caps` (CAP_* names). */
export function resolveSeccompProfile(profile: SeccompProfile, caps: readonly string[]): OciSeccompProfile {
  const have = new Set(caps);
  const syscalls: NonNullable<OciSeccomp['syscalls']> = [];
  for (const r of profile.rules) {
    if (r.includesCaps && !r.includesCaps.every((c) => have.has(c))) continue;
    if (r.excludesCaps?.some((c) => have.has(c))) continue;
    if (r.names.length === 0) continue;
    syscalls.push({
      names: [...r.names],
      action: r.action,
      ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
      ...(r.args ? { args: r.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op })) } : {}),
    });
  }
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures: [...profile.architectures],
    syscalls,
  };
}
