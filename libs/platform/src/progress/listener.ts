/**
 * Public API (API side). One dedicated connection per process LISTENs on `seif_progress` and fans progress
 * out to subscribers by job. subscribe() yields the persisted state first (so late subscribers and reconnects
 * never miss the end), then live updates, and completes after a terminal status.
 *
 * When the connection drops, it reconnects with exponential back-off and then re-reads the state of every
 * watched job, so whatever was published while it was away still arrives (as the current state).
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Database } from '../db/client.js';
import { PROGRESS_CHANNEL } from '../queue/jobs.js';
import * as sql from './sql.js';
import { decodeUpdate, isTerminal, type ProgressKind, ProgressNotFoundError, type ProgressUpdate, readProgressState } from './state.js';

export const LISTENER_RECONNECT = Object.freeze({
  /** First retry soon (a terminated backend or a failover is usually back at once)... */
  MIN_DELAY_MS: 100,
  /** ...then doubling up to this, so a database that is down is not hammered by every API instance. */
  MAX_DELAY_MS: 10_000,
});

export interface ProgressListenerOptions {
  /** The same DATABASE_URL as Prisma; the listener opens its own connection. */
  connectionString: string;
  /** Reads the persisted state (first value, and after a reconnect). */
  db: Database;
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Connection losses, failed reconnects, unreadable notifications. Default: console.error. Never rethrown. */
  onError?: (error: Error) => void;
}

export interface SubscribeOptions {
  /** Only this tenant's job: another tenant's id ends the subscription with ProgressNotFoundError. */
  tenantId?: string;
}

class Subscription implements AsyncIterableIterator<ProgressUpdate> {
  #buffer: ProgressUpdate[] = [];
  #early: ProgressUpdate[] = [];
  #initialized = false;
  #lastEventId: bigint | null = null;
  #ended = false;
  #error: unknown;
  #waiting: { resolve: (result: IteratorResult<ProgressUpdate>) => void; reject: (error: unknown) => void } | undefined;

  constructor(
    readonly key: string,
    readonly tenantId: string | undefined,
    private readonly onClose: (subscription: Subscription) => void,
  ) {}

  get initialized(): boolean {
    return this.#initialized;
  }

