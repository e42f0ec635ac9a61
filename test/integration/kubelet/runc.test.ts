// runc mode: an in-process kubelet on its own cordoned node with an image store holding a tiny
// busybox image (built here with umoci), and lifeboat-runner when `make images` has built it.
// Pods pinned to that node run from their image in their own pid, mount, ipc and uts
// namespaces, with the pod spec applied: command/args over Entrypoint/Cmd, image env under the
// pod's, users, read-only root, volumes, the termination message file, exit codes, SIGTERM
// on deletion. Skipped where runc mode cannot run (not root, no runc, umoci or busybox-static).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { pino } from 'pino';
import { buildRunnerJob } from '../../../src/core/jobs/runner-job.ts';
import { type Kubelet, startKubelet } from '../../env/kubelet/kubelet.ts';
import { imageCacheDir } from '../../env/environment.ts';
import { repoRoot } from '../../env/paths.ts';
import { testEnv } from '../../support/env.ts';
import { waitFor } from '../../support/wait.ts';
import { buildBusyboxImage, canBuildTestImage, type TestImage } from './busybox-image.ts';
import { cluster, createNamespace, deleteNamespace, isFinished, terminatedState, waitForPod } from './cluster.ts';

jest.setTimeout(120_000);

const runcUsable = process.getuid?.() === 0 && canBuildTestImage() && commandWorks('runc', ['--version']);
const runnerLayout = join(repoRoot, 'build/images/lifeboat-runner');
const runnerImages = join(repoRoot, 'build/images/images.json');

const { core } = cluster();
const nodeName = `kubelet-runc-${randomBytes(3).toString('hex')}`;
const workDir = join(testEnv().workDir, nodeName);
const kubeletDir = join(workDir, 'kubelet');
const store = join(workDir, 'images');
const imageCache = imageCacheDir(testEnv().workDir);
let image: TestImage;
let namespace = '';
let kubelet: Kubelet | undefined;

/** The containers runc knows in a state dir. */
function runcList(stateRoot: string): { id: string }[] {
  return (JSON.parse(execFileSync('runc', ['--root', stateRoot, 'list', '--format', 'json'], { encoding: 'utf8' }) || 'null') as { id: string }[] | null) ?? [];
}

