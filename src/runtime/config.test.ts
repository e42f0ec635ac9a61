import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.ts';

const minimal = { LIFEBOAT_RUNNER_IMAGE: 'lifeboat-runner:dev', POD_NAMESPACE: 'lifeboat-system' };
const defaults = { hostname: 'host-1', instanceSuffix: 'abcd' };

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env, defaults);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills every default from a minimal environment', () => {
    expect(loadConfig(minimal, defaults)).toEqual({
      watchNamespaces: 'all',
      workers: 2,
      resyncPeriodMs: 600_000,
      leaderElection: {
        enabled: true,
        leaseName: 'lifeboat-operator',
        leaseNamespace: 'lifeboat-system',
        identity: 'host-1_abcd',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      },
      http: { host: '0.0.0.0', port: 8080 },
      logLevel: 'info',
      runnerImage: 'lifeboat-runner:dev',
      shutdownTimeoutMs: 25_000,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        ...minimal,
        LIFEBOAT_WATCH_NAMESPACES: 'team-a, team-b,team-a',
        LIFEBOAT_WORKERS: '4',
        LIFEBOAT_RESYNC_PERIOD_SECONDS: '60',
        LIFEBOAT_LEADER_ELECTION: 'false',
        LIFEBOAT_LEASE_NAME: 'lb',
        LIFEBOAT_LEASE_NAMESPACE: 'elsewhere',
        LIFEBOAT_LEASE_DURATION_SECONDS: '30',
        LIFEBOAT_RENEW_DEADLINE_SECONDS: '20',
        LIFEBOAT_RETRY_PERIOD_SECONDS: '5',
        POD_NAME: 'lifeboat-7d9-x2',
        LIFEBOAT_HTTP_HOST: '127.0.0.1',
        LIFEBOAT_HTTP_PORT: '9090',
        LIFEBOAT_LOG_LEVEL: 'debug',
        LIFEBOAT_SHUTDOWN_TIMEOUT_SECONDS: '50',
      },
      defaults,
    );
    expect(config).toMatchObject({
      watchNamespaces: ['team-a', 'team-b'],
      workers: 4,
      resyncPeriodMs: 60_000,
      leaderElection: {
        enabled: false,
        leaseName: 'lb',
        leaseNamespace: 'elsewhere',
        identity: 'lifeboat-7d9-x2_abcd',
        leaseDurationMs: 30_000,
        renewDeadlineMs: 20_000,
        retryPeriodMs: 5_000,
      },
      http: { host: '127.0.0.1', port: 9090 },
      logLevel: 'debug',
      shutdownTimeoutMs: 50_000,
    });
  });

  it('treats "*" and an empty variable as all namespaces', () => {
    expect(loadConfig({ ...minimal, LIFEBOAT_WATCH_NAMESPACES: '*' }, defaults).watchNamespaces).toBe('all');
    expect(loadConfig({ ...minimal, LIFEBOAT_WATCH_NAMESPACES: '' }, defaults).watchNamespaces).toBe('all');
  });

  it.each([
    [{ LIFEBOAT_RUNNER_IMAGE: '' }, 'LIFEBOAT_RUNNER_IMAGE: is required'],
    [{ LIFEBOAT_WORKERS: 'many' }, 'LIFEBOAT_WORKERS: must be a whole number (got "many")'],
    [{ LIFEBOAT_WORKERS: '0' }, 'LIFEBOAT_WORKERS: must be at least 1 (got "0")'],
    [{ LIFEBOAT_HTTP_PORT: '70000' }, 'LIFEBOAT_HTTP_PORT: must be at most 65535'],
    [{ LIFEBOAT_LEADER_ELECTION: 'maybe' }, 'LIFEBOAT_LEADER_ELECTION: must be true or false'],
    [{ LIFEBOAT_LOG_LEVEL: 'verbose' }, 'LIFEBOAT_LOG_LEVEL: must be one of fatal, error'],
    [{ LIFEBOAT_WATCH_NAMESPACES: 'Team_A' }, 'LIFEBOAT_WATCH_NAMESPACES: must be a namespace name (lower-case letters, digits, -) (got "Team_A")'],
    [{ LIFEBOAT_RENEW_DEADLINE_SECONDS: '15' }, 'LIFEBOAT_RENEW_DEADLINE_SECONDS: must be less than LIFEBOAT_LEASE_DURATION_SECONDS (15)'],
    [{ LIFEBOAT_RETRY_PERIOD_SECONDS: '10' }, 'LIFEBOAT_RETRY_PERIOD_SECONDS: must be less than LIFEBOAT_RENEW_DEADLINE_SECONDS (10)'],
    [{ POD_NAMESPACE: '' }, 'LIFEBOAT_LEASE_NAMESPACE: is required with leader election'],
  ])('rejects %j naming the variable', (override, message) => {
    expect(errorOf({ ...minimal, ...override })).toContain(message);
  });

  it('lists every bad variable at once (the cross-variable checks follow once each value is valid)', () => {
    const message = errorOf({ LIFEBOAT_WORKERS: 'x', LIFEBOAT_LOG_LEVEL: 'loud' });
    expect(message).toMatch(/^invalid operator configuration:\n/);
    for (const variable of ['LIFEBOAT_WORKERS', 'LIFEBOAT_LOG_LEVEL', 'LIFEBOAT_RUNNER_IMAGE']) {
      expect(message).toContain(`  ${variable}: `);
    }
  });

  it('defaults the runner image to the one the operator passes (its own version), which the variable overrides', () => {
    const defaultImage = { ...defaults, runnerImage: 'ghcr.io/lifeboat-dev/lifeboat-runner:0.1.0' };
    expect(loadConfig({ POD_NAMESPACE: 'lifeboat-system' }, defaultImage).runnerImage).toBe('ghcr.io/lifeboat-dev/lifeboat-runner:0.1.0');
    expect(loadConfig({ POD_NAMESPACE: 'lifeboat-system', LIFEBOAT_RUNNER_IMAGE: '' }, defaultImage).runnerImage).toBe('ghcr.io/lifeboat-dev/lifeboat-runner:0.1.0');
    expect(loadConfig({ ...minimal, LIFEBOAT_RUNNER_IMAGE: ' registry.local/runner:pinned ' }, defaultImage).runnerImage).toBe('registry.local/runner:pinned');
  });

  it('requires the runner image when there is no default (the operator\'s version unknown)', () => {
    expect(errorOf({ POD_NAMESPACE: 'lifeboat-system' })).toBe(
      'invalid operator configuration:\n  LIFEBOAT_RUNNER_IMAGE: is required: the lifeboat-runner image that backup and restore Jobs run',
    );
  });

  it('needs no lease namespace without leader election', () => {
    const config = loadConfig({ LIFEBOAT_RUNNER_IMAGE: 'r', LIFEBOAT_LEADER_ELECTION: 'false' }, defaults);
    expect(config.leaderElection.enabled).toBe(false);
  });
});
