import type { HistoryResponseItem } from '../../client/wire-types.js';
import { goJson } from './go-template.js';
import { rfc3339 } from './go-time.js';
import { timeAgo } from './human-duration.js';
import { humanSize } from './human-size.js';
import { ellipsis, truncateId } from './truncate.js';

export const HISTORY_DEFAULT_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
export const HISTORY_HEADERS: Record<string, unknown> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

const FIELDS = ['Comment', 'CreatedAt', 'CreatedBy', 'CreatedSince', 'ID', 'Size'] as const;

/** One `docker history` row (docker's historyContext). */
export class HistoryRow {
  constructor(
    private readonly h: HistoryResponseItem,
    private readonly trunc: boolean,
    private readonly human: boolean,
    private readonly now: Date = new Date(),
  ) {}

  get ID(): string {
    if (this.h.Id === '<missing>') return this.h.Id;
    return this.trunc ? truncateId(this.h.Id) : this.h.Id;
  }

  get CreatedSince(): string {
    const created = new Date(this.h.Created * 1000);
    return this.human ? timeAgo(created, this.now) : rfc3339(created);
  }

  get CreatedAt(): string {
    return rfc3339(new Date(this.h.Created * 1000));
  }

  get CreatedBy(): string {
    const by = this.h.CreatedBy.replace(/\t/g, ' ');
    return this.trunc ? ellipsis(by, 45) : by;
  }

  get Size(): string {
    return this.human ? humanSize(this.h.Size) : String(this.h.Size);
  }

  get Comment(): string {
    return this.h.Comment;
  }

  goJson(): string {
    return goJson(this.toJSON(), true);
  }

  toJSON(): Record<string, string> {
    const obj: Record<string, string> = {};
    for (const f of FIELDS) obj[f] = this[f];
    return obj;
  }
}
