import { describe, expect, it } from '@jest/globals';
import { KubeApiError } from '../kube/errors.ts';
import { ConflictError, errorKindOf, PermanentError, TemporaryError } from './errors.ts';

describe('errorKindOf', () => {
  it.each([
    ['a TemporaryError', new TemporaryError('S3 unreachable'), 'temporary'],
    ['a PermanentError', new PermanentError('spec.sources is empty'), 'permanent'],
    ['a ConflictError', new ConflictError('stale'), 'conflict'],
    ['a 503 from the API', KubeApiError.fromResponse('GET /x', 503, ''), 'temporary'],
    ['a 403 from the API', KubeApiError.fromResponse('GET /x', 403, ''), 'permanent'],
    ['a 409 from the API', KubeApiError.fromResponse('PUT /x', 409, ''), 'conflict'],
    ['a 404 from the API', KubeApiError.fromResponse('GET /x', 404, ''), 'not-found'],
    ['a plain Error', new Error('unexpected'), 'temporary'],
    ['an error with an unknown kind', Object.assign(new Error('x'), { kind: 'fatal' }), 'temporary'],
    ['a thrown string', 'oops', 'temporary'],
    ['undefined', undefined, 'temporary'],
  ])('%s is %s', (_, error, kind) => {
    expect(errorKindOf(error)).toBe(kind);
  });
});
