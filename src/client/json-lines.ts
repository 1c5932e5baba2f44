/** One message of a JSON progress stream (pull, load, import, build). */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: unknown;
}

/** Decodes newline-delimited JSON values from a byte stream without buffering the whole body. */
export async function* readJsonLines<T = JsonMessage>(source: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') yield JSON.parse(line) as T;
    }
  }
  pending += decoder.decode();
  if (pending.trim() !== '') yield JSON.parse(pending.trim()) as T;
}
