// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: every write is
// conditional on the resourceVersion read (a conflict means another replica won), a leader that
// cannot renew within renewDeadline stops acting at once, and a standby takes over only after
// leaseDuration has passed on its own clock without the record changing. Since renewDeadline <
// leaseDuration, the old leader has stopped before anyone else may start.
import type { Logger } from 'pino';
import type { KubeApi } from '../kube/kube-api.ts';
import { isConflict } from '../kube/errors.ts';
import { apiVersionOf, LEASES } from '../kube/resource-type.ts';
import type { KubeObject } from '../kube/types.ts';
import { type Clock, sleep, systemClock, type Timer } from './clock.ts';
import { decideLease, type LeaseRecord, type ObservedLease, releasedLease } from './lease-decision.ts';

export interface LeaderElectionOptions {
  client: Pick<KubeApi, 'find' | 'create' | 'replace'>;
  namespace: string;
  name: string;
  /** Unique per process: two processes with one identity would both think they lead. */
  identity: string;
  /** How long a standby waits after the last change it saw before taking over. */
  leaseDurationMs: number;
  /** How long a leader keeps acting without a successful renew. Must be less than leaseDurationMs. */
  renewDeadlineMs: number;
  /** Time between attempts to acquire or renew. */
  retryPeriodMs: number;
  logger: Logger;
  clock?: Clock;
  /** This replica now leads: start acting. */
  onStartedLeading: () => void;
  /**
   * This replica no longer leads: stop acting. `lost` comes from the renew deadline or another
   * holder and must stop everything at once; `stopped` comes from stop().
   */
  onStoppedLeading: (reason: 'lost' | 'stopped') => void;
  /** Someone else (or this replica) was seen holding the lease. */
  onNewLeader?: (holder: string) => void;
}

type LeaseObject = KubeObject & { spec?: LeaseRecord };

export class LeaderElector {
  readonly identity: string;
  readonly #options: LeaderElectionOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #leading = false;
  #deadline: Timer | undefined;
  #observed: (ObservedLease & { resourceVersion: string | undefined }) | undefined;
  #holder: string | undefined;
  #lastContact = 0;

