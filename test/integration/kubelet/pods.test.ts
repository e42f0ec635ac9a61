// Pods run by the process kubelet: environment from Secrets, ConfigMaps and the downward API,
// blocked starts, volumes, users, restart policies, deadlines and logs.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { testEnv } from '../../support/env.ts';
import {
  cluster,
  createNamespace,
  deleteNamespace,
  isFinished,
  kubectl,
  shellPod,
  terminatedState,
  waitForPod,
} from './cluster.ts';

// Waits on controllers take longer than Jest's default 5s (a testTimeout inside `projects` is ignored).
jest.setTimeout(120_000);

const { core } = cluster();
let namespace = '';

beforeAll(async () => {
  namespace = await createNamespace(core, 'kubelet-pods');
});

afterAll(async () => {
  await deleteNamespace(core, namespace);
});

describe('a pod run by the process kubelet', () => {
  it('gets env from secretKeyRef, configMapKeyRef, envFrom, the downward API and $(VAR) expansion', async () => {
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'db' }, stringData: { password: 's3cr3t value' } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { mode: 'fast', level: '7' } } });
    const pod = shellPod(namespace, 'env', 'printf "%s|%s|%s|%s|%s|%s|%s" "$PASSWORD" "$MODE" "$CFG_level" "$POD" "$NODE" "$GREETING" "$MEM" > /dev/termination-log', {
      container: {
        env: [
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
          { name: 'ABSENT', valueFrom: { secretKeyRef: { name: 'no-such-secret', key: 'x', optional: true } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'GREETING', value: 'hi $(POD) $$(POD) $(UNDEFINED)' },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        ],
        envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings' } }],
        resources: { limits: { memory: '64Mi' } },
      },
    });
    await core.createNamespacedPod({ namespace, body: pod });

    const done = await waitForPod(core, namespace, 'env', isFinished, 'to finish');

    expect(done.status?.phase).toBe('Succeeded');
    expect(terminatedState(done)?.message).toBe(
      `s3cr3t value|fast|7|env|${testEnv().nodeName}|hi env $(POD) $(UNDEFINED)|64`,
    );
  });

  it('keeps a container waiting with CreateContainerConfigError while its Secret is missing, then runs it', async () => {
    const pod = shellPod(namespace, 'blocked', 'printf "%s" "$TOKEN" > /dev/termination-log', {
      container: { env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'late', key: 'token' } } }] },
    });
    await core.createNamespacedPod({ namespace, body: pod });

    const blocked = await waitForPod(
      core,
      namespace,
      'blocked',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError',
      'to wait with CreateContainerConfigError',
    );
    expect(blocked.status?.phase).toBe('Pending');
    expect(blocked.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe('secret "late" not found');

    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'late' }, stringData: { token: 'arrived' } } });
    const done = await waitForPod(core, namespace, 'blocked', isFinished, 'to run once the Secret exists');
    expect(done.status?.phase).toBe('Succeeded');
    expect(terminatedState(done)?.message).toBe('arrived');
  });

  it('mounts secret, configMap and service account token volumes at translated paths', async () => {
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'files' }, stringData: { 'tls.key': 'KEY', other: 'x' } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'conf' }, data: { 'app.conf': 'debug=true' } } });
    const pod = shellPod(
      namespace,
      'volumes',
      [
        'set -e',
        'key=$(cat "$1/keys/server.key")',
        'mode=$(stat -c %a "$1/keys/server.key")',
        'conf=$(cat "$CONF_DIR/app.conf")',
        'ns=$(cat "$2/namespace")',
        'token=$(cat "$2/token")',
        'echo scratch > "$3/file"',
        'printf "%s|%s|%s|%s|%s|%s" "$key" "$mode" "$conf" "$ns" "$(echo "$token" | tr . "\\n" | wc -l)" "$(cat "$3/file")" > /dev/termination-log',
      ].join('\n'),
      {
        args: ['/etc/secret', '/var/run/secrets/kubernetes.io/serviceaccount', '/scratch'],
        container: {
          env: [{ name: 'CONF_DIR', value: '/etc/conf' }],
          volumeMounts: [
            { name: 'secret', mountPath: '/etc/secret' },
            { name: 'conf', mountPath: '/etc/conf' },
            { name: 'scratch', mountPath: '/scratch' },
          ],
        },
        spec: {
          volumes: [
            { name: 'secret', secret: { secretName: 'files', items: [{ key: 'tls.key', path: 'keys/server.key' }], defaultMode: 0o600 } },
            { name: 'conf', configMap: { name: 'conf' } },
            { name: 'scratch', emptyDir: {} },
          ],
        },
      },
    );
    await core.createNamespacedPod({ namespace, body: pod });

    const done = await waitForPod(core, namespace, 'volumes', isFinished, 'to finish');

    expect(terminatedState(done)?.message).toBe(`KEY|600|debug=true|${namespace}|3|scratch`);
    expect(done.status?.phase).toBe('Succeeded');
  });

  it('runs the process as runAsUser/runAsGroup', async () => {
    const pod = shellPod(namespace, 'user', 'echo written > "$1/by-user" && printf "%s %s" "$(id -u)" "$(id -g)" > /dev/termination-log', {
      args: ['/work'],
      container: { volumeMounts: [{ name: 'work', mountPath: '/work' }] },
      spec: { securityContext: { runAsUser: 4321, runAsGroup: 4322 }, volumes: [{ name: 'work', emptyDir: {} }] },
    });
    await core.createNamespacedPod({ namespace, body: pod });

    const done = await waitForPod(core, namespace, 'user', isFinished, 'to finish');

    const kubeletIsRoot = process.getuid?.() === 0;
    const expected = kubeletIsRoot ? '4321 4322' : `${process.getuid?.()} ${process.getgid?.()}`;
    expect(terminatedState(done)?.message).toBe(expected);
    expect(done.status?.phase).toBe('Succeeded');
  });

  it('refuses runAsNonRoot with runAsUser 0', async () => {
    const pod = shellPod(namespace, 'nonroot', 'true', {
      spec: { securityContext: { runAsNonRoot: true, runAsUser: 0 } },
    });
    await core.createNamespacedPod({ namespace, body: pod });

    const blocked = await waitForPod(
      core,
      namespace,
      'nonroot',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError',
      'to be refused',
    );
    expect(blocked.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain('breaks non-root policy');
  });

  it('keeps an image with no command and no image map entry waiting (CreateContainerError; ErrImageNeverPull in runc mode)', async () => {
    await core.createNamespacedPod({
      namespace,
      body: { metadata: { name: 'unmapped', namespace }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'example.com/team/unmapped-image:1.0' }] } },
    });

    const blocked = await waitForPod(
      core,
      namespace,
      'unmapped',
      (p) => ['CreateContainerError', 'ErrImageNeverPull'].includes(p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? ''),
      'to wait with CreateContainerError or ErrImageNeverPull',
    );
    expect(blocked.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain('"unmapped-image"');
  });

  it('restarts a failed container in place with restartPolicy OnFailure', async () => {
    const pod = shellPod(namespace, 'flaky', 'if [ -e "$1/tried" ]; then echo "second run"; exit 0; fi; touch "$1/tried"; echo "first run"; echo "first attempt" > /dev/termination-log; exit 3', {
      args: ['/state'],
      container: { volumeMounts: [{ name: 'state', mountPath: '/state' }] },
      spec: { restartPolicy: 'OnFailure', volumes: [{ name: 'state', emptyDir: {} }] },
    });
    await core.createNamespacedPod({ namespace, body: pod });

    const done = await waitForPod(core, namespace, 'flaky', isFinished, 'to finish after a restart');

    const status = done.status?.containerStatuses?.[0];
    expect(done.status?.phase).toBe('Succeeded');
    expect(status?.restartCount).toBe(1);
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error', message: 'first attempt\n' });
    expect(status?.state?.terminated?.exitCode).toBe(0);
    expect(await kubectl(['logs', '-n', namespace, 'flaky', '--previous'])).toBe('first run\n');
    expect(await kubectl(['logs', '-n', namespace, 'flaky'])).toBe('second run\n');
  });

  it('runs init containers in order before the containers', async () => {
    const pod = shellPod(namespace, 'init', 'cat "$1/order" > /dev/termination-log; echo main >> "$1/order"', {
      args: ['/shared'],
      container: { volumeMounts: [{ name: 'shared', mountPath: '/shared' }] },
      spec: {
        volumes: [{ name: 'shared', emptyDir: {} }],
        initContainers: ['first', 'second'].map((name) => ({
          name,
          image: 'busybox:1.36',
          command: ['sh', '-c', `echo ${name} >> "$1/order"`, 'sh', '/shared'],
          volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
        })),
      },
    });
    await core.createNamespacedPod({ namespace, body: pod });

    const done = await waitForPod(core, namespace, 'init', isFinished, 'to finish');

    expect(terminatedState(done)?.message).toBe('first\nsecond\n');
    expect(done.status?.initContainerStatuses?.map((s) => s.state?.terminated?.exitCode)).toEqual([0, 0]);
    expect(done.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
  });

  it('fails a pod that outlives activeDeadlineSeconds with DeadlineExceeded', async () => {
    const pod = shellPod(namespace, 'deadline', 'sleep 600', { spec: { activeDeadlineSeconds: 2 } });
    await core.createNamespacedPod({ namespace, body: pod });

    const done = await waitForPod(core, namespace, 'deadline', isFinished, 'to be stopped at its deadline', 30_000);

    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.reason).toBe('DeadlineExceeded');
    expect(terminatedState(done)?.exitCode).toBe(143);
  });

  it('uses the log tail as termination message with FallbackToLogsOnError', async () => {
    const pod = shellPod(namespace, 'fallback', 'for i in $(seq 1 100); do echo "line $i"; done; exit 2', {
      container: { terminationMessagePolicy: 'FallbackToLogsOnError' },
    });
    await core.createNamespacedPod({ namespace, body: pod });

    const done = await waitForPod(core, namespace, 'fallback', isFinished, 'to finish');

    const message = terminatedState(done)?.message ?? '';
    expect(message.split('\n').filter(Boolean)).toHaveLength(80);
    expect(message.startsWith('line 21\n')).toBe(true);
    expect(message.endsWith('line 100\n')).toBe(true);
  });

  it('serves its logs to kubectl logs, with --tail', async () => {
    const pod = shellPod(namespace, 'logs', 'for i in 1 2 3 4 5; do echo "log line $i"; done; echo "to stderr" >&2');
    await core.createNamespacedPod({ namespace, body: pod });
    await waitForPod(core, namespace, 'logs', isFinished, 'to finish');

    const all = await kubectl(['logs', '-n', namespace, 'logs']);
    const tail = await kubectl(['logs', '-n', namespace, 'logs', '--tail=2']);

    expect(all).toBe('log line 1\nlog line 2\nlog line 3\nlog line 4\nlog line 5\nto stderr\n');
    expect(tail).toBe('log line 5\nto stderr\n');
  });

  it('streams the logs of a running container with kubectl logs --follow until it exits', async () => {
    const pod = shellPod(namespace, 'follow', 'for i in 1 2 3; do echo "tick $i"; sleep 1; done');
    await core.createNamespacedPod({ namespace, body: pod });
    await waitForPod(core, namespace, 'follow', (p) => p.status?.phase === 'Running', 'to run');

    const followed = await kubectl(['logs', '-n', namespace, 'follow', '--follow']);

    expect(followed).toBe('tick 1\ntick 2\ntick 3\n');
  });
});
