import { describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { JOBS, NAMESPACES } from '../kube/resource-type.ts';
import type { KubeObject } from '../kube/types.ts';
import { InformerFactory, type ListWatchProvider } from './informer-factory.ts';
import { ScriptedSource } from './testing/scripted-source.ts';

function recordingProvider() {
  const requested: Array<{ plural: string; namespace: string | undefined; labelSelector: string | undefined }> = [];
  const provider = {
    listWatch: (type: { plural: string }, options: { namespace?: string; labelSelector?: string } = {}) => {
      requested.push({ plural: type.plural, namespace: options.namespace, labelSelector: options.labelSelector });
      return new ScriptedSource<KubeObject>();
    },
  } as unknown as ListWatchProvider;
  return { provider, requested };
}

describe('InformerFactory', () => {
  it('shares one informer per kind and label selector', () => {
    const { provider, requested } = recordingProvider();
    const factory = new InformerFactory({ client: provider, namespaces: 'all', resyncPeriodMs: 0, logger: pino({ level: 'silent' }) });
    const first = factory.informerFor(JOBS, { labelSelector: 'app=lifeboat' });
    expect(factory.informerFor(JOBS, { labelSelector: 'app=lifeboat' })).toBe(first);
    expect(factory.informerFor(JOBS)).not.toBe(first);
    expect(requested).toEqual([
      { plural: 'jobs', namespace: undefined, labelSelector: 'app=lifeboat' },
      { plural: 'jobs', namespace: undefined, labelSelector: undefined },
    ]);
  });

  it('watches each configured namespace, and cluster-scoped kinds cluster-wide', () => {
    const { provider, requested } = recordingProvider();
    const factory = new InformerFactory({ client: provider, namespaces: ['team-a', 'team-b'], resyncPeriodMs: 0, logger: pino({ level: 'silent' }) });
    factory.informerFor(JOBS);
    factory.informerFor(NAMESPACES);
    expect(requested).toEqual([
      { plural: 'jobs', namespace: 'team-a', labelSelector: undefined },
      { plural: 'jobs', namespace: 'team-b', labelSelector: undefined },
      { plural: 'namespaces', namespace: undefined, labelSelector: undefined },
    ]);
  });
});
