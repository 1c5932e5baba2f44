// The daemon options (flags and daemon.json) that shape this daemon's networking.
export interface NetworkControllerOptions {
  /** Default bridge interface name (--bridge); also the tag of this daemon's iptables chains. */
  readonly bridge: string;
  readonly bip: string | undefined;
  readonly mtu: number;
  readonly iptables: boolean;
  readonly liveRestore: boolean;
  /** daemon.json "icc": container-to-container traffic on the default bridge; default true. */
  readonly icc?: boolean;
  /** daemon.json "userland-proxy"; false = kernel-only path (DNAT from loopback, route_localnet, hairpin MASQUERADE). Default true. */
  readonly userlandProxy?: boolean;
  /** daemon.json "ip-forward"; default true. */
  readonly ipForward?: boolean;
  /** daemon.json "fixed-cidr": the part of the default bridge's subnet containers get addresses from. */
  readonly fixedCidr?: string;
  /** daemon.json "default-address-pools": where subnets of new networks (and the default bridge without bip) come from. */
  readonly addressPools?: ReadonlyArray<{ readonly base: string; readonly size: number }>;
  /** daemon.json "ipv6": IPv6 on the default bridge too. */
  readonly ipv6?: boolean;
  /** daemon.json "fixed-cidr-v6": the default bridge's IPv6 subnet (a ULA /64 is picked without it). */
  readonly fixedCidrV6?: string;
}
