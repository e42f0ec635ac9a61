// The process kubelet's pure pieces, table-driven: $(VAR) expansion, path translation,
// quantities, image names and the pod phase, and runc mode's argv, env and capabilities. They
// need no cluster (they sit in the integration project only because the unit project covers
// src/).
import { describe, expect, it } from '@jest/globals';
import { expandVariables } from '../../env/kubelet/expansion.ts';
import { imageKey } from '../../env/kubelet/images.ts';
import { makePathTranslator } from '../../env/kubelet/path-translation.ts';
import { podPhase, type RestartPolicy } from '../../env/kubelet/pod-phase.ts';
import type { ContainerRecord, ContainerState } from '../../env/kubelet/pod-record.ts';
import { divideQuantity } from '../../env/kubelet/quantity.ts';
import { imageTag } from '../../env/kubelet/oci-image.ts';
import { containerEnv, runcArgv } from '../../env/kubelet/runc-launch.ts';
import { containerCapabilities } from '../../env/kubelet/runc-spec.ts';

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

describe('runc mode: argv from command/args over the image Entrypoint/Cmd', () => {
  const image = { Entrypoint: ['/entry'], Cmd: ['default-cmd'] };
  const variables = new Map([['NAME', 'x']]);
  it.each<[string, { command?: string[]; args?: string[] }, { Entrypoint?: string[]; Cmd?: string[] }, string[]]>([
    ['neither', {}, image, ['/entry', 'default-cmd']],
    ['args only', { args: ['a', '$(NAME)'] }, image, ['/entry', 'a', 'x']],
    ['command only', { command: ['/bin/other'] }, image, ['/bin/other']],
    ['command and args', { command: ['/bin/other', '$(NAME)'], args: ['$$(NAME)'] }, image, ['/bin/other', 'x', '$(NAME)']],
    ['no Entrypoint', {}, { Cmd: ['/bin/sh'] }, ['/bin/sh']],
    ['no Entrypoint, args', { args: ['/bin/true'] }, { Cmd: ['/bin/sh'] }, ['/bin/true']],
  ])('%s', (_, container, config, expected) => {
    expect(runcArgv({ name: 'c', ...container }, config, variables)).toEqual(expected);
  });

  it('refuses a container with nothing to run', () => {
    expect(() => runcArgv({ name: 'c' }, {}, variables)).toThrow('no command, and its image no Entrypoint or Cmd');
  });
});

describe('runc mode: env, capabilities and image tags', () => {
  it('puts the pod env over the image env and defaults PATH', () => {
    expect(containerEnv(['A=image', 'B=image=with=equals'], new Map([['A', 'pod']]), 'host')).toEqual([
      'A=pod',
      'B=image=with=equals',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOSTNAME=host',
    ]);
  });

  it.each<[string, { add?: string[]; drop?: string[] } | undefined, (caps: string[]) => boolean]>([
    ['default', undefined, (caps) => caps.length === 14 && caps.includes('CAP_CHOWN') && !caps.includes('CAP_SYS_ADMIN')],
    ['drop ALL', { drop: ['ALL'] }, (caps) => caps.length === 0],
    ['drop ALL, add one', { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, (caps) => caps.join() === 'CAP_NET_BIND_SERVICE'],
    ['drop one', { drop: ['CHOWN', 'CAP_KILL'] }, (caps) => caps.length === 12 && !caps.includes('CAP_CHOWN') && !caps.includes('CAP_KILL')],
    ['add ALL', { add: ['ALL'] }, (caps) => caps.includes('CAP_SYS_ADMIN')],
  ])('capabilities: %s', (_, capabilities, check) => {
    expect(check(containerCapabilities(capabilities, false))).toBe(true);
  });

  it.each([
    ['ghcr.io/lifeboat-dev/lifeboat-runner:0.1.0', '0.1.0'],
    ['lifeboat-runner', 'latest'],
    ['localhost:5000/runner', 'latest'],
    ['localhost:5000/runner:v2@sha256:abc', 'v2'],
  ])('%s has tag %s', (image, tag) => {
    expect(imageTag(image)).toBe(tag);
  });
});
