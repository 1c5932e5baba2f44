import { ignoredAsDockerd, implemented, refused, type LedgerTable } from './ledger-types.js';
import { withPrefix } from './ledger-prefix.js';

const LIFECYCLE = 'test/integration/containers-lifecycle.test.ts';
const HEALTH = 'test/integration/health-check.test.ts';
const FIELDS = 'test/integration/create-fields.test.ts';
const VOLUMES = 'test/integration/volumes-mounts.test.ts';
const BUILD = 'test/integration/build-classic.test.ts';
const NET_USER = 'test/integration/network-user.test.ts';
const NET_LINK = 'test/integration/network-link.test.ts';
const NET_BRIDGE = 'test/integration/network-bridge.test.ts';

/** The container's Config (ContainerConfig in the swagger), as POST /containers/create and POST /commit take it. */
export const containerConfigFields = {
  Hostname: implemented(FIELDS, '--hostname'),
  Domainname: implemented(FIELDS, '--domainname'),
  User: implemented(LIFECYCLE, "'-u'"),
  AttachStdin: implemented('test/integration/api-versioned-behaviour.test.ts', 'AttachStdin'),
  AttachStdout: implemented('test/integration/api-versioned-behaviour.test.ts', 'AttachStdout'),
  AttachStderr: implemented('test/integration/api-versioned-behaviour.test.ts', 'AttachStderr'),
  ExposedPorts: implemented(NET_BRIDGE, '--expose'),
  Tty: implemented('test/integration/api-versioned-behaviour.test.ts', 'Tty'),
  OpenStdin: implemented('test/integration/attach-ws.test.ts'),
  StdinOnce: implemented('test/integration/attach-ws.test.ts'),
  Env: implemented(LIFECYCLE, "'-e'"),
  Cmd: implemented('test/integration/api-ledger-refusals.test.ts', 'Cmd'),
  Healthcheck: implemented('test/integration/build-classic.test.ts', 'Healthcheck'),
  'Healthcheck.Test': implemented(HEALTH, '--health-cmd'),
  'Healthcheck.Interval': implemented(HEALTH, '--health-interval'),
  'Healthcheck.Timeout': implemented(HEALTH, '--health-timeout'),
  'Healthcheck.Retries': implemented(HEALTH, '--health-retries'),
  'Healthcheck.StartPeriod': implemented(HEALTH, '--health-start-period'),
  'Healthcheck.StartInterval': implemented(FIELDS, '--health-start-interval'),
  ArgsEscaped: ignoredAsDockerd('Windows-only: dockerd on Linux stores it in the config and never reads it'),
  Image: implemented(LIFECYCLE),
  Volumes: implemented(VOLUMES),
  WorkingDir: implemented(LIFECYCLE, "'-w'"),
  Entrypoint: implemented(BUILD, '--entrypoint'),
  NetworkDisabled: implemented('test/integration/create-fields.test.ts', 'Config.NetworkDisabled'),
  MacAddress: implemented('test/integration/mac-address.test.ts', '--mac-address'),
  OnBuild: ignoredAsDockerd('stored with the container and kept by commit; triggers run only when a build uses the image as its base'),
  Labels: implemented(NET_USER, '--label'),
  StopSignal: implemented(FIELDS, '--stop-signal'),
  StopTimeout: implemented(FIELDS, '--stop-timeout'),
  Shell: ignoredAsDockerd('used only by the builder (SHELL); dockerd stores it with the container and commit keeps it'),
} as const;

/** NetworkingConfig.EndpointsConfig.<network> and POST /networks/{id}/connect's EndpointConfig. */
export const endpointSettingsFields = {
  IPAMConfig: implemented(NET_USER, '--ip'),
  'IPAMConfig.IPv4Address': implemented(NET_USER, '--ip'),
  'IPAMConfig.IPv6Address': implemented('test/integration/network-ipv6.test.ts', 'IPv6Address'),
  'IPAMConfig.LinkLocalIPs': implemented('test/integration/network-user.test.ts', '--link-local-ip'),
  Links: implemented(NET_LINK, '--link'),
  Aliases: implemented(NET_USER, '--network-alias'),
  DNSNames: ignoredAsDockerd('output only: dockerd computes it (name, aliases, short id) and ignores a value sent on create'),
  GwPriority: refused('invalid_argument', 'GwPriority (choosing the default gateway among several networks) is not supported by berth'),
  NetworkID: ignoredAsDockerd('output only: dockerd fills it from the network and ignores a value sent on create'),
  EndpointID: ignoredAsDockerd('output only: dockerd assigns it and ignores a value sent on create'),
  Gateway: ignoredAsDockerd('output only: dockerd takes the gateway from the network and ignores a value sent on create'),
  IPAddress: ignoredAsDockerd('output only: dockerd takes a static address from IPAMConfig and ignores this one'),
  IPPrefixLen: ignoredAsDockerd('output only'),
  IPv6Gateway: ignoredAsDockerd('output only'),
  GlobalIPv6Address: ignoredAsDockerd('output only: dockerd takes a static address from IPAMConfig.IPv6Address'),
  GlobalIPv6PrefixLen: ignoredAsDockerd('output only'),
  MacAddress: implemented(NET_BRIDGE, 'MacAddress'),
  DriverOpts: ignoredAsDockerd('passed to the network driver; the bridge driver of dockerd 20.10 reads no endpoint options'),
} as const;

export const containerConfigLedger: LedgerTable = {
  ...withPrefix('POST /containers/create body ', containerConfigFields),
  'POST /containers/create body NetworkingConfig': implemented('test/integration/mac-address.test.ts', 'NetworkingConfig'),
  'POST /containers/create body NetworkingConfig.EndpointsConfig': implemented('test/integration/mac-address.test.ts', 'EndpointsConfig'),
  ...withPrefix('POST /containers/create body NetworkingConfig.EndpointsConfig{}.', endpointSettingsFields),
};
