import { createSocket, type Socket } from 'node:dgram';
import { ip6ToBigInt } from './ipv6.js';

/**
 * A small DNS responder for one user-defined network, on UDP port 53 of the
 * network's gateway address. It answers A and AAAA queries for the names
 * `lookup` knows; other names go to the upstream resolvers (or get NXDOMAIN when
 * there are none). Lifecycle: startDnsServer() → close().
 */
export interface DnsServerOptions {
  readonly address: string;
  readonly port?: number;
  /** IPv4 and IPv6 addresses for a name (lower case, without the trailing dot) asked by `client` (its IPv4 address); empty when unknown here. */
  readonly lookup: (name: string, client: string) => string[];
  /** Upstream resolvers (IPv4, port 53) for names not ours. */
  readonly upstreams: readonly string[];
}

export interface DnsServer {
  readonly address: string;
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;
const RCODE_NXDOMAIN = 3;
const RCODE_SERVFAIL = 2;
const RCODE_FORMERR = 1;

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const sock = createSocket({ type: 'udp4', reuseAddr: false });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(opts.port ?? 53, opts.address, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  sock.on('error', () => undefined);
  sock.on('message', (msg, rinfo) => {
    void answer(opts, msg, rinfo.address).then((reply) => {
      if (reply) sock.send(reply, rinfo.port, rinfo.address);
    });
  });
  return {
    address: opts.address,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}

interface Question {
  name: string;
  type: number;
  /** Offset just after the question section. */
  end: number;
}

function parseQuestion(msg: Buffer): Question | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    const len = msg[off];
    if (len === undefined || len >= 0xc0) return undefined;
    off++;
    if (len === 0) break;
    if (off + len > msg.length) return undefined;
    labels.push(msg.subarray(off, off + len).toString('latin1'));
    off += len;
  }
  if (off + 4 > msg.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off), end: off + 4 };
}

/** A reply with the question echoed, recursion available, and the given answers / rcode. */
function reply(msg: Buffer, q: Question | undefined, rcode: number, addrs: readonly string[]): Buffer {
  const question = q ? msg.subarray(12, q.end) : Buffer.alloc(0);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0);
  const rd = (msg[2] ?? 0) & 0x01;
  header[2] = 0x80 | 0x04 | rd; // QR, AA, RD copied
  header[3] = 0x80 | rcode; // RA
  header.writeUInt16BE(q ? 1 : 0, 4);
  header.writeUInt16BE(addrs.length, 6);
  const answers = addrs.map((ip) => {
    const v6 = ip.includes(':');
    const rr = Buffer.alloc(v6 ? 28 : 16);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
    rr.writeUInt16BE(v6 ? TYPE_AAAA : TYPE_A, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(600, 6);
    rr.writeUInt16BE(v6 ? 16 : 4, 10);
    if (v6) {
      const n = ip6ToBigInt(ip);
      for (let i = 0; i < 16; i++) rr[12 + i] = Number((n >> BigInt(8 * (15 - i))) & 0xffn);
    } else ip.split('.').forEach((b, i) => (rr[12 + i] = Number(b)));
    return rr;
  });
  return Buffer.concat([header, question, ...answers]);
}

async function answer(opts: DnsServerOptions, msg: Buffer, client: string): Promise<Buffer | undefined> {
  if (msg.length < 12 || ((msg[2] ?? 0) & 0x80) !== 0) return undefined;
  const q = parseQuestion(msg);
  if (!q) return reply(msg, undefined, RCODE_FORMERR, []);
  const ours = opts.lookup(q.name, client);
  // A name of ours asked for a type it has no record of: an empty answer, not NXDOMAIN, so resolvers still use the other family.
  if (ours.length > 0) return reply(msg, q, 0, q.type === TYPE_A ? ours.filter((a) => !a.includes(':')) : q.type === TYPE_AAAA ? ours.filter((a) => a.includes(':')) : []);
  for (const upstream of opts.upstreams) {
    const r = await forward(msg, upstream).catch(() => undefined);
    if (r) return r;
  }
  return reply(msg, q, opts.upstreams.length > 0 ? RCODE_SERVFAIL : RCODE_NXDOMAIN, []);
}

function forward(msg: Buffer, upstream: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s: Socket = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('timeout'));
    }, 2_000);
    s.on('error', (err) => {
      clearTimeout(timer);
      s.close();
      reject(err);
    });
    s.on('message', (r) => {
      clearTimeout(timer);
      s.close();
      resolve(r);
    });
    s.send(msg, 53, upstream);
  });
}
