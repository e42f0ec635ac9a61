// Wires the runtime together: informers (always running, so a standby has a warm cache), the
// health and metrics server, leader election, and the controllers (running only while leading).
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.ts';
import { EventRecorder } from '../kube/events.ts';
import { type Clock, systemClock } from '../runtime/clock.ts';
import type { OperatorConfig } from '../runtime/config.ts';
import type { ControllerSetup, RunnableController } from '../runtime/controller-setup.ts';
import { startHttpServer } from '../runtime/http-server.ts';
import { InformerFactory } from '../runtime/informer-factory.ts';
import { LeaderElector } from '../runtime/leader-election.ts';
import { createRuntimeMetrics, type RuntimeMetrics } from '../runtime/metrics.ts';
import { runShutdownSteps } from '../runtime/shutdown.ts';

export const REPORTING_CONTROLLER = 'lifeboat.dev/operator';

export interface OperatorOptions {
  config: OperatorConfig;
  logger: Logger;
  client: KubeClient;
  controllers: readonly ControllerSetup[];
  clock?: Clock;
  /** Node.js process metrics on /metrics (off in tests that start several operators). */
  processMetrics?: boolean;
}

export interface RunningOperator {
  /** Base URL of /healthz, /readyz, /metrics. */
  readonly httpUrl: string;
  readonly metrics: RuntimeMetrics;
  readonly informers: InformerFactory;
  readonly identity: string;
  /** True while this replica's controllers run. */
  isActing(): boolean;
  /** Settles when the lease was lost: the controllers have been stopped and the process should exit. */
  readonly lostLeadership: Promise<void>;
  /** Stops everything in order; resolves false if a step failed or timed out. */
  stop(): Promise<boolean>;
}

export async function startOperator(options: OperatorOptions): Promise<RunningOperator> {
  const { config, logger, client } = options;
  const clock = options.clock ?? systemClock;
  const identity = config.leaderElection.identity;
  const metrics = createRuntimeMetrics({ processMetrics: options.processMetrics ?? true });
  const informers = new InformerFactory({
    client,
    namespaces: config.watchNamespaces,
    resyncPeriodMs: config.resyncPeriodMs,
    logger,
    clock,
  });
  const events = new EventRecorder(client, { controller: REPORTING_CONTROLLER, instance: identity, logger });
  const context = { config, client, informers, events, metrics, logger, clock };
  const controllers: RunnableController[] = options.controllers.map((setup) => setup(context));

  informers.start();

  let acting = false;
  let stopping = false;
  const stopActing = new AbortController();
  let signalLost: () => void = () => undefined;
  const lostLeadership = new Promise<void>((resolve) => {
    signalLost = resolve;
  });

  const startActing = async (): Promise<void> => {
    try {
      await informers.waitForSync(stopActing.signal);
    } catch {
      return; // stopped or lost the lease before the caches were ready
    }
    if (stopActing.signal.aborted || acting) return;
    acting = true;
    metrics.setLeader(true);
    for (const controller of controllers) controller.start();
    logger.info({ controllers: controllers.map((controller) => controller.kind) }, 'acting as leader');
  };

  const elector = config.leaderElection.enabled
    ? new LeaderElector({
        client,
        namespace: config.leaderElection.leaseNamespace,
        name: config.leaderElection.leaseName,
        identity,
        leaseDurationMs: config.leaderElection.leaseDurationMs,
        renewDeadlineMs: config.leaderElection.renewDeadlineMs,
        retryPeriodMs: config.leaderElection.retryPeriodMs,
        logger,
        clock,
        onStartedLeading: () => void startActing(),
        onStoppedLeading: (reason) => {
          metrics.setLeader(false);
          if (reason !== 'lost' || stopping) return;
          // Another replica may lead as soon as the lease expires: stop now, in-flight
          // reconciles included (their signals abort), and let the process exit.
          acting = false;
          stopActing.abort();
          for (const controller of controllers) void controller.stop(0);
          signalLost();
        },
      })
    : undefined;

  let http;
  try {
    http = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      registry: metrics.registry,
      logger,
      readiness: [
        { name: 'informers-synced', check: () => informers.hasSynced || 'waiting for the first list of every watched kind' },
        { name: 'leader-election', check: () => !elector || elector.isHealthy() || 'cannot reach the lease' },
      ],
    });
  } catch (error) {
    await informers.stop();
    throw error;
  }

  if (elector) elector.start();
  else void startActing();
  logger.info(
    { leaseHolder: identity, leaderElection: config.leaderElection.enabled, namespaces: config.watchNamespaces, http: http.url },
    'operator started',
  );

  const httpServer = http;
  return {
    httpUrl: http.url,
    metrics,
    informers,
    identity,
    isActing: () => acting,
    lostLeadership,
    async stop() {
      if (stopping) return true;
      stopping = true;
      const drainMs = config.shutdownTimeoutMs;
      return runShutdownSteps(
        [
          {
            // First stop acting, then give up the lease: never the other way round.
            name: 'drain controllers',
            timeoutMs: drainMs + 1_000,
            run: async () => {
              stopActing.abort();
              acting = false;
              await Promise.all(controllers.map((controller) => controller.stop(drainMs)));
            },
          },
          { name: 'release the lease', timeoutMs: config.leaderElection.renewDeadlineMs + 1_000, run: async () => elector?.stop({ release: true }) },
          { name: 'stop informers', timeoutMs: 5_000, run: () => informers.stop() },
          { name: 'close the HTTP server', timeoutMs: 5_000, run: () => httpServer.close() },
          { name: 'close API connections', timeoutMs: 2_000, run: () => client.close() },
        ],
        logger,
      ).finally(() => metrics.setLeader(false));
    },
  };
}
