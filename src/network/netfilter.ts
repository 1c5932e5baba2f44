import { hostCommand, tryHostCommand } from './host-command.js';

/**
 * One daemon's iptables rules, all in chains of its own named after its tag
 * (the default bridge name), jumped to from the built-in chains. Another
 * engine's chains (DOCKER, DOCKER-USER …) are never read or written.
 * Lifecycle: setup() → add/remove rules … → dropPrevious() → … → teardown().
 * Chains a previous run left (a crash, live-restore) are not flushed at
 * setup(): they are renamed NAME~ and keep serving (their DNAT rules carry
 * published ports) while the caller re-adds the rules it needs to fresh
 * chains; dropPrevious() then removes them, so traffic never meets a moment
 * without rules.
 */
export interface PortRule {
  readonly bridge: string;
  readonly proto: 'tcp' | 'udp';
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerIp: string;
  readonly containerPort: number;
}

type Table = 'nat' | 'filter';

export class Netfilter {
  readonly natChain: string;
  readonly postChain: string;
  readonly forwardChain: string;
  /** Docker's DOCKER-ISOLATION-STAGE-1/2 in chains of our own: traffic leaving one of our bridges for another is dropped. */
  readonly isoChain1: string;
  readonly isoChain2: string;

  /**
   * `hairpin` (userland-proxy: false): DNAT also serves loopback and traffic
   * from the bridge itself, as Docker's hairpin mode (IPv4 only: IPv6 has no
   * route_localnet, so ::1 always goes through the proxy). `family` 6: the
   * same chains through ip6tables, for the IPv6 subnets of our networks.
   */
  constructor(
    readonly tag: string,
    readonly hairpin = false,
    readonly family: 4 | 6 = 4,
  ) {
    if (family === 6) this.hairpin = false;
    this.natChain = `BERTH-${tag}`;
    this.postChain = `BERTH-POST-${tag}`;
    this.forwardChain = `BERTH-FWD-${tag}`;
    this.isoChain1 = `BERTH-ISO1-${tag}`;
    this.isoChain2 = `BERTH-ISO2-${tag}`;
  }

  private chains(): ReadonlyArray<readonly [Table, string]> {
    return [['nat', this.natChain], ['nat', this.postChain], ['filter', this.forwardChain], ['filter', this.isoChain1], ['filter', this.isoChain2]];
  }

