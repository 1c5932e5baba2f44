import { invalidArgument } from '../../errors/engine-error.js';

/** How a container's seccomp filter is chosen (HostConfig.SecurityOpt `seccomp=`). */
export type SeccompChoice =
  | { readonly kind: 'default' }
  | { readonly kind: 'unconfined' }
  /** A profile in Docker's JSON format; the docker CLI sends the file's content, not its path. */
  | { readonly kind: 'custom'; readonly json: string };

export interface SecurityOptions {
  readonly seccomp: SeccompChoice;
  readonly noNewPrivileges: boolean;
  /** `label=…` and `apparmor=…` are accepted and ignored: this host has neither SELinux nor AppArmor (as Docker there). */
  readonly ignored: readonly string[];
}

const parseBool = (v: string): boolean | undefined => {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  return undefined;
};

/** moby daemon parseSecurityOpt: `key=value`, the deprecated `key:value`, and bare `no-new-privileges`/`disable`. */
export function parseSecurityOpts(opts: readonly string[] | null | undefined): SecurityOptions {
  let seccomp: SeccompChoice = { kind: 'default' };
  let noNewPrivileges = false;
  const ignored: string[] = [];
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') {
      noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') {
      ignored.push(opt);
      continue;
    }
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : undefined;
    if (sep === undefined) throw invalidArgument(`invalid --security-opt 1: "${opt}"`);
    const at = opt.indexOf(sep);
    const key = opt.slice(0, at);
    const value = opt.slice(at + 1);
    switch (key) {
      case 'label':
      case 'apparmor':
      case 'writable-cgroups':
        ignored.push(opt);
        break;
      case 'seccomp':
        if (value === 'unconfined') seccomp = { kind: 'unconfined' };
        else if (value === 'builtin' || value === '') seccomp = { kind: 'default' };
        else seccomp = { kind: 'custom', json: value };
        break;
      case 'no-new-privileges': {
        const b = parseBool(value);
        if (b === undefined) throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
        noNewPrivileges = b;
        break;
      }
      default:
        throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
    }
  }
  return { seccomp, noNewPrivileges, ignored };
}
