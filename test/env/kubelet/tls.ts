// A self-signed serving certificate for the log server, made once per work dir with the
// openssl CLI. The API server is started without --kubelet-certificate-authority, so it does
// not verify it (as with kubelets that serve self-signed certificates by default).
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface ServingCertificate {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export async function servingCertificate(dir: string, nodeName: string): Promise<ServingCertificate> {
  const certFile = join(dir, 'kubelet.crt');
  const keyFile = join(dir, 'kubelet.key');
  const existing = await readPair(certFile, keyFile);
  if (existing) return existing;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '3650',
    '-subj',
    `/CN=${nodeName}`,
    '-addext',
    `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${nodeName},DNS:${hostname()}`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  const created = await readPair(certFile, keyFile);
  if (!created) throw new Error(`openssl did not write ${certFile}`);
  return created;
}

async function readPair(certFile: string, keyFile: string): Promise<ServingCertificate | undefined> {
  try {
    return { cert: await readFile(certFile), key: await readFile(keyFile) };
  } catch {
    return undefined;
  }
}
