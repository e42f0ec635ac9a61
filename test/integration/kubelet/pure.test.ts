// The process kubelet's pure pieces, table-driven: $(VAR) expansion, path translation,
// quantities, image names and the pod phase. They need no cluster (they sit in the
// integration project only because the unit project covers src/).
import { describe, expect, it } from '@jest/globals';
import { expandVariables } from '../../env/kubelet/expansion.ts';
import { imageKey } from '../../env/kubelet/images.ts';
import { makePathTranslator } from '../../env/kubelet/path-translation.ts';
import { podPhase, type RestartPolicy } from '../../env/kubelet/pod-phase.ts';
import type { ContainerRecord, ContainerState } from '../../env/kubelet/pod-record.ts';
import { divideQuantity } from '../../env/kubelet/quantity.ts';

describe('$(VAR) expansion', () => {
  const variables = new Map([
    ['A', 'alpha'],
    ['EMPTY', ''],
  ]);
  it.each([
    ['$(A)', 'alpha'],
    ['x$(A)y$(A)', 'xalphayalpha'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$', '$'],
    ['$(A', '$(A'],
    ['$A', '$A'],
    ['cost: 5$', 'cost: 5$'],
    ['$(EMPTY)!', '!'],
  ])('%s expands to %s', (input, expected) => {
    expect(expandVariables(input, (name) => variables.get(name))).toBe(expected);
  });
});

describe('path translation', () => {
  const translate = makePathTranslator(
    [
      { containerPath: '/data', hostPath: '/host/vol/data' },
      { containerPath: '/data/cache/', hostPath: '/host/vol/cache' },
      { containerPath: '/dev/termination-log', hostPath: '/host/c/termination-log' },
    ],
    [{ containerPath: '/dev/termination-log', hostPath: '/host/c/termination-log' }],
  );
  it.each([
    ['/data', '/host/vol/data'],
    ['/data/x/y', '/host/vol/data/x/y'],
    ['/data/cache/z', '/host/vol/cache/z'],
    ['/database', '/database'],
    ['relative/data', 'relative/data'],
    ['--out=/data/f', '--out=/host/vol/data/f'],
    ['--result-file', '--result-file'],
    ['/dev/termination-log', '/host/c/termination-log'],
    ['echo ok > /dev/termination-log', 'echo ok > /host/c/termination-log'],
    ['cat /dev/termination-log.old', 'cat /dev/termination-log.old'],
    ['cat /data/x', 'cat /data/x'],
  ])('%s becomes %s', (input, expected) => {
    expect(translate(input)).toBe(expected);
  });

  it('translates a host path only once, even when it starts with a mount path', () => {
    const tmp = makePathTranslator([{ containerPath: '/tmp', hostPath: '/tmp/work/pods/u/volumes/tmp' }]);
    expect(tmp('/tmp/a')).toBe('/tmp/work/pods/u/volumes/tmp/a');
  });
});

describe('resource quantities for resourceFieldRef', () => {
  it.each([
    ['cpu', '500m', '1m', '500'],
    ['cpu', '250m', '1', '1'],
    ['cpu', '2', '1', '2'],
    ['cpu', '100m', '100m', '1'],
    ['memory', '64Mi', '1Mi', '64'],
    ['memory', '1Gi', '1', '1073741824'],
    ['memory', '1G', '1Mi', '954'],
    ['memory', '1e3', '1', '1000'],
  ])('%s %s / %s = %s', (resource, value, divisor, expected) => {
    expect(divideQuantity(resource, value, divisor)).toBe(expected);
  });
});

describe('image keys for the image map', () => {
  it.each([
    ['busybox', 'busybox'],
    ['busybox:1.36', 'busybox'],
    ['ghcr.io/acme/lifeboat-runner:v1', 'lifeboat-runner'],
    ['registry:5000/lifeboat-runner@sha256:abc', 'lifeboat-runner'],
    ['registry:5000/team/lifeboat-runner:v2@sha256:abc', 'lifeboat-runner'],
  ])('%s → %s', (image, key) => {
    expect(imageKey(image)).toBe(key);
  });
});

describe('pod phase', () => {
  const now = new Date();
  const waiting: ContainerState = { kind: 'waiting', reason: 'ContainerCreating' };
  const running: ContainerState = { kind: 'running', startedAt: now, containerID: 'process://1' };
  const exited = (exitCode: number): ContainerState => ({ kind: 'terminated', exitCode, reason: exitCode ? 'Error' : 'Completed', finishedAt: now });
  const c = (state: ContainerState): ContainerRecord => ({ name: 'c', image: 'i', state, restartCount: 0 });

  it.each<[string, RestartPolicy, ContainerState[], ContainerState[], boolean, string]>([
    ['nothing started', 'Never', [], [waiting], false, 'Pending'],
    ['init container running', 'Never', [running], [waiting], false, 'Pending'],
    ['init container failed, Never', 'Never', [exited(1)], [waiting], false, 'Failed'],
    ['init container failed, OnFailure', 'OnFailure', [exited(1)], [waiting], false, 'Pending'],
    ['running', 'Never', [exited(0)], [running], false, 'Running'],
    ['one done, one running', 'Never', [], [exited(0), running], false, 'Running'],
    ['all succeeded', 'Never', [], [exited(0), exited(0)], false, 'Succeeded'],
    ['one failed, Never', 'Never', [], [exited(0), exited(1)], false, 'Failed'],
    ['failed, OnFailure (will restart)', 'OnFailure', [], [exited(1)], false, 'Running'],
    ['exited 0, Always (will restart)', 'Always', [], [exited(0)], false, 'Running'],
    ['exited 0, Always, pod terminal', 'Always', [], [exited(0)], true, 'Succeeded'],
    ['killed, Always, pod terminal', 'Always', [], [exited(143)], true, 'Failed'],
  ])('%s', (_, policy, init, regular, terminal, expected) => {
    expect(podPhase(policy, init.map(c), regular.map(c), terminal)).toBe(expected);
  });
});