  constructor(options: LeaderElectionOptions) {
    if (options.renewDeadlineMs >= options.leaseDurationMs) {
      throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    }
    this.identity = options.identity;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger.child({ lease: `${options.namespace}/${options.name}`, replica: options.identity });
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** The holder last seen in the Lease. */
  get leader(): string | undefined {
    return this.#holder;
  }

  /** Leading and renewing, or standing by and able to read the Lease. */
  isHealthy(): boolean {
    if (!this.#loop) return false;
    if (this.#leading) return true;
    return this.#clock.now() - this.#lastContact < 2 * this.#options.leaseDurationMs;
  }

  start(): void {
    if (this.#loop) return;
    this.#lastContact = this.#clock.now();
    this.#loop = this.#run();
  }

  /**
   * Stops campaigning. A leader first stops acting (onStoppedLeading), then, with `release`,
   * empties the Lease so a standby takes over without waiting for it to expire.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    if (!this.#leading) return;
    this.#leading = false;
    this.#deadline?.cancel();
    this.#callback(() => this.#options.onStoppedLeading('stopped'));
    if (options.release ?? true) await this.#release();
  }

  async #run(): Promise<void> {
    const stopped = this.#abort.signal;
    const { retryPeriodMs, renewDeadlineMs } = this.#options;
    while (!stopped.aborted) {
      const attemptStart = this.#clock.now();
      let held: boolean | undefined;
      try {
        held = await this.#tryAcquireOrRenew(AbortSignal.any([stopped, AbortSignal.timeout(renewDeadlineMs)]));
      } catch (error) {
        if (!stopped.aborted) this.#log.warn({ err: error, leading: this.#leading }, 'could not read or write the lease');
      }
      if (stopped.aborted) break;
      // A renew that lands after its own deadline cannot extend leadership the deadline ended.
      if (held && this.#clock.now() < attemptStart + renewDeadlineMs) this.#renewed(attemptStart);
      else if (held === false && this.#leading) this.#lose(`the lease is held by ${this.#holder ?? 'another replica'}`);
      const jitter = this.#leading ? 0 : Math.random() * 0.2 * retryPeriodMs;
      await sleep(this.#clock, retryPeriodMs + jitter, stopped);
    }
  }

  /** True when this replica holds the lease after the attempt; false when someone else does. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, namespace, name, identity, leaseDurationMs } = this.#options;
    const lease = await client.find<LeaseObject>(LEASES, namespace, name, { signal });
    const now = this.#clock.now();
    this.#lastContact = now;
    const decision = decideLease(this.#observe(lease, now), identity, now, Math.ceil(leaseDurationMs / 1000));

    let written: LeaseObject;
    try {
      switch (decision.action) {
        case 'wait':
          this.#seeHolder(decision.holder);
          return false;
        case 'create':
          written = await client.create<LeaseObject>(
            LEASES,
            { apiVersion: apiVersionOf(LEASES), kind: LEASES.kind, metadata: { namespace, name }, spec: decision.record },
            { signal },
          );
          break;
        case 'acquire':
        case 'renew':
          if (decision.action === 'acquire') {
            this.#log.info({ previousHolder: decision.previousHolder ?? null }, 'taking over the lease');
          }
          // Carries the resourceVersion read above: a concurrent writer makes this a 409.
          written = await client.replace<LeaseObject>(LEASES, { ...(lease as LeaseObject), spec: decision.record }, { signal });
          break;
      }
    } catch (error) {
      if (isConflict(error)) {
        this.#log.debug('lost a race for the lease');
        return false;
      }
      throw error;
    }
    this.#observed = { record: written.spec ?? {}, resourceVersion: written.metadata.resourceVersion, observedAt: this.#clock.now() };
    this.#seeHolder(identity);
    return true;
  }

  /** Tracks when the record last changed, on this replica's clock. */
  #observe(lease: LeaseObject | undefined, now: number): ObservedLease | undefined {
    if (!lease) {
      this.#observed = undefined;
      return undefined;
    }
    const resourceVersion = lease.metadata.resourceVersion;
    if (!this.#observed || this.#observed.resourceVersion !== resourceVersion) {
      this.#observed = { record: lease.spec ?? {}, resourceVersion, observedAt: now };
    }
    return this.#observed;
  }

  #renewed(attemptStart: number): void {
    this.#deadline?.cancel();
    const remaining = attemptStart + this.#options.renewDeadlineMs - this.#clock.now();
    this.#deadline = this.#clock.setTimer(() => this.#lose('could not renew the lease before the renew deadline'), remaining);
    if (this.#leading) return;
    this.#leading = true;
    this.#log.info('started leading');
    this.#callback(() => this.#options.onStartedLeading());
  }

  #lose(why: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#deadline?.cancel();
    this.#log.warn({ why }, 'stopped leading');
    this.#callback(() => this.#options.onStoppedLeading('lost'));
  }

  #seeHolder(holder: string): void {
    if (holder === this.#holder) return;
    this.#holder = holder;
    if (holder !== this.identity) this.#log.info({ holder }, 'the lease is held by another replica');
    this.#callback(() => this.#options.onNewLeader?.(holder));
  }

  async #release(): Promise<void> {
    const { client, namespace, name, identity } = this.#options;
    const signal = AbortSignal.timeout(this.#options.renewDeadlineMs);
    try {
      const lease = await client.find<LeaseObject>(LEASES, namespace, name, { signal });
      if (!lease || lease.spec?.holderIdentity !== identity) return;
      await client.replace<LeaseObject>(LEASES, { ...lease, spec: releasedLease(lease.spec, this.#clock.now()) }, { signal });
      this.#log.info('released the lease');
    } catch (error) {
      // The lease then expires on its own after leaseDuration.
      this.#log.warn({ err: error }, 'could not release the lease');
    }
  }

  #callback(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#log.error({ err: error }, 'leader election callback threw');
    }
  }
}
