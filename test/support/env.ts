// What the test environment tells the tests: where the control plane, PostgreSQL and S3 are.
// The Jest global setup (and `make testenv-up`) writes this as JSON and puts its path in
// LIFEBOAT_TESTENV; tests read it with testEnv().
import { readFileSync } from 'node:fs';

export interface TestEnvInfo {
  /** Admin kubeconfig (system:masters) for the test API server. */
  kubeconfig: string;
  /** Name of the Node the process kubelet registered. */
  nodeName: string;
  /** Directory that holds the environment's state, logs and data; removed on stop. */
  workDir: string;
  /** Directory holding the test binaries (kubectl, etcd, minio, ...). */
  binDir: string;
  postgres: {
    host: string;
    port: number;
    /** Superuser; the throwaway cluster trusts local TCP connections. */
    user: string;
    /** Directory of the PostgreSQL client and server binaries used. */
    binDir: string;
  };
  /** MinIO: the S3 server every test uses unless it says otherwise. */
  s3: S3ServerInfo;
  /**
   * gofakes3 over bbolt: stores keys verbatim, as AWS S3 does, for the keys MinIO refuses.
   * It does not check signatures.
   */
  keyValueS3: S3ServerInfo;
}

export interface S3ServerInfo {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export const TESTENV_VAR = 'LIFEBOAT_TESTENV';

export function testEnv(): TestEnvInfo {
  const path = process.env[TESTENV_VAR];
  if (!path) {
    throw new Error(
      `${TESTENV_VAR} is not set: integration tests need the test environment (run them with 'make test', or 'make testenv-up' and export the variable it prints)`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as TestEnvInfo;
}
