import { describe, expect, it } from '@jest/globals';
import { RequestSigner, amzDate, escapeKeyPath } from './sigv4.ts';

describe('RequestSigner', () => {
  it('matches the GET Object example of the AWS Signature Version 4 documentation', () => {
    // docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "GET Object".
    const signer = new RequestSigner({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, 'us-east-1');
    const headers = signer.sign(
      {
        method: 'GET',
        path: '/test.txt',
        headers: {
          host: 'examplebucket.s3.amazonaws.com',
          range: 'bytes=0-9',
          'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        },
      },
      new Date('2013-05-24T00:00:00Z'),
    );
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(headers['x-amz-date']).toBe('20130524T000000Z');
  });

  it('signs the session token and defaults to an unsigned payload', () => {
    const signer = new RequestSigner({ accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'TOKEN' }, 'eu-west-1');
    const headers = signer.sign({ method: 'GET', path: '/b/k', headers: { host: 'h' } }, new Date('2025-01-02T03:04:05Z'));
    expect(headers).toMatchObject({ 'x-amz-security-token': 'TOKEN', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' });
    expect(headers.authorization).toMatch(/Credential=AK\/20250102\/eu-west-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
  });

  it('derives a new signing key when the day changes', () => {
    const signer = new RequestSigner({ accessKeyId: 'AK', secretAccessKey: 'SK' }, 'us-east-1');
    const request = { method: 'GET', path: '/b/k', headers: { host: 'h' } };
    const before = signer.sign(request, new Date('2025-01-01T23:59:59Z')).authorization;
    const after = signer.sign(request, new Date('2025-01-02T00:00:00Z')).authorization;
    expect(after).toContain('/20250102/');
    expect(after?.slice(-64)).not.toBe(before?.slice(-64));
  });
});

describe('escapeKeyPath', () => {
  it.each([
    ['plain/key.txt', 'plain/key.txt'],
    ['with spaces/and+plus', 'with%20spaces/and%2Bplus'],
    ["it's (a) *star*!", 'it%27s%20%28a%29%20%2Astar%2A%21'],
    ['../x', '../x'],
    ['//', '//'],
    ['ünï/日本', '%C3%BCn%C3%AF/%E6%97%A5%E6%9C%AC'],
    ['a~b_c-d.e', 'a~b_c-d.e'],
    ['q?h#p%', 'q%3Fh%23p%25'],
  ])('%j -> %s', (key, path) => expect(escapeKeyPath(key)).toBe(path));
});

describe('amzDate', () => {
  it('is the basic ISO 8601 form without milliseconds', () => expect(amzDate(new Date('2025-12-31T23:59:58.123Z'))).toBe('20251231T235958Z'));
});
