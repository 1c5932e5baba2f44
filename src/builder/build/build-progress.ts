// The classic builder's progress lines: `Step n/N : …` and the short ids it prints.
export class StepPrinter {
  /** Steps the build will print; set once the needed stages are known. */
  total = 0;
  private step = 0;

  constructor(
    private readonly stream: (text: string) => void,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Announces the next step; a cancelled build stops here. */
  print(original: string): void {
    this.signal?.throwIfAborted();
    this.step++;
    this.stream(`Step ${this.step}/${this.total} : ${original}\n`);
  }
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