function commandWorks(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

(runcUsable ? describe : describe.skip)('the kubelet in runc mode', () => {
  beforeAll(async () => {
    image = await buildBusyboxImage(store, 'busybox-test', '1.0');
    if (existsSync(runnerLayout)) symlinkSync(runnerLayout, join(store, 'lifeboat-runner'));
    namespace = await createNamespace(core, 'kubelet-runc');
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'db' }, stringData: { password: 's3cr3t value' } } });
    kubelet = await startKubelet({
      kubeconfig: testEnv().kubeconfig,
      nodeName,
      workDir: kubeletDir,
      imageStore: store,
      imageCache,
      unschedulable: true,
      logger: pino({ level: 'warn' }),
    });
  });

  afterAll(async () => {
    await core.deleteCollectionNamespacedPod({ namespace }).catch(() => undefined);
    await waitFor(async () => (await core.listNamespacedPod({ namespace })).items.length === 0, {
      what: 'the pods to be deleted',
      timeoutMs: 30_000,
    }).catch(() => undefined);
    await kubelet?.stop();
    await core.deleteNode({ name: nodeName }).catch(() => undefined);
    await deleteNamespace(core, namespace);
  });

  /** A pod of the test image pinned to this kubelet's node. */
  function imagePod(name: string, container: Partial<V1Container> = {}, spec: Partial<V1PodSpec> = {}): V1Pod {
    return {
      metadata: { name, namespace },
      spec: {
        nodeName,
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 5,
        ...spec,
        containers: [{ name: 'main', image: image.reference, ...container }],
      },
    };
  }

  async function runToEnd(pod: V1Pod): Promise<V1Pod> {
    await core.createNamespacedPod({ namespace, body: pod });
    return waitForPod(core, namespace, pod.metadata?.name ?? '', isFinished, 'to finish');
  }

  const waitingReason = (pod: V1Pod) => pod.status?.containerStatuses?.[0]?.state?.waiting;

  describe('command and args', () => {
    it("runs the image's Entrypoint and Cmd as its User in its WorkingDir when the pod names neither", async () => {
      const done = await runToEnd(imagePod('image-defaults'));

      expect(done.status?.phase).toBe('Succeeded');
      expect(terminatedState(done)?.message).toBe('image cmd as 0 in /app');
      expect(done.status?.containerStatuses?.[0]?.containerID).toMatch(/^runc:\/\//);
    });

    it('keeps the Entrypoint and replaces the Cmd with args', async () => {
      const done = await runToEnd(imagePod('args-only', { args: ['printf "%s" "$0 sees $IMAGE_ONLY" > /dev/termination-log'] }));

      expect(terminatedState(done)?.message).toBe('/bin/sh sees from-image');
    });

    it('replaces both with command (+ args), with $(VAR) expansion', async () => {
      const done = await runToEnd(
        imagePod('command', {
          command: ['/bin/echo'],
          args: ['$(WORD)', 'and $$(WORD)'],
          env: [{ name: 'WORD', value: 'expanded' }],
          terminationMessagePolicy: 'FallbackToLogsOnError',
        }),
      );
      const log = readFileSync(join(kubeletDir, 'logs', `${namespace}_command_${done.metadata?.uid}`, 'main', '0.log'), 'utf8');

      expect(log).toBe('expanded and $(WORD)\n');
    });
  });

  it("gives the image env, then the pod's env: secretKeyRef, the downward API, resource limits", async () => {
    // "$$$$": Kubernetes turns $$ into $ in a command, so the shell sees "$$", its own pid.
    const script = 'printf "%s|%s|%s|%s|%s|%s|%s|%s" "$IMAGE_ONLY" "$OVERRIDDEN" "$PASSWORD" "$POD" "$MEM" "$(hostname)" "$$$$" "$PWD" > /dev/termination-log';
    const done = await runToEnd(
      imagePod('env', {
        command: ['sh', '-c', script],
        workingDir: '/tmp',
        env: [
          { name: 'OVERRIDDEN', value: 'by-pod' },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        ],
        resources: { limits: { memory: '64Mi' } },
      }),
    );

    expect(done.status?.phase).toBe('Succeeded');
    // pid 1: the container has its own pid namespace; the hostname is the pod's.
    expect(terminatedState(done)?.message).toBe('from-image|by-pod|s3cr3t value|env|64|env|1|/tmp');
  });

  describe('security context', () => {
    it('runs as runAsUser/runAsGroup with fsGroup and supplementalGroups as extra groups', async () => {
      const done = await runToEnd(
        imagePod(
          'user',
          { command: ['sh', '-c', 'printf "%s %s %s" "$(id -u)" "$(id -g)" "$(id -G)" > /dev/termination-log'] },
          { securityContext: { runAsUser: 4321, runAsGroup: 4322, fsGroup: 2000, supplementalGroups: [3000] } },
        ),
      );

      expect(terminatedState(done)?.message).toBe('4321 4322 4322 2000 3000');
    });

    it("takes a named image user's uid and gid from the image's /etc/passwd", async () => {
      // The image runs as root; "app" is 1000:1001 in its passwd. runAsUser 1000 without a group takes 1001 too.
      const done = await runToEnd(
        imagePod('passwd-user', { command: ['sh', '-c', 'printf "%s:%s" "$(id -u)" "$(id -g)" > /dev/termination-log'], securityContext: { runAsUser: 1000 } }),
      );

      expect(terminatedState(done)?.message).toBe('1000:1001');
    });

    it('refuses runAsNonRoot when the image would run as root', async () => {
      await core.createNamespacedPod({ namespace, body: imagePod('nonroot', {}, { securityContext: { runAsNonRoot: true } }) });

      const blocked = await waitForPod(core, namespace, 'nonroot', (p) => waitingReason(p)?.reason === 'CreateContainerConfigError', 'to be refused');

      expect(waitingReason(blocked)?.message).toMatch(/^container has runAsNonRoot and image will run as root \(pod: "nonroot_kubelet-runc-\w+\(.+\)", container: main\)$/);
      expect(blocked.status?.phase).toBe('Pending');
    });

    it('keeps a read-only root read-only, with an emptyDir writable and no capabilities after drop ALL', async () => {
      const script = [
        'touch /app/new 2>/dev/null && root=writable || root=read-only',
        'echo data > /scratch/file && scratch=$(cat /scratch/file)',
        'printf "%s|%s|%s" "$root" "$scratch" "$(grep Cap[EB] /proc/self/status | tr -s "\\t\\n" "  ")" > /dev/termination-log',
      ].join('\n');
      const done = await runToEnd(
        imagePod(
          'read-only',
          {
            command: ['sh', '-c', script],
            volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
            securityContext: { readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false },
          },
          { volumes: [{ name: 'scratch', emptyDir: {} }] },
        ),
      );

      expect(terminatedState(done)?.message).toBe('read-only|data|CapEff: 0000000000000000 CapBnd: 0000000000000000 ');
    });

    it('gives a writable root of its own to each instance when the root is not read-only', async () => {
      const done = await runToEnd(imagePod('writable', { command: ['sh', '-c', 'echo changed > /app/greeting && cat /app/greeting > /dev/termination-log'] }));
      const again = await runToEnd(imagePod('writable-again', { command: ['sh', '-c', 'cat /app/greeting > /dev/termination-log'] }));

      expect(terminatedState(done)?.message).toBe('changed\n');
      expect(terminatedState(again)?.message).toBe('from the image\n');
    });
  });

  it('shares an emptyDir between an init container and the container, through subPath too', async () => {
    const pod = imagePod(
      'shared',
      { command: ['sh', '-c', 'cat /shared/from-init /sub/inside > /dev/termination-log'], volumeMounts: [{ name: 'shared', mountPath: '/shared' }, { name: 'shared', mountPath: '/sub', subPath: 'dir' }] },
      {
        volumes: [{ name: 'shared', emptyDir: {} }],
        initContainers: [
          {
            name: 'init',
            image: image.reference,
            command: ['sh', '-c', 'echo one > /shared/from-init && mkdir -p /shared/dir && echo two > /shared/dir/inside'],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
        ],
      },
    );
    const done = await runToEnd(pod);

    expect(terminatedState(done)?.message).toBe('one\ntwo\n');
  });

  it('reports exit codes, a custom terminationMessagePath and a StartError for a missing executable', async () => {
    const failed = await runToEnd(imagePod('exit-7', { command: ['sh', '-c', 'echo why > /run-result; exit 7'], terminationMessagePath: '/run-result' }));
    const missing = await runToEnd(imagePod('missing', { command: ['/bin/no-such-program'] }));

    expect(terminatedState(failed)).toMatchObject({ exitCode: 7, reason: 'Error', message: 'why\n' });
    expect(terminatedState(missing)).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(terminatedState(missing)?.message).toContain('no-such-program');
  });

  it('sends SIGTERM on deletion, then SIGKILL after the grace period (137)', async () => {
    const hold = ['lifeboat.dev/test-hold'];
    const polite = imagePod('polite', { command: ['sh', '-c', "trap 'printf stopped > /dev/termination-log; exit 0' TERM; while true; do sleep 0.1; done"] });
    const stubborn = imagePod('stubborn', { command: ['sh', '-c', 'while true; do sleep 0.1; done'] }, { terminationGracePeriodSeconds: 1 });
    for (const pod of [polite, stubborn]) {
      await core.createNamespacedPod({ namespace, body: { ...pod, metadata: { ...pod.metadata, finalizers: hold } } });
    }
    for (const name of ['polite', 'stubborn']) {
      await waitForPod(core, namespace, name, (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined, 'to run');
      await core.deleteNamespacedPod({ name, namespace });
    }
    const finalState = async (name: string) =>
      terminatedState(await waitForPod(core, namespace, name, (p) => terminatedState(p) !== undefined, 'to be terminated'));
    const [politeEnd, stubbornEnd] = [await finalState('polite'), await finalState('stubborn')];
    for (const name of ['polite', 'stubborn']) {
      await core.patchNamespacedPod({ name, namespace, body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    }

    expect(politeEnd).toMatchObject({ exitCode: 0, message: 'stopped' });
    expect(stubbornEnd).toMatchObject({ exitCode: 137, reason: 'Error' });
  });

  it('ends a container at activeDeadlineSeconds', async () => {
    const done = await runToEnd(imagePod('deadline', { command: ['sleep', '600'] }, { activeDeadlineSeconds: 2, terminationGracePeriodSeconds: 1 }));

    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    expect(terminatedState(done)?.exitCode).toBe(137);
  });

  it('removes the runc containers of a kubelet that died, when the next one starts on its work dir', async () => {
    const crashNode = `${nodeName}-crash`;
    const crashDir = join(workDir, 'crash');
    const stateRoot = join(crashDir, 'runc');
    const args = [join(repoRoot, 'test/env/kubelet/main.ts'), '--kubeconfig', testEnv().kubeconfig, '--node-name', crashNode, '--work-dir', crashDir, '--image-store', store, '--image-cache', imageCache, '--unschedulable', '--log-level', 'warn'];
    const first = spawn(process.execPath, args, { stdio: 'ignore' });
    let second: Kubelet | undefined;
    try {
      const pod = imagePod('left-behind', { command: ['sleep', '600'] });
      await core.createNamespacedPod({ namespace, body: { ...pod, spec: { ...pod.spec!, nodeName: crashNode } } });
      await waitForPod(core, namespace, 'left-behind', (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined, 'to run', 90_000);
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      expect(runcList(stateRoot)).toHaveLength(1);

      second = await startKubelet({ kubeconfig: testEnv().kubeconfig, nodeName: crashNode, workDir: crashDir, imageStore: store, imageCache, unschedulable: true, logger: pino({ level: 'silent' }) });
      const lost = await waitForPod(core, namespace, 'left-behind', isFinished, 'to be marked failed');

      expect(runcList(stateRoot)).toHaveLength(0);
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(crashDir);
      expect(lost.status?.phase).toBe('Failed');
      expect(terminatedState(lost)).toMatchObject({ exitCode: 137, reason: 'ContainerStatusUnknown' });
    } finally {
      first.kill('SIGKILL');
      await core.deleteNamespacedPod({ name: 'left-behind', namespace }).catch(() => undefined);
      await waitFor(async () => (await core.listNamespacedPod({ namespace, fieldSelector: 'metadata.name=left-behind' })).items.length === 0, {
        what: 'left-behind to be deleted',
        timeoutMs: 30_000,
      }).catch(() => undefined);
      await second?.stop();
      await core.deleteNode({ name: crashNode }).catch(() => undefined);
    }
  });

  describe('images', () => {
    it('keeps a container waiting with ErrImageNeverPull for a tag or an image the store lacks', async () => {
      await core.createNamespacedPod({ namespace, body: imagePod('absent-tag', { image: `${image.reference.split(':')[0]}:2.0` }) });
      await core.createNamespacedPod({ namespace, body: imagePod('absent-image', { image: 'registry.example.com/test/absent:1' }) });

      const tag = await waitForPod(core, namespace, 'absent-tag', (p) => waitingReason(p)?.reason === 'ErrImageNeverPull', 'to wait for its image');
      const absent = await waitForPod(core, namespace, 'absent-image', (p) => waitingReason(p)?.reason === 'ErrImageNeverPull', 'to wait for its image');

      expect(waitingReason(tag)?.message).toContain('has tags 1.0, not "2.0"');
      expect(waitingReason(absent)?.message).toContain('no "absent" in the image store');
    });

    it('runs a container with a command whose image is not in the store as a host process', async () => {
      const done = await runToEnd(imagePod('host-process', { image: 'busybox:1.36', command: ['sh', '-c', 'printf ok > /dev/termination-log'] }));

      expect(done.status?.containerStatuses?.[0]?.containerID).toMatch(/^process:\/\//);
      expect(terminatedState(done)?.message).toBe('ok');
    });

    (existsSync(runnerLayout) ? it : it.skip)("runs a runner Job's pod from the lifeboat-runner image", async () => {
      const built = Object.values(JSON.parse(readFileSync(runnerImages, 'utf8')) as Record<string, { reference: string }>);
      const reference = built.map((b) => b.reference).find((r) => r.includes('/lifeboat-runner:')) ?? 'lifeboat-runner:latest';
      const job = buildRunnerJob(
        {
          name: 'runner',
          namespace,
          owner: { kind: 'ConfigMap', name: 'owner', uid: '00000000-0000-0000-0000-000000000000' },
          labels: {},
          subcommand: 'no-such-subcommand',
          task: {},
          credentials: [{ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
        },
        { image: reference },
      );
      const spec = job.spec?.template.spec as V1PodSpec;
      const done = await runToEnd({ metadata: { name: 'runner', namespace }, spec: { ...spec, nodeName } });

      // The runner's usage error (exit 2) reaches the status through FallbackToLogsOnError.
      expect(terminatedState(done, 'runner')).toMatchObject({ exitCode: 2, reason: 'Error' });
      expect(terminatedState(done, 'runner')?.message).toContain('unknown subcommand no-such-subcommand');
      expect(done.status?.containerStatuses?.[0]?.containerID).toMatch(/^runc:\/\//);
    });
  });
});
