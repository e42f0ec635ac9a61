import { describe, expect, it } from '@jest/globals';
import { errorKindForStatus, isAlreadyExists, isConflict, isNotFound, KubeApiError } from './errors.ts';

const status = (code: number, reason: string, message = 'm') =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

describe('errorKindForStatus', () => {
  it.each([
    [404, 'not-found'],
    [409, 'conflict'],
    [500, 'temporary'],
    [502, 'temporary'],
    [503, 'temporary'],
    [504, 'temporary'],
    [429, 'temporary'],
    [408, 'temporary'],
    [410, 'temporary'],
    [401, 'temporary'],
    [0, 'temporary'],
    [400, 'permanent'],
    [403, 'permanent'],
    [405, 'permanent'],
    [413, 'permanent'],
    [415, 'permanent'],
    [422, 'permanent'],
  ])('HTTP %i is %s', (code, kind) => {
    expect(errorKindForStatus(code)).toBe(kind);
  });
});

describe('KubeApiError', () => {
  it('takes reason and message from a metav1.Status body', () => {
    const error = KubeApiError.fromResponse('POST /apis/batch/v1/namespaces/a/jobs', 422, status(422, 'Invalid', 'spec.template: Required value'));
    expect(error).toMatchObject({ statusCode: 422, reason: 'Invalid', kind: 'permanent' });
    expect(error.message).toBe('POST /apis/batch/v1/namespaces/a/jobs: 422 Invalid: spec.template: Required value');
  });

  it('names the reason itself when a proxy answered with plain text', () => {
    const error = KubeApiError.fromResponse('GET /api/v1/pods', 503, 'upstream connect error\nmore');
    expect(error).toMatchObject({ statusCode: 503, reason: 'InternalError', kind: 'temporary' });
    expect(error.message).toContain('upstream connect error');
  });

  it('keeps the Retry-After hint of a 429', () => {
    const body = JSON.stringify({ kind: 'Status', code: 429, reason: 'TooManyRequests', message: 'slow down', details: { retryAfterSeconds: 3 } });
    expect(KubeApiError.fromResponse('GET /x', 429, body).retryAfterSeconds).toBe(3);
  });

  it('reports a request without a response as a temporary network error, with its cause', () => {
    const cause = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) });
    const error = KubeApiError.noResponse('GET /api/v1/pods', cause);
    expect(error).toMatchObject({ statusCode: 0, reason: 'NetworkError', kind: 'temporary' });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('tells AlreadyExists apart from other conflicts', () => {
    const exists = KubeApiError.fromResponse('POST /x', 409, status(409, 'AlreadyExists'));
    const stale = KubeApiError.fromResponse('PUT /x', 409, status(409, 'Conflict'));
    expect([isAlreadyExists(exists), isConflict(exists)]).toEqual([true, true]);
    expect([isAlreadyExists(stale), isConflict(stale)]).toEqual([false, true]);
    expect(isNotFound(KubeApiError.fromResponse('GET /x', 404, status(404, 'NotFound')))).toBe(true);
    expect(isNotFound(new Error('404'))).toBe(false);
  });
});
