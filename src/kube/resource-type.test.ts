import { describe, expect, it } from '@jest/globals';
import { apiVersionOf, collectionPath, CONFIG_MAPS, JOBS, LEASES, NAMESPACES, objectPath, type ResourceType } from './resource-type.ts';

const SCHEDULES: ResourceType = { group: 'lifeboat.dev', version: 'v1alpha1', kind: 'BackupSchedule', plural: 'backupschedules', namespaced: true };

describe('resource paths', () => {
  it.each([
    [CONFIG_MAPS, 'ns', '/api/v1/namespaces/ns/configmaps'],
    [CONFIG_MAPS, undefined, '/api/v1/configmaps'],
    [JOBS, 'ns', '/apis/batch/v1/namespaces/ns/jobs'],
    [SCHEDULES, undefined, '/apis/lifeboat.dev/v1alpha1/backupschedules'],
    [NAMESPACES, 'ignored', '/api/v1/namespaces'],
  ])('collection of %j in %s is %s', (type, namespace, path) => {
    expect(collectionPath(type, namespace)).toBe(path);
  });

  it('addresses one object and its status subresource', () => {
    expect(objectPath(SCHEDULES, 'team-a', 'nightly', 'status')).toBe('/apis/lifeboat.dev/v1alpha1/namespaces/team-a/backupschedules/nightly/status');
    expect(objectPath(LEASES, 'kube-system', 'lifeboat')).toBe('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/lifeboat');
    expect(objectPath(NAMESPACES, undefined, 'team-a')).toBe('/api/v1/namespaces/team-a');
  });

  it('refuses a namespaced object without a namespace rather than guessing one', () => {
    expect(() => objectPath(JOBS, undefined, 'x')).toThrow('Job is namespaced');
  });

  it('escapes names', () => {
    expect(objectPath(CONFIG_MAPS, 'ns', 'a/b')).toBe('/api/v1/namespaces/ns/configmaps/a%2Fb');
  });

  it('writes apiVersion without a group for the core group', () => {
    expect([apiVersionOf(CONFIG_MAPS), apiVersionOf(JOBS), apiVersionOf(SCHEDULES)]).toEqual(['v1', 'batch/v1', 'lifeboat.dev/v1alpha1']);
  });
});