  private jumps(): Array<{ table: Table; chain: string; spec: string[] }> {
    return [
      { table: 'nat', chain: 'PREROUTING', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', this.natChain] },
      { table: 'nat', chain: 'OUTPUT', spec: [...(this.hairpin ? [] : ['!', '-d', this.family === 6 ? '::1/128' : '127.0.0.0/8']), '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', this.natChain] },
      { table: 'nat', chain: 'POSTROUTING', spec: ['-j', this.postChain] },
      { table: 'filter', chain: 'FORWARD', spec: ['-j', this.forwardChain] },
    ];
  }

  /**
   * Creates the chains and installs the jumps once. Chains of a previous run
   * are renamed NAME~ (their jumps follow them) and stay until dropPrevious().
   */
  async setup(): Promise<void> {
    // Left by a restart that did not get to dropPrevious(): older still, and in the way of the renames.
    await this.dropPrevious();
    for (const [table, chain] of this.chains()) await this.tryIpt(table, ['-E', chain, previous(chain)]);
    for (const [table, chain] of this.chains()) await this.ipt(table, ['-N', chain]);
    await this.ipt('filter', ['-A', this.forwardChain, '-j', this.isoChain1]);
    for (const j of this.jumps()) {
      await this.ipt(j.table, j.chain === 'FORWARD' ? ['-I', j.chain, '1', ...j.spec] : ['-A', j.chain, ...j.spec]);
    }
  }

  /** Removes the chains a previous run left (see setup()) and the jumps to them; safe when there are none. */
  async dropPrevious(): Promise<void> {
    const old = this.chains().map(([table, chain]) => [table, previous(chain)] as const);
    for (const table of ['nat', 'filter'] as const) {
      const rules = (await this.tryIpt(table, ['-S'])).stdout.split('\n');
      for (const rule of rules) {
        const m = /^-A (PREROUTING|OUTPUT|POSTROUTING|FORWARD) (.*)$/.exec(rule);
        if (!m || m[2] === undefined || !old.some(([t, c]) => t === table && rule.endsWith(`-j ${c}`))) continue;
        await this.tryIpt(table, ['-D', m[1] ?? '', ...m[2].split(' ')]);
      }
    }
    for (const [table, chain] of old) await this.tryIpt(table, ['-F', chain]);
    for (const [table, chain] of old) await this.tryIpt(table, ['-X', chain]);
  }

  /** This run's jumps only; a jump with other options (an earlier run with another hairpin setting) is renamed with its chain. */
  private async removeJumps(): Promise<void> {
    for (const j of this.jumps()) {
      for (let i = 0; i < 10; i++) if ((await this.tryIpt(j.table, ['-D', j.chain, ...j.spec])).code !== 0) break;
    }
  }

  /** Removes the jumps and the chains (a previous run's too); safe when nothing exists. */
  async teardown(): Promise<void> {
    await this.removeJumps();
    for (const [table, chain] of this.chains()) await this.tryIpt(table, ['-F', chain]);
    for (const [table, chain] of this.chains()) await this.tryIpt(table, ['-X', chain]);
    await this.dropPrevious();
  }

  /**
   * Per bridge, as Docker: isolation from our other bridges (stage 1 sends
   * what leaves the bridge to stage 2, which drops it when it enters
   * another of our bridges); container-to-container traffic accepted, or
   * dropped when `icc` is off; an internal network neither leaves its
   * bridge nor is reached from outside it and has no MASQUERADE.
   */
  private bridgeRules(bridge: string, subnet: string, internal: boolean, icc: boolean): Array<{ table: Table; chain: string; spec: string[] }> {
    const rules: Array<{ table: Table; chain: string; spec: string[] }> = [
      { table: 'filter', chain: this.isoChain1, spec: ['-i', bridge, '!', '-o', bridge, '-j', this.isoChain2] },
      { table: 'filter', chain: this.isoChain2, spec: ['-o', bridge, '-j', 'DROP'] },
      { table: 'filter', chain: this.forwardChain, spec: ['-i', bridge, '-o', bridge, '-j', icc ? 'ACCEPT' : 'DROP'] },
    ];
    if (internal) {
      rules.push({ table: 'filter', chain: this.isoChain1, spec: ['-i', bridge, '!', '-o', bridge, '-j', 'DROP'] });
      rules.push({ table: 'filter', chain: this.isoChain1, spec: ['!', '-i', bridge, '-o', bridge, '-j', 'DROP'] });
      return rules;
    }
    rules.push(
      { table: 'filter', chain: this.forwardChain, spec: ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'] },
      { table: 'filter', chain: this.forwardChain, spec: ['-i', bridge, '!', '-o', bridge, '-j', 'ACCEPT'] },
      { table: 'nat', chain: this.postChain, spec: ['-s', subnet, '!', '-o', bridge, '-j', 'MASQUERADE'] },
    );
    // Loopback clients DNATed to a container need a source the container can answer (with route_localnet on the bridge).
    if (this.hairpin) rules.push({ table: 'nat', chain: this.postChain, spec: ['-s', '127.0.0.0/8', '-o', bridge, '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'MASQUERADE'] });
    return rules;
  }

  async addBridge(bridge: string, subnet: string, internal: boolean, icc = true): Promise<void> {
    for (const r of this.bridgeRules(bridge, subnet, internal, icc)) await this.ipt(r.table, ['-A', r.chain, ...r.spec]);
  }

  async removeBridge(bridge: string, subnet: string, internal: boolean, icc = true): Promise<void> {
    for (const r of this.bridgeRules(bridge, subnet, internal, icc)) await this.tryIpt(r.table, ['-D', r.chain, ...r.spec]);
  }

  private portRules(p: PortRule): Array<{ table: Table; chain: string; spec: string[] }> {
    const host = this.family === 6 ? 128 : 32;
    const dst = p.hostIp === '' || p.hostIp === '0.0.0.0' || p.hostIp === '::' ? [] : ['-d', `${p.hostIp}/${host}`];
    const to = this.family === 6 ? `[${p.containerIp}]:${p.containerPort}` : `${p.containerIp}:${p.containerPort}`;
    return [
      {
        table: 'nat',
        chain: this.natChain,
        spec: [...(this.hairpin ? [] : ['!', '-i', p.bridge]), ...dst, '-p', p.proto, '-m', p.proto, '--dport', String(p.hostPort), '-j', 'DNAT', '--to-destination', to],
      },
      {
        table: 'filter',
        chain: this.forwardChain,
        spec: ['-d', `${p.containerIp}/${host}`, '!', '-i', p.bridge, '-o', p.bridge, '-p', p.proto, '-m', p.proto, '--dport', String(p.containerPort), '-j', 'ACCEPT'],
      },
    ];
  }

  async addPort(p: PortRule): Promise<void> {
    for (const r of this.portRules(p)) await this.ipt(r.table, ['-A', r.chain, ...r.spec]);
  }

  async removePort(p: PortRule): Promise<void> {
    for (const r of this.portRules(p)) await this.tryIpt(r.table, ['-D', r.chain, ...r.spec]);
  }

  private async ipt(table: Table, args: string[]): Promise<void> {
    await hostCommand(this.family === 6 ? 'ip6tables' : 'iptables', ['-w', '-t', table, ...args]);
  }

  private tryIpt(table: Table, args: string[]): Promise<{ code: number; stdout: string }> {
    return tryHostCommand(this.family === 6 ? 'ip6tables' : 'iptables', ['-w', '-t', table, ...args]);
  }
}


/** Turns on IPv4 forwarding, as Docker does when it manages iptables. */
export async function enableIpForward(): Promise<void> {
  await hostCommand('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']).catch(() => undefined);
}

/** Turns on IPv6 forwarding for an IPv6 network, as Docker does (it needs it to route the subnet). */
export async function enableIpv6Forward(): Promise<void> {
  await hostCommand('sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1']).catch(() => undefined);
}

/** Lets DNAT send loopback-sourced packets out of the bridge (userland-proxy: false), as Docker does. */
export async function enableRouteLocalnet(bridge: string): Promise<void> {
  await hostCommand('sysctl', ['-q', '-w', `net.ipv4.conf.${bridge}.route_localnet=1`]);
}

/** The name a chain of the previous run carries until dropPrevious() (≤ 28 characters: BERTH-ISO2- + a 15-character tag + ~). */
function previous(chain: string): string {
  return `${chain}~`;
}
