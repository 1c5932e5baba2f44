/** Docker's multiplexed stream framing: [type, 0, 0, 0, size uint32 BE] + payload; 0 stdin, 1 stdout, 2 stderr. */
export function frame(stream: 'stdin' | 'stdout' | 'stderr' | 'system', data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === 'stdin' ? 0 : stream === 'stdout' ? 1 : stream === 'stderr' ? 2 : 3;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM = 'application/vnd.docker.raw-stream';
