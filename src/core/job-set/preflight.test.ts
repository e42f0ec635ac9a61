// Before the first Job of a set: a spec that cannot work fails at once; a missing Secret (or
// key, or referenced object) is waited for until the grace period from the owner's creation is
// over, looking again at most every recheckAfterMs, then the owner fails.
import { describe, expect, it } from '@jest/globals';
import { preflight, waitForReference, type PreflightConfig } from './preflight.ts';
import { missingSecretMessages, postgresCredentialNeeds, s3CredentialNeeds } from './secret-needs.ts';

const MINUTE = 60_000;
const config: PreflightConfig = { missingReferenceGraceMs: 10 * MINUTE, recheckAfterMs: 15_000 };
const created = '2025-01-02T10:00:00Z';
const at = (ms: number) => new Date(Date.parse(created) + ms);
const missing = ['Secret "pg" (spec.targets[0].postgres.connectionSecret) does not exist; create it with the key(s) username, password'];

describe('preflight', () => {
  it('is ready when nothing is wrong or missing', () => {
    expect(preflight({ invalid: [], missing: [], createdAt: created, now: at(0), config })).toEqual({ verdict: 'ready' });
  });

  it('fails an invalid spec at once, even within the grace period and with a Secret missing too', () => {
    expect(preflight({ invalid: ['target x: no source x in the backup', 'target y: type mismatch'], missing, createdAt: created, now: at(0), config })).toEqual({
      verdict: 'invalid',
      message: 'target x: no source x in the backup; target y: type mismatch',
    });
  });

  it('waits for a missing Secret until the grace period from creation is over, then gives up', () => {
    const until = at(10 * MINUTE);
    expect(preflight({ invalid: [], missing, createdAt: created, now: at(0), config })).toEqual({ verdict: 'waiting', message: missing[0], until, requeueAfterMs: 15_000 });
    // Near the end it looks again when the period ends, not a full recheck later.
    expect(preflight({ invalid: [], missing, createdAt: created, now: at(10 * MINUTE - 4_000), config })).toMatchObject({ verdict: 'waiting', until, requeueAfterMs: 4_000 });
    expect(preflight({ invalid: [], missing, createdAt: created, now: at(10 * MINUTE - 1), config })).toMatchObject({ verdict: 'waiting', requeueAfterMs: 1 });
    expect(preflight({ invalid: [], missing, createdAt: created, now: at(10 * MINUTE), config })).toEqual({ verdict: 'missing', message: missing[0] });
    expect(preflight({ invalid: [], missing, createdAt: created, now: at(3 * 3_600_000), config })).toEqual({ verdict: 'missing', message: missing[0] });
  });

  it('joins several missing references into one message', () => {
    const two = [...missing, 'Secret "s3" has no key "AWS_SECRET_ACCESS_KEY" (spec.storage.credentialsSecret.secretAccessKeyKey)'];
    expect(preflight({ invalid: [], missing: two, createdAt: created, now: at(0), config })).toMatchObject({ verdict: 'waiting', message: two.join('; ') });
  });
});

describe('waitForReference', () => {
  it('counts the grace period from a Date as from its string', () => {
    expect(waitForReference('m', new Date(created), at(MINUTE), config)).toEqual(waitForReference('m', created, at(MINUTE), config));
  });

  it('without a creation time (not yet set, or unparsable) counts from now: a full grace period', () => {
    for (const createdAt of [undefined, 'not a time']) {
      expect(waitForReference('m', createdAt, at(MINUTE), config)).toEqual({ verdict: 'waiting', message: 'm', until: at(11 * MINUTE), requeueAfterMs: 15_000 });
    }
  });

  it('with no grace period gives up at once', () => {
    expect(waitForReference('m', created, at(0), { ...config, missingReferenceGraceMs: 0 })).toEqual({ verdict: 'missing', message: 'm' });
  });
});

describe('missingSecretMessages', () => {
  const needs = [...postgresCredentialNeeds({ name: 'pg', usernameKey: 'username', passwordKey: 'password' }, 'spec.targets[0].postgres.connectionSecret'), ...s3CredentialNeeds({ name: 's3', accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' }, 'spec.storage.credentialsSecret')];

  it('says nothing when every Secret has its keys', () => {
    expect(missingSecretMessages(needs, [{ name: 'pg', keys: ['username', 'password'] }, { name: 's3', keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'extra'] }])).toEqual([]);
  });

  it('names a missing Secret once with all the keys it needs, and a missing key with the field to change', () => {
    expect(missingSecretMessages(needs, [{ name: 's3', keys: ['AWS_ACCESS_KEY_ID'] }])).toEqual([
      'Secret "pg" (spec.targets[0].postgres.connectionSecret) does not exist; create it with the key(s) username, password',
      'Secret "s3" has no key "AWS_SECRET_ACCESS_KEY" (spec.storage.credentialsSecret.secretAccessKeyKey); add it, or set secretAccessKeyKey to the key that holds it',
    ]);
  });
});