  /** The persisted state: always delivered first, then the notifications that raced with reading it. */
  init(state: ProgressUpdate): void {
    if (this.#initialized || this.#ended) return;
    this.#initialized = true;
    this.#deliver(state, true);
    for (const update of this.#early.splice(0)) this.#deliver(update, false);
  }

  push(update: ProgressUpdate): void {
    if (this.#ended) return;
    if (this.tenantId && update.tenantId !== this.tenantId) return;
    if (!this.#initialized) this.#early.push(update);
    else this.#deliver(update, false);
  }

  fail(error: unknown): void {
    if (this.#ended) return;
    this.#error = error;
    this.#finish();
  }

  #deliver(update: ProgressUpdate, always: boolean): void {
    if (this.#ended || (this.#buffer.length && isTerminal(this.#buffer.at(-1)!.status))) return;
    const eventId = update.eventId === null ? null : BigInt(update.eventId);
    // Older than (or the same as) what this subscriber has: a notification that raced with the initial read.
    if (!always && (eventId === null || (this.#lastEventId !== null && eventId <= this.#lastEventId))) return;
    if (eventId !== null) this.#lastEventId = eventId;
    if (this.#waiting) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting.resolve({ value: update, done: false });
      if (isTerminal(update.status)) this.#finish();
    } else {
      this.#buffer.push(update);
    }
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.onClose(this);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) {
      if (this.#error !== undefined && !this.#buffer.length) waiting.reject(this.#error);
      else waiting.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<ProgressUpdate>> {
    const value = this.#buffer.shift();
    if (value) {
      if (isTerminal(value.status)) {
        this.#buffer.length = 0;
        this.#finish();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) {
      if (this.#error !== undefined) {
        const error = this.#error;
        this.#error = undefined;
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  /** The consumer stopped (GraphQL unsubscribe, `break`): ends at once, even while a next() is pending. */
  return(): Promise<IteratorResult<ProgressUpdate>> {
    this.#buffer.length = 0;
    this.#error = undefined;
    this.#finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export class ProgressListener extends EventEmitter<{ connected: [pid: number]; reconnected: [pid: number] }> {
  readonly #options: ProgressListenerOptions;
  readonly #subscriptions = new Map<string, Set<Subscription>>();
  #client: pg.Client | undefined;
  #pid: number | undefined;
  #starting: Promise<void> | undefined;
  #stopped = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #reconnects = 0;

  constructor(options: ProgressListenerOptions) {
    super();
    if (!options?.connectionString || !options.db) {
      throw new TypeError('ProgressListener needs { connectionString, db }: the DATABASE_URL and a Prisma client from createDatabase()');
    }
    this.#options = options;
  }

  /** Backend process id of the LISTEN connection (undefined while disconnected). */
  get pid(): number | undefined {
    return this.#pid;
  }

  get connected(): boolean {
    return this.#pid !== undefined;
  }

  /** How many times the connection was re-established. */
  get reconnects(): number {
    return this.#reconnects;
  }

  #onError = (error: Error): void => {
    try {
      (this.#options.onError ?? ((e: Error) => console.error(e)))(error);
    } catch {
      // Hooks never take the listener down.
    }
  };

  /** Connects and LISTENs. Rejects if the first connection fails; later losses reconnect on their own. */
  start(): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error('ProgressListener was stopped; create a new one'));
    this.#starting ??= this.#connect().catch((error) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#options.connectionString, application_name: 'seif-progress-listener' });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.#client === client) {
        this.#client = undefined;
        this.#pid = undefined;
      }
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (this.#stopped) return;
      this.#onError(new Error(`Progress listener lost its connection${error ? `: ${error.message}` : ''}; reconnecting`, { cause: error }));
      this.#scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel !== PROGRESS_CHANNEL || !message.payload) return;
      let update: ProgressUpdate;
      try {
        update = decodeUpdate(message.payload);
      } catch (error) {
        this.#onError(error as Error);
        return;
      }
      for (const subscription of this.#subscriptions.get(`${update.kind}:${update.id}`) ?? []) subscription.push(update);
    });
    try {
      await client.connect();
      await client.query(sql.listen(PROGRESS_CHANNEL));
      const { rows } = await client.query<{ pid: number }>(sql.backendPid());
      if (this.#stopped) {
        lost = true;
        await client.end().catch(() => {});
        return;
      }
      this.#client = client;
      this.#pid = rows[0]!.pid;
    } catch (error) {
      lost = true;
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
      throw error;
    }
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnectTimer) return;
    const min = this.#options.minReconnectDelayMs ?? LISTENER_RECONNECT.MIN_DELAY_MS;
    const max = this.#options.maxReconnectDelayMs ?? LISTENER_RECONNECT.MAX_DELAY_MS;
    const base = Math.min(max, min * 2 ** this.#failures);
    // Jitter, so API instances that lost the same server do not reconnect in lockstep.
    const delay = base / 2 + (Math.random() * base) / 2;
    this.#reconnectTimer = setTimeout(async () => {
      this.#reconnectTimer = undefined;
      try {
        await this.#connect();
      } catch (error) {
        this.#failures++;
        this.#onError(new Error(`Progress listener could not reconnect: ${(error as Error).message}`, { cause: error }));
        this.#scheduleReconnect();
        return;
      }
      if (this.#stopped || !this.#pid) return;
      this.#failures = 0;
      this.#reconnects++;
      this.emit('reconnected', this.#pid);
      await this.#refreshAll();
    }, delay);
  }

  /** After a reconnect: notifications sent while disconnected are gone, so re-read every watched job. */
  async #refreshAll(): Promise<void> {
    await Promise.all(
      [...this.#subscriptions.entries()].map(async ([key, subscriptions]) => {
        const [kind, id] = key.split(':') as [ProgressKind, string];
        try {
          const state = await readProgressState(this.#options.db, kind, id);
          if (state) for (const subscription of subscriptions) if (subscription.initialized) subscription.push(state);
        } catch (error) {
          this.#onError(new Error(`Re-reading ${key} after a reconnect failed: ${(error as Error).message}`, { cause: error }));
        }
      }),
    );
  }

  /**
   * Progress of one job: first the persisted state, then live updates in order; completes after SUCCEEDED,
   * FAILED or CANCELLED. Rejects (on the first next()) with ProgressNotFoundError when there is no such job for
   * the tenant. Call return() (or `break`) to stop early.
   */
  subscribe(kind: ProgressKind, id: string, options: SubscribeOptions = {}): AsyncIterableIterator<ProgressUpdate> {
    if (kind !== 'reconstruction' && kind !== 'animation') throw new TypeError(`subscribe(kind, id): kind must be 'reconstruction' or 'animation', got ${JSON.stringify(kind)}`);
    if (typeof id !== 'string' || !id) throw new TypeError('subscribe(kind, id): id must be the job row’s id');
    const key = `${kind}:${id}`;
    const subscription = new Subscription(key, options.tenantId, (closed) => {
      const set = this.#subscriptions.get(closed.key);
      set?.delete(closed);
      if (set && set.size === 0) this.#subscriptions.delete(closed.key);
    });
    let set = this.#subscriptions.get(key);
    if (!set) this.#subscriptions.set(key, (set = new Set()));
    set.add(subscription);
    // Registered before the read: anything committed after the read's snapshot is delivered as a notification.
    void (async () => {
      try {
        await this.start();
        const state = await readProgressState(this.#options.db, kind, id, options.tenantId);
        if (!state) subscription.fail(new ProgressNotFoundError(kind, id));
        else subscription.init(state);
      } catch (error) {
        subscription.fail(error);
      }
    })();
    return subscription;
  }

  /** Subscribers watching at least one job, for metrics. */
  get watchedJobs(): number {
    return this.#subscriptions.size;
  }

  /** Closes the connection and completes every subscription. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    for (const set of [...this.#subscriptions.values()]) for (const subscription of [...set]) void subscription.return();
    const client = this.#client;
    this.#client = undefined;
    this.#pid = undefined;
    await this.#starting?.catch(() => {});
    if (client) await client.end().catch(() => {});
  }
}
