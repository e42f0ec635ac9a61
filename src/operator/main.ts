// The operator process: configuration, logger, API client, then the runtime (src/operator/operator.ts).
// Exit codes: 0 clean shutdown, 1 failure or lost leadership (the pod restarts as a standby),
// 2 invalid configuration.
import { runnerImage } from '../contract/images.ts';
import { KubeClient } from '../kube/client.ts';
import { ConfigError, loadConfig, type OperatorConfig } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { exitOnSignals } from '../runtime/shutdown.ts';
import { packageVersion } from '../runtime/version.ts';
import { controllers } from './controllers.ts';
import { startOperator } from './operator.ts';

function configOrExit(): OperatorConfig {
  try {
    // Without LIFEBOAT_RUNNER_IMAGE, Jobs run the runner image of the operator's own version.
    const version = packageVersion();
    return loadConfig(process.env, version === undefined ? {} : { runnerImage: runnerImage(version) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`lifeboat-operator: ${error.message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger({ level: config.logLevel });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    process.exit(1);
  });

  const client = KubeClient.load();
  const operator = await startOperator({ config, logger, client, controllers });

  exitOnSignals({ logger, shutdown: async () => ((await operator.stop()) ? 0 : 1) });
  void operator.lostLeadership.then(async () => {
    logger.error('lost the leader lease; exiting so that the restarted process joins as a standby');
    await operator.stop();
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`lifeboat-operator: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
