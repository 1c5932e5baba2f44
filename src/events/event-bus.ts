import { EventEmitter } from 'node:events';

/** One engine event, in Docker's /events message shape. */
export interface EngineEvent {
  readonly Type: 'container' | 'image' | 'network' | 'volume' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config';
  readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes: Readonly<Record<string, string>> };
  readonly scope: 'local' | 'swarm';
  readonly time: number;
  readonly timeNano: number;
}

/**
 * In-process event bus. Keeps a bounded history so `GET /events?since=` can
 * replay; subscribers get every later event until they unsubscribe.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly history: EngineEvent[] = [];

  constructor(private readonly historyLimit = 1000) {
    this.emitter.setMaxListeners(0);
  }

  publish(type: EngineEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n;
    const event: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.shift();
    this.emitter.emit('event', event);
  }

  recent(): readonly EngineEvent[] {
    return this.history;
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
